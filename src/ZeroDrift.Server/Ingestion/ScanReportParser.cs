using System.Text.Json;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>
/// Reads a <c>zerodrift scan --format json</c> report (docs/formats.md, schema version 1) into what the store
/// keeps. Suppressed findings (ignore file, VEX) are accepted risk and are not open vulnerabilities.
/// </summary>
public static class ScanReportParser
{
    public const int MaxFindings = 200_000;

    public sealed record Parsed(string TargetName, string TargetKind, string ImageDigest, string Tool, int Packages, IReadOnlyList<FindingRow> Findings)
    {
        /// <summary>What the scan looked for (the report's <c>scanners</c>; reports from before content scanning have only vulnerabilities).</summary>
        public IReadOnlyCollection<string> Scanners { get; init; } = ["vuln"];
        public IReadOnlyList<ContentFindingRow> Content { get; init; } = [];
    }

    private static readonly string[] KnownScanners = ["vuln", "secret", "pii", "misconfig"];

    public static async Task<Parsed> ParseAsync(Stream body, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = 32 }, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new IngestException($"the scan report is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new IngestException("the scan report must be a JSON object (zerodrift scan --format json)");
            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 1)
                throw new IngestException("the scan report must have schemaVersion 1 (zerodrift scan --format json)");
            var target = Object(root, "target");
            var scanners = Scanners(root);
            // A report of content scanners alone has no vulnerability sections.
            var findingsArray = scanners.Contains("vuln") || root.TryGetProperty("findings", out _) ? Array(root, "findings") : (JsonElement?)null;
            if (findingsArray?.GetArrayLength() > MaxFindings) throw new IngestException($"the scan report has more than {MaxFindings} findings");
            IEnumerable<JsonElement> findings = findingsArray is { } array ? array.EnumerateArray() : [];
            var rows = new List<FindingRow>();
            var index = 0;
            foreach (var f in findings)
            {
                var where = $"findings[{index++}]";
                if (f.ValueKind != JsonValueKind.Object) throw new IngestException($"{where}: not an object");
                if (f.TryGetProperty("suppressed", out var suppressed) && suppressed.ValueKind == JsonValueKind.Object) continue;
                var package = Object(f, "package", where);
                var severity = Object(f, "severity", where);
                var paths = package.TryGetProperty("locations", out var locations) && locations.ValueKind == JsonValueKind.Array
                    ? locations.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.Object && l.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String)
                        .Select(l => l.GetProperty("path").GetString()!).Distinct(StringComparer.Ordinal).Take(64).ToList()
                    : [];
                rows.Add(new FindingRow(
                    String(f, "id", where),
                    String(package, "purl", where + ".package"),
                    String(package, "name", where + ".package"),
                    String(package, "version", where + ".package"),
                    String(severity, "level", where + ".severity").ToLowerInvariant(),
                    severity.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number && score.TryGetDouble(out var d) && double.IsFinite(d) ? d : null,
                    OptionalString(f, "fixedIn"),
                    paths,
                    Truncate(OptionalString(f, "summary") ?? "", 500)));
            }
            return new Parsed(
                String(target, "name", "target"),
                OptionalString(target, "kind") ?? "unknown",
                OptionalString(target, "manifestDigest") ?? "",
                OptionalString(root, "tool") ?? "unknown",
                target.TryGetProperty("packages", out var packages) && packages.ValueKind == JsonValueKind.Number && packages.TryGetInt32(out var n) ? n : 0,
                rows)
            {
                Scanners = scanners,
                Content = ContentFindings(root, scanners),
            };
        }
    }

    private static HashSet<string> Scanners(JsonElement root)
    {
        if (!root.TryGetProperty("scanners", out var value)) return ["vuln"];
        if (value.ValueKind != JsonValueKind.Array) throw new IngestException("report: \"scanners\" must be an array of names");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in value.EnumerateArray())
        {
            if (name.ValueKind != JsonValueKind.String || !KnownScanners.Contains(name.GetString()))
                throw new IngestException($"report: \"scanners\" may hold {string.Join(", ", KnownScanners)}");
            names.Add(name.GetString()!);
        }
        return names;
    }

    /// <summary>
    /// Secrets arrive redacted and personal data masked (the scanner's default). A report made with
    /// <c>--show-secrets</c> carries the secret in clear in <c>properties.secret</c>: it is refused whole, since the
    /// server never stores a secret. Properties, layers and git authors are not kept.
    /// </summary>
    private static List<ContentFindingRow> ContentFindings(JsonElement root, HashSet<string> scanners)
    {
        if (!root.TryGetProperty("contentFindings", out var findings)) return [];
        if (findings.ValueKind != JsonValueKind.Array) throw new IngestException("report: \"contentFindings\" must be an array");
        if (findings.GetArrayLength() > MaxFindings) throw new IngestException($"the scan report has more than {MaxFindings} content findings");
        var rows = new List<ContentFindingRow>(findings.GetArrayLength());
        var index = 0;
        foreach (var f in findings.EnumerateArray())
        {
            var where = $"contentFindings[{index++}]";
            if (f.ValueKind != JsonValueKind.Object) throw new IngestException($"{where}: not an object");
            if (f.TryGetProperty("suppressed", out var suppressed) && suppressed.ValueKind == JsonValueKind.Object) continue;
            var findingClass = String(f, "class", where);
            if (findingClass is not ("secret" or "pii" or "misconfig")) throw new IngestException($"{where}: \"class\" must be secret, pii or misconfig");
            if (!scanners.Contains(findingClass)) throw new IngestException($"{where}: a {findingClass} finding from a scan whose \"scanners\" do not include {findingClass}");
            if (f.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty("secret", out _))
                throw new IngestException($"{where}: holds a secret in clear (a report made with --show-secrets); the server stores secrets redacted only");
            var line = f.TryGetProperty("startLine", out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var n) && n > 0 ? n : 0;
            rows.Add(new ContentFindingRow(
                findingClass,
                String(f, "ruleId", where),
                Truncate(OptionalString(f, "title") ?? "", 300),
                String(f, "severity", where).ToLowerInvariant(),
                String(f, "path", where),
                line,
                String(f, "fingerprint", where),
                Truncate(OptionalString(f, "message") ?? "", 1000),
                Truncate(OptionalString(f, "match") ?? "", 300)));
        }
        return rows;
    }

    internal static JsonElement Object(JsonElement parent, string name, string where = "report")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object) throw new IngestException($"{where}: \"{name}\" must be an object");
        return value;
    }

    internal static JsonElement Array(JsonElement parent, string name, string where = "report")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array) throw new IngestException($"{where}: \"{name}\" must be an array");
        return value;
    }

    internal static string String(JsonElement parent, string name, string where)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            throw new IngestException($"{where}: \"{name}\" must be a non-empty string");
        return Truncate(value.GetString()!, 2000);
    }

    internal static string? OptionalString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Truncate(value.GetString()!, 2000) : null;

    internal static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
