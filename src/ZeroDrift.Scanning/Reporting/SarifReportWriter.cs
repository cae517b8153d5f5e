using System.Globalization;
using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Vulnerabilities.Reporting;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Scanning.Reporting;

/// <summary>
/// SARIF 2.1.0, one run for the whole scan: the vulnerability and content scanners each turn their findings into
/// rules and results (<see cref="SarifRule"/>, <see cref="SarifResult"/>) and one writer writes them. Rules carry
/// their metadata and <c>security-severity</c> (for code-scanning dashboards); results carry a location with line
/// and column, <c>partialFingerprints</c> and, when suppressed, an external suppression.
/// </summary>
public static class SarifReportWriter
{
    public static void Write(ScanReport report, Stream output)
    {
        var rules = new List<SarifRule>();
        var results = new List<SarifResult>();
        if (report.Vulnerabilities is { } v) AddVulnerabilities(v, rules, results);
        if (report.Content is { } c) AddContent(c, rules, results);
        WriteLog(rules, results, output);
    }

    public sealed record SarifRule(string Id, string Name, string ShortText, string FullText, string HelpText, string? HelpUri,
        Severity Severity, double? SecuritySeverity, IReadOnlyList<string> Tags);

    public sealed record SarifResult(string RuleId, Severity Severity, string Message, string Uri, TextSpan? Region,
        (string Name, string FullyQualifiedName, string Kind)? LogicalLocation, string Fingerprint, string? Suppression,
        IReadOnlyDictionary<string, string> Properties);

