using System.Text.Json;

namespace ZeroDrift.Artifacts.Images.Oci;

/// <summary>An OCI content descriptor.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, Platform? Platform = null,
    IReadOnlyDictionary<string, string>? Annotations = null, string? ArtifactType = null)
{
    internal static Descriptor FromJson(JsonElement e, string what)
    {
        var mediaType = e.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "";
        if (!e.TryGetProperty("digest", out var d) || d.ValueKind != JsonValueKind.String)
            throw new ArtifactException($"{what}: descriptor without a digest");
        var digest = d.GetString()!;
        Oci.Digest.Parse(digest);
        var size = e.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
        Platform? platform = null;
        if (e.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            platform = new Platform(Text(p, "os") ?? "", Text(p, "architecture") ?? "", Text(p, "variant"));
        }
        Dictionary<string, string>? annotations = null;
        if (e.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
            annotations = a.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.String).ToDictionary(x => x.Name, x => x.Value.GetString()!);
        var artifactType = e.TryGetProperty("artifactType", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null;
        return new Descriptor(mediaType, digest, size, platform, annotations, artifactType);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
