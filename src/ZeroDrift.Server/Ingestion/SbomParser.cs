using System.Text.Json;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>Packages of an uploaded SBOM: CycloneDX JSON (components, nested ones too) or SPDX 2.x JSON (packages and their purl references).</summary>
public static class SbomParser
{
    public const int MaxPackages = 500_000;

    public static async Task<(string Format, IReadOnlyList<SbomPackage> Packages)> ParseAsync(Stream body, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = 64 }, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new IngestException($"the SBOM is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new IngestException("the SBOM must be a JSON object (CycloneDX or SPDX JSON)");
            var packages = new List<SbomPackage>();
            if (root.TryGetProperty("bomFormat", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == "CycloneDX")
            {
                if (root.TryGetProperty("components", out var components)) Components(components, packages);
                return ("cyclonedx", packages);
            }
            if (root.TryGetProperty("spdxVersion", out var spdx) && spdx.ValueKind == JsonValueKind.String)
            {
                if (root.TryGetProperty("packages", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var p in list.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Object) continue;
                        var purl = p.TryGetProperty("externalRefs", out var refs) && refs.ValueKind == JsonValueKind.Array
                            ? refs.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object && ScanReportParser.OptionalString(r, "referenceType") == "purl")
                                .Select(r => ScanReportParser.OptionalString(r, "referenceLocator")).FirstOrDefault(x => x is not null)
                            : null;
                        Add(packages, purl, ScanReportParser.OptionalString(p, "name"), ScanReportParser.OptionalString(p, "versionInfo"));
                    }
                return ("spdx", packages);
            }
            throw new IngestException("the SBOM must be CycloneDX JSON (bomFormat) or SPDX JSON (spdxVersion)");
        }
    }

    private static void Components(JsonElement components, List<SbomPackage> packages)
    {
        if (components.ValueKind != JsonValueKind.Array) throw new IngestException("CycloneDX: \"components\" must be an array");
        foreach (var c in components.EnumerateArray())
        {
            if (c.ValueKind != JsonValueKind.Object) continue;
            Add(packages, ScanReportParser.OptionalString(c, "purl"), ScanReportParser.OptionalString(c, "name"), ScanReportParser.OptionalString(c, "version"));
            if (c.TryGetProperty("components", out var nested)) Components(nested, packages);
        }
    }

    private static void Add(List<SbomPackage> packages, string? purl, string? name, string? version)
    {
        if (name is null) return;
        if (packages.Count >= MaxPackages) throw new IngestException($"the SBOM lists more than {MaxPackages} packages");
        packages.Add(new SbomPackage(purl ?? "", name, version ?? ""));
    }
}
