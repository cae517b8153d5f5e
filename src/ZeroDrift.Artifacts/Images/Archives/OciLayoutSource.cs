using System.Text.Json;
using ZeroDrift.Artifacts.Images.Oci;

namespace ZeroDrift.Artifacts.Images.Archives;

/// <summary>
/// An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md), either a folder
/// (<c>oci-dir:</c>) or a tar of one (<c>oci-archive:</c>). With several images in index.json, a tag given as
/// <c>PATH:TAG</c> picks the one whose <c>org.opencontainers.image.ref.name</c> matches.
/// </summary>
public sealed class OciLayoutSource : IImageSource
{
    private readonly string _display;
    private readonly Func<string, Stream?> _open;
    private readonly Func<string, long?> _length;
    private readonly string? _tag;
    private readonly ScanLimits _limits;

    private OciLayoutSource(string display, Func<string, Stream?> open, Func<string, long?> length, string? tag, ScanLimits limits)
    {
        _display = display;
        _open = open;
        _length = length;
        _tag = tag;
        _limits = limits;
    }

    public static OciLayoutSource FromDirectory(string path, string? tag, ScanLimits limits)
    {
        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root)) throw new ArtifactException($"{path}: no such directory");
        return new OciLayoutSource(path,
            name => File.Exists(Path.Combine(root, name)) ? new FileStream(Path.Combine(root, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16) : null,
            name => File.Exists(Path.Combine(root, name)) ? new FileInfo(Path.Combine(root, name)).Length : null,
            tag, limits);
    }

    public static OciLayoutSource FromArchive(string path, string? tag, ScanLimits limits)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: no such file");
        var index = TarIndex.Build(path, limits);
        return new OciLayoutSource(path, index.Open, index.Length, tag, limits);
    }

    public async Task<ResolvedImage> ResolveAsync(Platform? platform, CancellationToken cancellationToken)
    {
        var indexBytes = ReadSmall("index.json", 4 << 20)
            ?? throw new ArtifactException($"{_display}: not an OCI layout (no index.json)");
        List<Descriptor> manifests;
        using (var index = ImageConfigParser.ParseJson(indexBytes, _limits, $"{_display}: index.json"))
            manifests = ImageResolver.Manifests(index.RootElement, $"{_display}: index.json");
        if (_tag is not null)
        {
            manifests = manifests.Where(m => m.Annotations is { } a && a.TryGetValue("org.opencontainers.image.ref.name", out var name)
                && (name == _tag || name.EndsWith(":" + _tag, StringComparison.Ordinal))).ToList();
            if (manifests.Count == 0) throw new ArtifactException($"{_display}: no image tagged '{_tag}' in index.json");
        }
        var resolver = new ImageResolver((d, _) => Task.FromResult(ReadBlob(d)), _limits);
        var root = manifests.Count == 1 ? manifests[0] : ImageResolver.ChoosePlatform(manifests, platform, _display);
        var (descriptor, content) = await resolver.SelectManifestAsync(root, platform, _display, cancellationToken).ConfigureAwait(false);
        return await resolver.ResolveAsync(_display, descriptor, content, (d, _) => Task.FromResult(OpenBlob(d)), cancellationToken).ConfigureAwait(false);
    }

    private static string BlobPath(string digest)
    {
        var (algorithm, hex) = Digest.Parse(digest);
        return $"blobs/{algorithm}/{hex}";
    }

    private byte[] ReadBlob(Descriptor descriptor)
    {
        var content = ReadSmall(BlobPath(descriptor.Digest), 16 << 20)
            ?? throw new ArtifactException($"{_display}: blob {descriptor.Digest} is missing");
        Digest.Verify(content, descriptor.Digest, $"{_display}: blob {descriptor.Digest}");
        return content;
    }

    private Stream OpenBlob(Descriptor descriptor)
    {
        var path = BlobPath(descriptor.Digest);
        var length = _length(path);
        if (length is null) throw new ArtifactException($"{_display}: layer blob {descriptor.Digest} is missing");
        if (descriptor.Size >= 0 && length != descriptor.Size)
            throw new ArtifactException($"{_display}: layer blob {descriptor.Digest} has {length} bytes, the manifest says {descriptor.Size}");
        return _open(path)!;
    }

    private byte[]? ReadSmall(string name, long max)
    {
        using var stream = _open(name);
        if (stream is null) return null;
        return FileSystems.FileSystemExtensions.ReadBounded(stream, max, $"{_display}: {name}");
    }

    public void Dispose() { }
}
