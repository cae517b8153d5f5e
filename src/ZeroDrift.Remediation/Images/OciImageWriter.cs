using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// Writes the patched image as an OCI layout: the original layers copied byte for byte (their digests checked
/// as they are copied), the new layer on top, the config with the new diff id and a history entry, and an OCI
/// manifest. Publishing (an OCI folder, a docker archive, a registry push) starts from this layout.
/// </summary>
public static class OciImageWriter
{
    private const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<PatchedImage> WriteLayoutAsync(ResolvedImage image, BuiltLayer layer, string history, string directory, CancellationToken ct)
    {
        var blobs = Path.Combine(directory, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        var layers = new JsonArray();
        var kept = new List<string>();
        foreach (var original in image.Layers)
        {
            var (digest, size, mediaType) = await CopyLayerAsync(original, blobs, ct).ConfigureAwait(false);
            kept.Add(digest);
            layers.Add(new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size });
        }
        File.Move(layer.Path, Path.Combine(blobs, Hex(layer.Digest)));
        layers.Add(new JsonObject { ["mediaType"] = OciLayer + "+gzip", ["digest"] = layer.Digest, ["size"] = layer.Size });

        var config = JsonNode.Parse(image.ConfigJson ?? throw new RemediationException($"{image.Metadata.Reference}: the image's config was not kept"))!.AsObject();
        var rootfs = config["rootfs"]?.AsObject() ?? throw new RemediationException($"{image.Metadata.Reference}: config without rootfs");
        rootfs["diff_ids"]!.AsArray().Add(layer.DiffId);
        if (config["history"] is not JsonArray historyArray)
        {
            historyArray = [];
            config["history"] = historyArray;
        }
        historyArray.Add(new JsonObject
        {
            ["created"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["created_by"] = history,
            ["comment"] = "zerodrift fix",
        });
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString(Compact));
        var configDigest = Write(blobs, configBytes);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = Artifacts.Images.Oci.MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = Artifacts.Images.Oci.MediaTypes.OciConfig, ["digest"] = configDigest, ["size"] = configBytes.Length },
            ["layers"] = layers,
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString(Compact));
        var manifestDigest = Write(blobs, manifestBytes);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = Artifacts.Images.Oci.MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = Artifacts.Images.Oci.MediaTypes.OciManifest,
                ["digest"] = manifestDigest,
                ["size"] = manifestBytes.Length,
            }),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "index.json"), index.ToJsonString(Compact), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}", ct).ConfigureAwait(false);
        return new PatchedImage(directory, manifestDigest, manifestBytes, configDigest, layer.Digest, layer.DiffId, layer.Size, kept);
    }

    /// <summary>Copies a layer blob as stored, hashing it; the media type is the OCI one for the compression its bytes show.</summary>
    private static async Task<(string Digest, long Size, string MediaType)> CopyLayerAsync(LayerBlob layer, string blobs, CancellationToken ct)
    {
        var temp = Path.Combine(blobs, ".partial-" + Guid.NewGuid().ToString("N"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        var magic = new byte[4];
        var magicLength = 0;
        await using (var source = await layer.OpenAsync(ct).ConfigureAwait(false))
        await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (magicLength < 4)
                {
                    var take = Math.Min(4 - magicLength, n);
                    buffer.AsSpan(0, take).CopyTo(magic.AsSpan(magicLength));
                    magicLength += take;
                }
                hash.AppendData(buffer, 0, n);
                await target.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                size += n;
            }
        }
        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        var compression = magicLength >= 2 && magic[0] == 0x1f && magic[1] == 0x8b ? "+gzip"
            : magicLength == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd ? "+zstd"
            : "";
        // What was read while the image was squashed was checked against these digests; the copy must be the same bytes.
        var expected = layer.Info.Digest ?? (compression.Length == 0 ? layer.Info.DiffId : null);
        if (expected is not null && expected != digest)
        {
            File.Delete(temp);
            throw new RemediationException($"layer {layer.Info.Index}: its blob changed while it was patched (now {digest}, was {expected})");
        }
        var final = Path.Combine(blobs, Hex(digest));
        if (File.Exists(final)) File.Delete(temp);
        else File.Move(temp, final);
        return (digest, size, OciLayer + compression);
    }

    /// <summary>The layout as a docker archive (<c>manifest.json</c> naming the config and the layer blobs), as <c>podman load</c> and <c>docker load</c> read it.</summary>
    public static void WriteDockerArchive(PatchedImage image, string? repoTag, string path)
    {
        using var manifest = JsonDocument.Parse(image.Manifest);
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => "blobs/sha256/" + Hex(l.GetProperty("digest").GetString()!)).ToList();
        var docker = new JsonArray(new JsonObject
        {
            ["Config"] = "blobs/sha256/" + Hex(image.ConfigDigest),
            ["RepoTags"] = repoTag is null ? new JsonArray() : new JsonArray(repoTag),
            ["Layers"] = new JsonArray(layers.Select(l => (JsonNode)l).ToArray()),
        });
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(image.LayoutDirectory, "blobs", "sha256")).Order(StringComparer.Ordinal))
            writer.WriteEntry(blob, "blobs/sha256/" + Path.GetFileName(blob));
        // No index.json or oci-layout: with them podman load takes the archive for an OCI one and ignores RepoTags.
        var manifestJson = new PaxTarEntry(TarEntryType.RegularFile, "manifest.json")
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(docker.ToJsonString(Compact))),
            Mode = (UnixFileMode)0b110_100_100,
        };
        writer.WriteEntry(manifestJson);
    }

    /// <summary>Pushes the layout's blobs and manifest to <paramref name="reference"/> (its tag, or the manifest's digest).</summary>
    public static async Task<string> PushAsync(PatchedImage image, RegistryClient client, ImageReference reference, CancellationToken ct)
    {
        var repository = new RepositoryRef(reference.Registry, reference.Repository);
        using var manifest = JsonDocument.Parse(image.Manifest);
        var descriptors = manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => (Digest: l.GetProperty("digest").GetString()!, MediaType: l.GetProperty("mediaType").GetString()!))
            .Append((image.ConfigDigest, Artifacts.Images.Oci.MediaTypes.OciConfig));
        foreach (var (digest, mediaType) in descriptors)
        {
            if (await client.BlobExistsAsync(repository, digest, ct).ConfigureAwait(false)) continue;
            var content = await File.ReadAllBytesAsync(Path.Combine(image.LayoutDirectory, "blobs", "sha256", Hex(digest)), ct).ConfigureAwait(false);
            await client.PushBlobAsync(repository, content, mediaType, ct).ConfigureAwait(false);
        }
        var pushed = await client.PushManifestAsync(repository, reference.Tag ?? image.ManifestDigest, image.Manifest, Artifacts.Images.Oci.MediaTypes.OciManifest, ct).ConfigureAwait(false);
        return pushed.Descriptor.Digest;
    }

    private static string Write(string blobs, byte[] content)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllBytes(Path.Combine(blobs, Hex(digest)), content);
        return digest;
    }

    private static string Hex(string digest) => digest["sha256:".Length..];
}
