using ZeroDrift.Core;

namespace ZeroDrift.Artifacts.Images;

public sealed record HistoryEntry(string? CreatedBy, string? Created, bool EmptyLayer, string? Comment);

/// <summary>One layer of an image, as the manifest and config describe it.</summary>
/// <param name="Digest">Digest of the blob as stored (compressed), when the source names it.</param>
/// <param name="DiffId">Digest of the uncompressed tar (config <c>rootfs.diff_ids</c>).</param>
public sealed record LayerInfo(int Index, string? Digest, string? DiffId, string MediaType, long Size, string? CreatedBy)
{
    public LayerRef Ref => new(DiffId ?? Digest ?? $"layer-{Index}", Index, CreatedBy);
}

/// <summary>What an image says about itself: identity, platform, runtime configuration and history.</summary>
public sealed record ImageMetadata
{
    public required string Reference { get; init; }
    public string? ManifestDigest { get; init; }
    public string? ManifestMediaType { get; init; }
    public string? ConfigDigest { get; init; }
    public string? Os { get; init; }
    public string? Architecture { get; init; }
    public string? Variant { get; init; }
    public IReadOnlyList<string> RepoTags { get; init; } = [];
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? User { get; init; }
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    public string? WorkingDir { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];
    public IReadOnlyList<LayerInfo> Layers { get; init; } = [];
    public string? Created { get; init; }

    public string Platform => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
