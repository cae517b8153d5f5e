using System.Text.Json;

namespace ZeroDrift.Artifacts.Images.Oci;

/// <summary>
/// Walks index → manifest → config for any source that can fetch blobs by descriptor (OCI layouts, registries),
/// choosing a platform in multi-platform indexes. Every JSON document read is digest-checked by the fetcher and
/// parsed with bounded depth.
/// </summary>
public sealed class ImageResolver(Func<Descriptor, CancellationToken, Task<byte[]>> fetchVerified, ScanLimits limits)
{
    private const int MaxIndexDepth = 4;

    /// <summary>From a root descriptor (index or manifest), the manifest for <paramref name="platform"/>.</summary>
    public async Task<(Descriptor Descriptor, byte[] Content)> SelectManifestAsync(Descriptor root, Platform? platform, string what, CancellationToken ct)
    {
        var current = root;
        for (var depth = 0; depth <= MaxIndexDepth; depth++)
        {
            var content = await fetchVerified(current, ct).ConfigureAwait(false);
            using var doc = Parse(content, $"{what}: manifest {current.Digest}");
            var mediaType = current.MediaType;
            if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
                mediaType = mt.GetString()!;
            if (string.IsNullOrEmpty(mediaType))
                mediaType = doc.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
            if (MediaTypes.IsManifest(mediaType))
                return (current with { MediaType = mediaType }, content);
            if (!MediaTypes.IsIndex(mediaType))
                throw new ArtifactException($"{what}: unsupported manifest media type '{mediaType}'");
            current = ChoosePlatform(Manifests(doc.RootElement, what), platform, what);
        }
        throw new ArtifactException($"{what}: image indexes nested deeper than {MaxIndexDepth}");
    }

    public static List<Descriptor> Manifests(JsonElement index, string what)
    {
        if (!index.TryGetProperty("manifests", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new ArtifactException($"{what}: image index without manifests");
        return list.EnumerateArray().Select(m => Descriptor.FromJson(m, what)).ToList();
    }

    public static Descriptor ChoosePlatform(List<Descriptor> manifests, Platform? wanted, string what)
    {
        // Attestation manifests (buildkit) carry platform unknown/unknown; never pick them.
        var images = manifests.Where(m => m.Platform is null || m.Platform.Os != "unknown").ToList();
        if (images.Count == 0) throw new ArtifactException($"{what}: image index lists no image");
        if (wanted is not null)
        {
            return images.FirstOrDefault(m => m.Platform is { } p && wanted.Matches(p.Os, p.Architecture, p.Variant))
                ?? throw new ArtifactException($"{what}: no image for platform {wanted} (available: {string.Join(", ", images.Select(m => m.Platform?.ToString() ?? "unspecified"))})");
        }
        if (images.Count == 1) return images[0];
        var host = Platform.Host;
        return images.FirstOrDefault(m => m.Platform is { } p && host.Matches(p.Os, p.Architecture, p.Variant))
            ?? throw new ArtifactException($"{what}: several platforms and none is {host}; choose one with --platform ({string.Join(", ", images.Select(m => m.Platform?.ToString() ?? "unspecified"))})");
    }

    /// <summary>Reads manifest and config into metadata; the layers open through <paramref name="openLayer"/>.</summary>
    public async Task<ResolvedImage> ResolveAsync(string reference, Descriptor manifestDescriptor, byte[] manifestContent,
        Func<Descriptor, CancellationToken, Task<Stream>> openLayer, CancellationToken ct)
    {
        var what = reference;
        using var manifest = Parse(manifestContent, $"{what}: manifest");
        var root = manifest.RootElement;
        if (!root.TryGetProperty("config", out var configElement) || configElement.ValueKind != JsonValueKind.Object)
            throw new ArtifactException($"{what}: manifest has no config");
        var configDescriptor = Descriptor.FromJson(configElement, what);
        var configContent = await fetchVerified(configDescriptor, ct).ConfigureAwait(false);
        var layers = root.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array
            ? l.EnumerateArray().Select(x => Descriptor.FromJson(x, what)).ToList()
            : throw new ArtifactException($"{what}: manifest has no layers");
        foreach (var layer in layers)
            if (!MediaTypes.IsLayer(layer.MediaType))
                throw new ArtifactException($"{what}: layer {layer.Digest} has unsupported media type '{layer.MediaType}'");
        var metadata = ImageConfigParser.Parse(configContent, limits, what) with
        {
            Reference = reference,
            ManifestDigest = manifestDescriptor.Digest,
            ManifestMediaType = manifestDescriptor.MediaType,
            ConfigDigest = configDescriptor.Digest,
        };
        metadata = ImageConfigParser.WithLayers(metadata,
            layers.Select(x => ((string?)x.Digest, (string?)null, x.MediaType, x.Size)).ToList(), what);
        var blobs = metadata.Layers.Select((info, i) => new LayerBlob(info, token => openLayer(layers[i], token))).ToList();
        return new ResolvedImage(metadata, blobs) { ConfigJson = configContent };
    }

    private JsonDocument Parse(byte[] content, string what) => ImageConfigParser.ParseJson(content, limits, what);
}
