using System.Text.Json;
using ZeroDrift.Core.Findings;
using ZeroDrift.Vulnerabilities.Reporting;

namespace ZeroDrift.Scanning.Reporting;

/// <summary>
/// The JSON report of a scan (docs/formats.md): the vulnerability sections exactly as a vulnerability-only report
/// writes them (present when <c>vuln</c> ran), then <c>contentFindings</c> and <c>rules</c> for the content
/// scanners, then the warnings of all.
/// </summary>
public static class ScanJsonWriter
{
    public static void Write(ScanReport report, Stream output)
    {
        using var w = new Utf8JsonWriter(output, Inventory.Sbom.InventoryWriters.JsonOptions);
        w.WriteStartObject();
        JsonReportWriter.WriteHeader(w);
        w.WriteStartArray("scanners");
        foreach (var s in report.Scanners) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteStartObject("target");
        w.WriteString("name", report.Target.Name);
        w.WriteString("kind", report.Target.Kind);
        if (report.Target.Distro is { } d) w.WriteString("distro", d.ToString());
        if (report.Target.ManifestDigest is { } digest) w.WriteString("manifestDigest", digest);
        if (report.Vulnerabilities is { } v) w.WriteNumber("packages", v.Inventory.Packages.Count);
        w.WriteEndObject();
        if (report.Vulnerabilities is { } vulns) JsonReportWriter.WriteSections(vulns, w);
        if (report.Content is { } content) WriteContent(content, w);
        w.WriteStartArray("warnings");
        foreach (var warning in report.Warnings) w.WriteStringValue(warning);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteContent(ContentReport content, Utf8JsonWriter w)
    {
        w.WriteStartObject("content");
        w.WriteNumber("filesScanned", content.FilesScanned);
        w.WriteNumber("bytesScanned", content.BytesScanned);
        w.WriteBoolean("gitHistory", content.GitHistory);
        w.WriteEndObject();
        w.WriteStartArray("contentFindings");
        foreach (var r in content.Findings)
        {
            var f = r.Finding;
            w.WriteStartObject();
            w.WriteString("class", ContentText.ScannerName(f.Class));
            w.WriteString("ruleId", f.RuleId);
            w.WriteString("title", f.Title);
            w.WriteString("severity", ReportText.SeverityName(f.Severity));
            w.WriteString("path", f.Path);
            if (f.Span is { } s)
            {
                w.WriteNumber("startLine", s.StartLine);
                w.WriteNumber("startColumn", s.StartColumn);
                w.WriteNumber("endLine", s.EndLine);
                w.WriteNumber("endColumn", s.EndColumn);
            }
            w.WriteString("message", f.Message);
            if (f.Match is not null) w.WriteString("match", f.Match);
            w.WriteString("fingerprint", f.Fingerprint);
            if (f.Layer is { } l)
            {
                w.WriteStartObject("layer");
                w.WriteString("digest", l.Digest);
                w.WriteNumber("index", l.Index);
                if (l.CreatedBy is not null) w.WriteString("createdBy", l.CreatedBy);
                w.WriteEndObject();
                w.WriteBoolean("inDeletedLayer", f.InDeletedLayer);
            }
            if (f.Git is { } g)
            {
                w.WriteStartObject("git");
                w.WriteString("commit", g.Commit);
                w.WriteString("author", g.Author);
                w.WriteString("email", g.Email);
                w.WriteString("date", g.Date.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            if (f.Properties.Count > 0)
            {
                w.WriteStartObject("properties");
                foreach (var (k, val) in f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, val);
                w.WriteEndObject();
            }
            if (r.SuppressedBy is not null)
            {
                w.WriteStartObject("suppressed");
                w.WriteString("by", r.SuppressedBy);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        // Only the rules that fired: the full built-in set is in docs/secrets.md and `zerodrift` help.
        w.WriteStartArray("rules");
        var fired = content.Findings.Select(f => (f.Finding.Class, f.Finding.RuleId)).ToHashSet();
        foreach (var rule in content.Rules.Where(r => fired.Contains((r.Class, r.Id))))
            WriteRule(rule, w);
        w.WriteEndArray();
    }

    private static void WriteRule(RuleDescriptor rule, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("class", ContentText.ScannerName(rule.Class));
        w.WriteString("id", rule.Id);
        w.WriteString("title", rule.Title);
        w.WriteString("severity", ReportText.SeverityName(rule.Severity));
        if (rule.Description.Length > 0) w.WriteString("description", rule.Description);
        if (rule.Remediation.Length > 0) w.WriteString("remediation", rule.Remediation);
        if (rule.References.Count > 0)
        {
            w.WriteStartArray("references");
            foreach (var r in rule.References) w.WriteStringValue(r);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
