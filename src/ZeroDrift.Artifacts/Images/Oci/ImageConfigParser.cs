using System.Text.Json;

namespace ZeroDrift.Artifacts.Images.Oci;

/// <summary>Reads an image config (OCI or Docker) into <see cref="ImageMetadata"/>.</summary>
public static class ImageConfigParser
{
    public static JsonDocument ParseJson(byte[] content, ScanLimits limits, string what)
    {
        try
        {
            return JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = limits.MaxNesting });
        }
        catch (JsonException e)
        {
            throw new ArtifactException($"{what}: not valid JSON ({e.Message.Split('\n')[0]})");
        }
    }

    public static ImageMetadata Parse(byte[] configContent, ScanLimits limits, string what)
    {
        using var doc = ParseJson(configContent, limits, $"{what}: image config");
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ArtifactException($"{what}: image config is not a JSON object");
        var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var history = root.TryGetProperty("history", out var h) && h.ValueKind == JsonValueKind.Array
            ? h.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object).Select(x => new HistoryEntry(
                Str(x, "created_by"), Str(x, "created"),
                x.TryGetProperty("empty_layer", out var el) && el.ValueKind == JsonValueKind.True,
                Str(x, "comment"))).ToList()
            : [];
        var diffIds = root.TryGetProperty("rootfs", out var rootfs) && rootfs.ValueKind == JsonValueKind.Object
            && rootfs.TryGetProperty("diff_ids", out var ids) && ids.ValueKind == JsonValueKind.Array
            ? ids.EnumerateArray().Select(x => StringItem(x, $"{what}: image config's rootfs.diff_ids")).ToList()
            : [];
        return new ImageMetadata
        {
            Reference = what,
            Os = Str(root, "os"),
            Architecture = Str(root, "architecture"),
            Variant = Str(root, "variant"),
            Created = Str(root, "created"),
            Env = config.ValueKind == JsonValueKind.Object ? StrList(config, "Env") : [],
            User = config.ValueKind == JsonValueKind.Object ? Str(config, "User") : null,
            Entrypoint = config.ValueKind == JsonValueKind.Object ? StrList(config, "Entrypoint") : [],
            Cmd = config.ValueKind == JsonValueKind.Object ? StrList(config, "Cmd") : [],
            WorkingDir = config.ValueKind == JsonValueKind.Object ? Str(config, "WorkingDir") : null,
            Labels = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
                ? labels.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.String).ToDictionary(x => x.Name, x => x.Value.GetString()!)
                : new Dictionary<string, string>(),
            ExposedPorts = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("ExposedPorts", out var ports) && ports.ValueKind == JsonValueKind.Object
                ? ports.EnumerateObject().Select(x => x.Name).ToList()
                : [],
            History = history,
            Layers = diffIds.Select((d, i) => new LayerInfo(i, null, d, "", -1, null)).ToList(),
        };
    }

    /// <summary>
    /// Joins the manifest's layer list with the config's diff ids and history: each non-empty history entry
    /// belongs, in order, to the next layer.
    /// </summary>
    public static ImageMetadata WithLayers(ImageMetadata metadata, IReadOnlyList<(string? Digest, string? DiffId, string MediaType, long Size)> layers, string what)
    {
        var diffIds = metadata.Layers.Select(l => l.DiffId).ToList();
        if (diffIds.Count != 0 && diffIds.Count != layers.Count)
            throw new ArtifactException($"{what}: manifest lists {layers.Count} layers but the config has {diffIds.Count} diff ids");
        var createdBy = metadata.History.Where(x => !x.EmptyLayer).Select(x => x.CreatedBy).ToList();
        var infos = layers.Select((l, i) => new LayerInfo(i, l.Digest, l.DiffId ?? (i < diffIds.Count ? diffIds[i] : null),
            l.MediaType, l.Size, i < createdBy.Count ? createdBy[i] : null)).ToList();
        foreach (var info in infos)
            if (info.DiffId is { } d) Digest.Parse(d);
        return metadata with { Layers = infos };
    }

    /// <summary>An array item that must be a string; anything else is a broken document, said so.</summary>
    internal static string StringItem(JsonElement item, string what) =>
        item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new ArtifactException($"{what}: {item.ValueKind.ToString().ToLowerInvariant()} where a string belongs");

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IReadOnlyList<string> StrList(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
}
