using System.Globalization;
using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Vulnerabilities.Reporting;

/// <summary>
/// SARIF 2.1.0: one rule per vulnerability id (with <c>security-severity</c> for code-scanning dashboards), one
/// result per affected package at the file that declares it; suppressed findings carry an external suppression.
/// </summary>
public static class SarifReportWriter
{
    public static void Write(VulnerabilityReport report, Stream output)
    {
        using var w = new Utf8JsonWriter(output, Inventory.Sbom.InventoryWriters.JsonOptions);
        var rules = report.Findings.GroupBy(f => f.Finding.Id).Select(g => g.First()).ToList();
        var ruleIndex = rules.Select((r, i) => (r.Finding.Id, i)).ToDictionary(x => x.Id, x => x.i);
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
        foreach (var r in rules)
        {
            var x = r.Finding;
            w.WriteStartObject();
            w.WriteString("id", x.Id);
            w.WriteString("name", "Vulnerability");
            w.WriteStartObject("shortDescription");
            w.WriteString("text", x.Summary ?? x.Id);
            w.WriteEndObject();
            w.WriteStartObject("fullDescription");
            w.WriteString("text", x.Advisories.Select(a => a.Details).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d)) ?? x.Summary ?? x.Id);
            w.WriteEndObject();
            w.WriteString("helpUri", ReportText.Reference(x));
            w.WriteStartObject("help");
            w.WriteString("text", $"{x.Id} ({string.Join(", ", x.Ids)}): severity {ReportText.SeverityName(r.Severity.Level)} from {r.Severity.Source}. {ReportText.Reference(x)}");
            w.WriteEndObject();
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", Level(r.Severity.Level));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            if (r.Severity.Score is { } score) w.WriteString("security-severity", score.ToString("0.0", CultureInfo.InvariantCulture));
            w.WriteStartArray("tags");
            w.WriteStringValue("vulnerability");
            w.WriteStringValue("security");
            w.WriteStringValue(ReportText.SeverityName(r.Severity.Level));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("results");
        foreach (var f in report.Findings)
        {
            var x = f.Finding;
            w.WriteStartObject();
            w.WriteString("ruleId", x.Id);
            w.WriteNumber("ruleIndex", ruleIndex[x.Id]);
            w.WriteString("level", Level(f.Severity.Level));
            w.WriteStartObject("message");
            w.WriteString("text", ReportText.Message(f));
            w.WriteEndObject();
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartObject("physicalLocation");
            w.WriteStartObject("artifactLocation");
            w.WriteString("uri", x.Package.Locations.Count > 0 ? x.Package.Locations[0].Path.TrimStart('/') : x.Package.Purl.ToString());
            w.WriteEndObject();
            w.WriteStartObject("region");
            w.WriteNumber("startLine", 1);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("logicalLocations");
            w.WriteStartObject();
            w.WriteString("name", x.Package.Name);
            w.WriteString("fullyQualifiedName", x.Package.Purl.ToString());
            w.WriteString("kind", "package");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("partialFingerprints");
            w.WriteString("zerodrift/v1", $"{x.Id}|{x.Package.Purl}");
            w.WriteEndObject();
            if (f.Suppression is { } s)
            {
                w.WriteStartArray("suppressions");
                w.WriteStartObject();
                w.WriteString("kind", "external");
                w.WriteString("justification", $"{s.Status} ({s.Source}){(s.Justification is null ? "" : ": " + s.Justification)}");
                w.WriteEndObject();
                w.WriteEndArray();
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