    private static void AddVulnerabilities(VulnerabilityReport report, List<SarifRule> rules, List<SarifResult> results)
    {
        foreach (var r in report.Findings.GroupBy(f => f.Finding.Id).Select(g => g.First()))
        {
            var x = r.Finding;
            rules.Add(new SarifRule(x.Id, "Vulnerability", x.Summary ?? x.Id,
                x.Advisories.Select(a => a.Details).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d)) ?? x.Summary ?? x.Id,
                $"{x.Id} ({string.Join(", ", x.Ids)}): severity {ReportText.SeverityName(r.Severity.Level)} from {r.Severity.Source}. {ReportText.Reference(x)}",
                ReportText.Reference(x), r.Severity.Level, r.Severity.Score, ["vulnerability", "security", ReportText.SeverityName(r.Severity.Level)]));
        }
        foreach (var f in report.Findings)
        {
            var x = f.Finding;
            results.Add(new SarifResult(x.Id, f.Severity.Level, ReportText.Message(f),
                x.Package.Locations.Count > 0 ? x.Package.Locations[0].Path.TrimStart('/') : x.Package.Purl.ToString(),
                TextSpan.Line(1), (x.Package.Name, x.Package.Purl.ToString(), "package"), $"{x.Id}|{x.Package.Purl}",
                f.Suppression is { } s ? $"{s.Status} ({s.Source}){(s.Justification is null ? "" : ": " + s.Justification)}" : null,
                new Dictionary<string, string>()));
        }
    }

    private static void AddContent(ContentReport report, List<SarifRule> rules, List<SarifResult> results)
    {
        var fired = report.Findings.Select(f => f.Finding.RuleId).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in report.Rules.Where(r => fired.Contains(r.Id)).DistinctBy(r => r.Id))
        {
            var scanner = ContentText.ScannerName(rule.Class);
            rules.Add(new SarifRule(rule.Id, scanner, rule.Title, rule.Description.Length > 0 ? rule.Description : rule.Title,
                rule.Remediation.Length > 0 ? rule.Remediation : rule.Title, rule.References.FirstOrDefault(), rule.Severity,
                DefaultScore(rule.Severity), [scanner, "security", ReportText.SeverityName(rule.Severity)]));
        }
        foreach (var r in report.Findings)
        {
            var f = r.Finding;
            var properties = new Dictionary<string, string>(f.Properties);
            if (f.Layer is { } l)
            {
                properties["layerDigest"] = l.Digest;
                properties["layerIndex"] = l.Index.ToString(CultureInfo.InvariantCulture);
                properties["inDeletedLayer"] = f.InDeletedLayer ? "true" : "false";
            }
            if (f.Git is { } g)
            {
                properties["commit"] = g.Commit;
                properties["author"] = g.Author;
                properties["email"] = g.Email;
                properties["date"] = g.Date.ToString("O", CultureInfo.InvariantCulture);
            }
            if (f.Match is not null) properties["match"] = f.Match;
            results.Add(new SarifResult(f.RuleId, f.Severity, f.Message, Uri(f.Path), f.Span, null, f.Fingerprint,
                r.SuppressedBy is { } b ? $"baseline ({b})" : null, properties));
        }
    }

    /// <summary>
    /// An artifact URI: relative to the target root; an archive entry becomes <c>app.jar!/x</c> percent-free. Each
    /// segment is the name's own bytes percent-encoded, so an escaped name (<c>a\xff.env</c>) is <c>a%FF.env</c>.
    /// </summary>
    internal static string Uri(string path) => string.Join('/', path.TrimStart('/').Split('/').Select(Segment));

    private static string Segment(string name)
    {
        var uri = new System.Text.StringBuilder();
        foreach (var b in Artifacts.FileSystems.FileNames.ToBytes(name))
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'!')
                uri.Append((char)b);
            else
                uri.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return uri.ToString();
    }

    /// <summary>The score code-scanning dashboards sort by, for rules rated by level only.</summary>
    private static double? DefaultScore(Severity s) => s switch
    {
        Severity.Critical => 9.5,
        Severity.High => 8.0,
        Severity.Medium => 5.5,
        Severity.Low => 3.0,
        _ => null,
    };

    private static void WriteLog(List<SarifRule> rules, List<SarifResult> results, Stream output)
    {
        using var w = new Utf8JsonWriter(output, Inventory.Sbom.InventoryWriters.JsonOptions);
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in rules) ruleIndex.TryAdd(r.Id, ruleIndex.Count);
        w.WriteStartObject();
        w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        w.WriteString("version", "2.1.0");
        w.WriteStartArray("runs");
        w.WriteStartObject();
        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "zerodrift");
        w.WriteString("version", Inventory.Sbom.InventoryWriters.ToolVersion);
        w.WriteString("informationUri", "https://github.com/zerodrift/zerodrift");
        w.WriteStartArray("rules");
        foreach (var r in rules.DistinctBy(r => r.Id))
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteString("name", r.Name);
            w.WriteStartObject("shortDescription");
            w.WriteString("text", r.ShortText);
            w.WriteEndObject();
            w.WriteStartObject("fullDescription");
            w.WriteString("text", r.FullText);
            w.WriteEndObject();
            if (r.HelpUri is not null) w.WriteString("helpUri", r.HelpUri);
            w.WriteStartObject("help");
            w.WriteString("text", r.HelpText);
            w.WriteEndObject();
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", Level(r.Severity));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            if (r.SecuritySeverity is { } score) w.WriteString("security-severity", score.ToString("0.0", CultureInfo.InvariantCulture));
            w.WriteStartArray("tags");
            foreach (var t in r.Tags) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("results");
        foreach (var x in results)
        {
            w.WriteStartObject();
            w.WriteString("ruleId", x.RuleId);
            w.WriteNumber("ruleIndex", ruleIndex[x.RuleId]);
            w.WriteString("level", Level(x.Severity));
            w.WriteStartObject("message");
            w.WriteString("text", x.Message);
            w.WriteEndObject();
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartObject("physicalLocation");
            w.WriteStartObject("artifactLocation");
            w.WriteString("uri", x.Uri);
            w.WriteEndObject();
            if (x.Region is { } region)
            {
                w.WriteStartObject("region");
                w.WriteNumber("startLine", region.StartLine);
                if (region.StartColumn > 0 && !(region.StartColumn == 1 && region.EndColumn == 1 && region.StartLine == region.EndLine))
                {
                    w.WriteNumber("startColumn", region.StartColumn);
                    w.WriteNumber("endLine", region.EndLine);
                    // SARIF's endColumn is the column after the last character.
                    w.WriteNumber("endColumn", region.EndColumn + 1);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (x.LogicalLocation is { } logical)
            {
                w.WriteStartArray("logicalLocations");
                w.WriteStartObject();
                w.WriteString("name", logical.Name);
                w.WriteString("fullyQualifiedName", logical.FullyQualifiedName);
                w.WriteString("kind", logical.Kind);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("partialFingerprints");
            w.WriteString("zerodrift/v1", x.Fingerprint);
            w.WriteEndObject();
            if (x.Suppression is { } s)
            {
                w.WriteStartArray("suppressions");
                w.WriteStartObject();
                w.WriteString("kind", "external");
                w.WriteString("justification", s);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            if (x.Properties.Count > 0)
            {
                w.WriteStartObject("properties");
                foreach (var (k, v) in x.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Level(Severity s) => s switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        _ => "note",
    };
}
