using System.Text.Json;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Vulnerabilities.Reporting;

/// <summary>
/// ZeroDrift's JSON scan report (docs/formats.md), schema version 1: the target, the database used, every
/// finding with its evidence and severity source, suppressed ones included with their justification, and what
/// could not be scanned. The sections are public so that the report of a scan running several scanners
/// (ZeroDrift.Scanning) writes them in the same shape next to its own.
/// </summary>
public static class JsonReportWriter
{
    public static void Write(VulnerabilityReport report, Stream output)
    {
        using var w = new Utf8JsonWriter(output, Inventory.Sbom.InventoryWriters.JsonOptions);
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartObject("target");
        w.WriteString("name", report.Inventory.Target);
        w.WriteString("kind", report.Inventory.TargetKind);
        if (report.Inventory.Distro is { } d) w.WriteString("distro", d.ToString());
        if (report.Inventory.Image?.ManifestDigest is { } digest) w.WriteString("manifestDigest", digest);
        w.WriteNumber("packages", report.Inventory.Packages.Count);
        w.WriteEndObject();
        WriteSections(report, w);
        w.WriteStartArray("warnings");
        foreach (var warning in report.Inventory.Warnings.Concat(report.Warnings)) w.WriteStringValue(warning);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteHeader(Utf8JsonWriter w)
    {
        w.WriteNumber("schemaVersion", 1);
        w.WriteString("tool", $"zerodrift {Inventory.Sbom.InventoryWriters.ToolVersion}");
    }

    /// <summary>The vulnerability sections: database, findings, notScannable, unmatched.</summary>
    public static void WriteSections(VulnerabilityReport report, Utf8JsonWriter w)
    {
        w.WriteStartObject("database");
        w.WriteString("path", report.Database.Path);
        w.WriteNumber("advisories", report.Database.Advisories);
        if (report.Database.LastUpdate is { } lu) w.WriteString("lastUpdate", lu);
        w.WriteEndObject();
        w.WriteStartArray("findings");
        foreach (var f in report.Findings)
        {
            var x = f.Finding;
            w.WriteStartObject();
            w.WriteString("id", x.Id);
            w.WriteStartArray("ids");
            foreach (var id in x.Ids) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteString("status", x.Status == Matching.MatchStatus.Affected ? "affected" : "undetermined");
            if (x.Reason is not null) w.WriteString("reason", x.Reason);
            w.WriteStartObject("package");
            w.WriteString("name", x.Package.Name);
            w.WriteString("version", x.Package.Version);
            w.WriteString("purl", x.Package.Purl.ToString());
            w.WriteString("id", x.Package.Id);
            w.WriteStartArray("locations");
            foreach (var l in x.Package.Locations)
            {
                w.WriteStartObject();
                w.WriteString("path", l.Path);
                if (l.Layer is { } layer)
                {
                    w.WriteString("layerDigest", layer.Digest);
                    w.WriteNumber("layerIndex", layer.Index);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("matched");
            w.WriteString("ecosystem", x.Query.Ecosystem);
            w.WriteString("name", x.Query.Name);
            w.WriteString("version", x.Query.Version);
            w.WriteString("comparator", x.Comparator);
            w.WriteStartArray("advisories");
            foreach (var a in x.Advisories) w.WriteStringValue(a.Id);
            w.WriteEndArray();
            if (x.Evidence is { } e)
            {
                w.WriteString("evidence", e.ToString());
                w.WriteStartObject("range");
                w.WriteString("kind", e.Kind);
                if (e.RangeType is not null) w.WriteString("type", e.RangeType);
                if (e.Introduced is not null) w.WriteString("introduced", e.Introduced);
                if (e.Fixed is not null) w.WriteString("fixed", e.Fixed);
                if (e.LastAffected is not null) w.WriteString("lastAffected", e.LastAffected);
                if (e.Limit is not null) w.WriteString("limit", e.Limit);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (x.FixedIn is not null) w.WriteString("fixedIn", x.FixedIn);
            w.WriteStartObject("severity");
            w.WriteString("level", ReportText.SeverityName(f.Severity.Level));
            if (f.Severity.Score is { } score) w.WriteNumber("score", score);
            if (f.Severity.Vector is not null) w.WriteString("vector", f.Severity.Vector);
            w.WriteString("source", f.Severity.Source);
            w.WriteEndObject();
            if (x.Summary is not null) w.WriteString("summary", x.Summary);
            w.WriteString("reference", ReportText.Reference(x));
            if (f.Suppression is { } s)
            {
                w.WriteStartObject("suppressed");
                w.WriteString("by", s.Source);
                w.WriteString("status", s.Status);
                if (s.Justification is not null) w.WriteString("justification", s.Justification);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("notScannable");
        foreach (var n in report.NotScannable) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteStartArray("unmatched");
        foreach (var u in report.Unmatched)
        {
            w.WriteStartObject();
            w.WriteString("purl", u.Package.Purl.ToString());
            w.WriteString("reason", u.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
