using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.TestSupport;

public enum LayerCompression { None, Gzip, Zstd }

/// <summary>One layer of a test image, built entry by entry (including hostile ones).</summary>
public sealed class TestLayer
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<Action<TarWriter>> _entries = [];

    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;
    public string CreatedBy { get; init; } = "test";

    public TestLayer File(string name, string content, int mode = 0b110_100_100) => File(name, Encoding.UTF8.GetBytes(content), mode);

    public TestLayer File(string name, byte[] content, int mode = 0b110_100_100)
    {
        _entries.Add(w =>
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)mode, DataStream = new MemoryStream(content), ModificationTime = Epoch };
            w.WriteEntry(e);
        });
        return this;
    }

    public TestLayer Dir(string name) => Add(TarEntryType.Directory, name);
    public TestLayer Symlink(string name, string target) => Add(TarEntryType.SymbolicLink, name, target);
    public TestLayer Hardlink(string name, string target) => Add(TarEntryType.HardLink, name, target);
    public TestLayer Whiteout(string path) => File(Parent(path) + "/.wh." + System.IO.Path.GetFileName(path.TrimEnd('/')), "");
    public TestLayer Opaque(string directory) => File(directory.TrimEnd('/') + "/.wh..wh..opq", "");

    public TestLayer Add(TarEntryType type, string name, string? link = null)
    {
        _entries.Add(w =>
        {
            var entry = new PaxTarEntry(type, name) { Mode = (UnixFileMode)0b111_101_101, ModificationTime = Epoch };
            if (link is not null) entry.LinkName = link;
            w.WriteEntry(entry);
        });
        return this;
    }

    private static string Parent(string path)
    {
        var trimmed = path.TrimEnd('/');
        var i = trimmed.LastIndexOf('/');
        return i <= 0 ? "" : trimmed[..i];
    }

    private byte[]? _raw;

    /// <summary>A layer whose tar is given as bytes (one another tool wrote: GNU tar's sparse formats, say).</summary>
    public static TestLayer FromTar(byte[] tar, LayerCompression compression = LayerCompression.Gzip) =>
        new() { _raw = tar, Compression = compression };

    public byte[] Tar()
    {
        if (_raw is not null) return _raw;
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var add in _entries) add(w);
        return ms.ToArray();
    }

    public (byte[] Blob, string MediaType) Blob(byte[] tar) => Compression switch
    {
        LayerCompression.Gzip => (Gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip"),
        LayerCompression.Zstd => (new ZstdSharp.Compressor().Wrap(tar).ToArray(), "application/vnd.oci.image.layer.v1.tar+zstd"),
        _ => (tar, "application/vnd.oci.image.layer.v1.tar"),
    };

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }
}

