using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Vulnerabilities.Reporting;

/// <summary>The SBOM (CycloneDX 1.6) with a <c>vulnerabilities</c> section: ratings, fixes, affected components, and VEX analysis for suppressed ones.</summary>
public static class CycloneDxReportWriter
{
    public static void Write(VulnerabilityReport report, Stream output) =>
        new Inventory.Sbom.CycloneDxWriter().Write(report.Inventory, output, w => WriteVulnerabilities(w, report));

    private static void WriteVulnerabilities(Utf8JsonWriter w, VulnerabilityReport report)
    {
        w.WriteStartArray("vulnerabilities");
        foreach (var f in report.Findings)
        {
            var x = f.Finding;
            w.WriteStartObject();
            w.WriteString("bom-ref", $"{x.Id}@{x.Package.Id}");
            w.WriteString("id", x.Id);
            w.WriteStartObject("source");
            w.WriteString("name", "OSV");
            w.WriteString("url", $"https://osv.dev/vulnerability/{x.Advisories[0].Id}");
            w.WriteEndObject();
            var others = x.Ids.Skip(1).ToList();
            if (others.Count > 0)
            {
                w.WriteStartArray("references");
                foreach (var id in others)
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteStartObject("source");
                    w.WriteString("name", "OSV");
                    w.WriteString("url", $"https://osv.dev/vulnerability/{id}");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteStartArray("ratings");
            w.WriteStartObject();
            w.WriteStartObject("source");
            w.WriteString("name", f.Severity.Source);
            w.WriteEndObject();
            if (f.Severity.Score is { } score) w.WriteNumber("score", score);
            w.WriteString("severity", f.Severity.Level switch
            {
                Severity.Critical => "critical",
                Severity.High => "high",
                Severity.Medium => "medium",
                Severity.Low => "low",
                Severity.None => "none",
                _ => "unknown",
            });
            if (f.Severity.Vector is { } vector)
            {
                w.WriteString("method", vector.StartsWith("CVSS:4.0", StringComparison.Ordinal) ? "CVSSv4"
                    : vector.StartsWith("CVSS:3.1", StringComparison.Ordinal) ? "CVSSv31"
                    : vector.StartsWith("CVSS:3.0", StringComparison.Ordinal) ? "CVSSv3" : "CVSSv2");
                w.WriteString("vector", vector);
            }
            w.WriteEndObject();
            w.WriteEndArray();
            if (x.Summary is not null) w.WriteString("description", x.Summary);
            if (x.FixedIn is not null) w.WriteString("recommendation", $"Upgrade {x.Package.Name} to {x.FixedIn} or later");
            w.WriteStartArray("advisories");
            foreach (var r in x.Advisories.SelectMany(a => a.References).Where(r => r.Type == "ADVISORY").Select(r => r.Url).Distinct().Take(10))
            {
                w.WriteStartObject();
                w.WriteString("url", r);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("affects");
            w.WriteStartObject();
            w.WriteString("ref", x.Package.Id);
            w.WriteStartArray("versions");
            w.WriteStartObject();
            w.WriteString("version", x.Package.Version);
            w.WriteString("status", x.Status == Matching.MatchStatus.Affected ? "affected" : "unknown");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            if (f.Suppression is { } s)
            {
                w.WriteStartObject("analysis");
                w.WriteString("state", s.Status == "fixed" ? "resolved" : "not_affected");
                w.WriteString("detail", $"{s.Source}{(s.Justification is null ? "" : ": " + s.Justification)}");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
