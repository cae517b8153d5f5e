using System.Text.Json;
using ZeroDrift.Artifacts.Images.Oci;

namespace ZeroDrift.Artifacts.Images.Archives;

/// <summary>
/// A <c>docker save</c> / <c>podman save</c> archive: <c>manifest.json</c> naming the config and the layer tars.
/// Layer content is checked against the config's diff ids as it is read.
/// </summary>
public sealed class DockerArchiveSource : IImageSource
{
    private readonly string _path;
    private readonly string? _tag;
    private readonly ScanLimits _limits;

    public DockerArchiveSource(string path, string? tag, ScanLimits limits)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: no such file");
        _path = path;
        _tag = tag;
        _limits = limits;
    }

    public Task<ResolvedImage> ResolveAsync(Platform? platform, CancellationToken cancellationToken)
    {
        var index = TarIndex.Build(_path, _limits);
        var manifestBytes = Read(index, "manifest.json", 4 << 20)
            ?? throw new ArtifactException($"{_path}: not a docker archive (no manifest.json)");
        using var manifest = ImageConfigParser.ParseJson(manifestBytes, _limits, $"{_path}: manifest.json");
        if (manifest.RootElement.ValueKind != JsonValueKind.Array || manifest.RootElement.GetArrayLength() == 0)
            throw new ArtifactException($"{_path}: manifest.json lists no image");
        var images = manifest.RootElement.EnumerateArray().ToList();
        var image = _tag is null
            ? images[0]
            : images.FirstOrDefault(i => RepoTags(i).Any(t => t == _tag || t.EndsWith(":" + _tag, StringComparison.Ordinal) || t.StartsWith(_tag + ":", StringComparison.Ordinal)));
        if (image.ValueKind != JsonValueKind.Object)
            throw new ArtifactException($"{_path}: no image tagged '{_tag}' in manifest.json");
        var configPath = image.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new ArtifactException($"{_path}: manifest.json names no config");
        var configBytes = Read(index, configPath, 16 << 20) ?? throw new ArtifactException($"{_path}: config {configPath} is missing");
        var configDigest = Digest.Sha256(configBytes);
        // The config file is named after its own digest: check it when the name says so.
        var configName = Path.GetFileNameWithoutExtension(configPath.Replace("blobs/sha256/", "", StringComparison.Ordinal));
        if (configName.Length == 64 && configName.All(char.IsAsciiHexDigitLower) && configDigest != "sha256:" + configName)
            throw new ArtifactException($"{_path}: config {configPath} does not match its digest");
        var layerPaths = image.TryGetProperty("Layers", out var l) && l.ValueKind == JsonValueKind.Array
            ? l.EnumerateArray().Select(x => ImageConfigParser.StringItem(x, $"{_path}: manifest.json's Layers")).ToList()
            : throw new ArtifactException($"{_path}: manifest.json lists no layers");
        foreach (var layerPath in layerPaths)
            if (!index.Contains(layerPath)) throw new ArtifactException($"{_path}: layer {layerPath} is missing");

        var metadata = ImageConfigParser.Parse(configBytes, _limits, _path) with
        {
            Reference = _path,
            ConfigDigest = configDigest,
            RepoTags = RepoTags(image).ToList(),
        };
        if (metadata.Layers.Count != layerPaths.Count)
            throw new ArtifactException($"{_path}: manifest.json lists {layerPaths.Count} layers but the config has {metadata.Layers.Count} diff ids");
        metadata = ImageConfigParser.WithLayers(metadata,
            layerPaths.Select(p => ((string?)BlobDigestFromPath(p), (string?)null, "application/vnd.docker.image.rootfs.diff.tar", index.Length(p) ?? -1)).ToList(), _path);
        var blobs = metadata.Layers.Select((info, i) => new LayerBlob(info, _ => Task.FromResult(index.Open(layerPaths[i])!))).ToList();
        return Task.FromResult(new ResolvedImage(metadata, blobs) { ConfigJson = configBytes });
    }

    /// <summary>Newer archives store layers as <c>blobs/sha256/HEX</c>: that names the stored blob's digest.</summary>
    private static string? BlobDigestFromPath(string path)
    {
        const string prefix = "blobs/sha256/";
        var hex = path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : null;
        return hex is { Length: 64 } && hex.All(char.IsAsciiHexDigitLower) ? "sha256:" + hex : null;
    }

    private static IEnumerable<string> RepoTags(JsonElement image) =>
        image.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)
            : [];

    private byte[]? Read(TarIndex index, string name, long max)
    {
        using var stream = index.Open(name);
        return stream is null ? null : FileSystems.FileSystemExtensions.ReadBounded(stream, max, $"{_path}: {name}");
    }

    public void Dispose() { }
}