/// <summary>
/// Builds real images from files, written as an OCI layout folder, an OCI archive or a docker archive, the
/// same bytes that podman, skopeo and docker read.
/// </summary>
public sealed class TestImage
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public List<TestLayer> Layers { get; } = [];
    public string Architecture { get; init; } = "amd64";
    public string Os { get; init; } = "linux";
    public List<string> Env { get; init; } = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];
    public Dictionary<string, string> Labels { get; init; } = [];
    public string? User { get; init; }
    public List<string> Entrypoint { get; init; } = [];

    public TestImage Layer(TestLayer layer) { Layers.Add(layer); return this; }

    private sealed record Built(byte[] Config, string ConfigDigest, List<(byte[] Blob, string Digest, string DiffId, string MediaType, byte[] Tar)> Layers, byte[] Manifest, string ManifestDigest);

    private Built Build()
    {
        var layers = Layers.Select(l =>
        {
            var tar = l.Tar();
            var (blob, mediaType) = l.Blob(tar);
            return (blob, Sha(blob), Sha(tar), mediaType, tar);
        }).ToList();
        var config = new JsonObject
        {
            ["architecture"] = Architecture,
            ["os"] = Os,
            ["created"] = "2026-01-01T00:00:00Z",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray(Env.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
                ["Labels"] = new JsonObject(Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
                ["User"] = User ?? "",
                ["Entrypoint"] = new JsonArray(Entrypoint.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l.Item3)!).ToArray()),
            },
            ["history"] = new JsonArray(Layers.Select(l => (JsonNode)new JsonObject { ["created_by"] = l.CreatedBy }).ToArray()),
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString(Json));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", configBytes),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)Descriptor(l.mediaType, l.blob)).ToArray()),
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString(Json));
        return new Built(configBytes, Sha(configBytes), layers.Select(l => (l.blob, l.Item2, l.Item3, l.mediaType, l.tar)).ToList(), manifestBytes, Sha(manifestBytes));
    }

    /// <summary>The digest of the manifest this image writes (identical across the three formats' OCI ones).</summary>
    public string ManifestDigest => Build().ManifestDigest;

    public static JsonObject Descriptor(string mediaType, byte[] content) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = Sha(content),
        ["size"] = content.Length,
    };

    public static string Sha(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Writes an OCI image layout folder; <paramref name="tag"/> goes into the ref.name annotation.</summary>
    public string WriteOciLayout(string directory, string tag = "latest")
    {
        var built = WriteBlobs(directory);
        System.IO.File.WriteAllText(System.IO.Path.Combine(directory, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = built.ManifestDigest,
                ["size"] = built.Manifest.Length,
                ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag },
            }),
        };
        System.IO.File.WriteAllText(System.IO.Path.Combine(directory, "index.json"), index.ToJsonString(Json));
        return directory;
    }

    /// <summary>Writes several images as one OCI layout whose index.json points at a multi-platform image index.</summary>
    public static string WriteMultiPlatformOciLayout(string directory, params TestImage[] images)
    {
        var manifests = new JsonArray();
        foreach (var image in images)
        {
            var built = image.WriteBlobs(directory);
            manifests.Add(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = built.ManifestDigest,
                ["size"] = built.Manifest.Length,
                ["platform"] = new JsonObject { ["os"] = image.Os, ["architecture"] = image.Architecture },
            });
        }
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = manifests,
        }.ToJsonString(Json));
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(directory, "blobs", "sha256", Sha(index)["sha256:".Length..]), index);
        System.IO.File.WriteAllText(System.IO.Path.Combine(directory, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        var root = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.index.v1+json",
                ["digest"] = Sha(index),
                ["size"] = index.Length,
                ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "latest" },
            }),
        };
        System.IO.File.WriteAllText(System.IO.Path.Combine(directory, "index.json"), root.ToJsonString(Json));
        return directory;
    }

    private Built WriteBlobs(string directory)
    {
        var built = Build();
        var blobs = System.IO.Path.Combine(directory, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        void Blob(string digest, byte[] content) => System.IO.File.WriteAllBytes(System.IO.Path.Combine(blobs, digest["sha256:".Length..]), content);
        Blob(built.ConfigDigest, built.Config);
        foreach (var l in built.Layers) Blob(l.Digest, l.Blob);
        Blob(built.ManifestDigest, built.Manifest);
        return built;
    }

    /// <summary>Writes the OCI layout as a tar (what <c>podman save --format oci-archive</c> produces).</summary>
    public string WriteOciArchive(string path)
    {
        var staging = Directory.CreateTempSubdirectory("zerodrift-oci-").FullName;
        try
        {
            WriteOciLayout(staging);
            TarFile.CreateFromDirectory(staging, path, includeBaseDirectory: false);
        }
        finally { Directory.Delete(staging, true); }
        return path;
    }

    /// <summary>Writes a docker archive (what <c>docker save</c> and <c>podman save</c> produce), layers uncompressed.</summary>
    public string WriteDockerArchive(string path, string repoTag = "test/image:latest")
    {
        var built = Build();
        using var file = System.IO.File.Create(path);
        using var w = new TarWriter(file, TarEntryFormat.Pax);
        void Add(string name, byte[] content) => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        var configName = built.ConfigDigest["sha256:".Length..] + ".json";
        Add(configName, built.Config);
        var layerNames = new List<string>();
        foreach (var l in built.Layers)
        {
            var name = l.DiffId["sha256:".Length..] + "/layer.tar";
            Add(name, l.Tar);
            layerNames.Add(name);
        }
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray(JsonValue.Create(repoTag)),
            ["Layers"] = new JsonArray(layerNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
        });
        Add("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString(Json)));
        return path;
    }
}
