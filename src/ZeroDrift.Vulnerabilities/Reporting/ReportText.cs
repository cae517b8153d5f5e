using System.Globalization;
using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Vulnerabilities.Reporting;

/// <summary>Wording shared by every report format, so a finding reads the same in a table, JSON and SARIF.</summary>
public static class ReportText
{
    public static string SeverityName(Severity s) => s.ToString().ToUpperInvariant();

    public static string Score(double? score) => score?.ToString("0.0", CultureInfo.InvariantCulture) ?? "";

    public static string Location(Package p) =>
        p.Locations.Count == 0 ? "" : p.Locations[0].Layer is { } l ? $"{p.Locations[0].Path} (layer {l.Index})" : p.Locations[0].Path;

    public static string Message(ReportedFinding f)
    {
        var x = f.Finding;
        var what = x.Status == MatchStatus.Affected
            ? $"{x.Package.Name} {x.Package.Version} is affected by {x.Id}"
            : $"{x.Package.Name} {x.Package.Version} may be affected by {x.Id}: {x.Reason}";
        var fix = x.FixedIn is { } v ? $"; fixed in {v}" : x.Status == MatchStatus.Affected ? "; no fixed version yet" : "";
        return what + fix + (x.Summary is { } s ? $" ({s})" : "");
    }

    public static string Reference(VulnerabilityFinding f) =>
        f.Advisories.SelectMany(a => a.References).FirstOrDefault(r => r.Type is "ADVISORY" or "WEB")?.Url
        ?? $"https://osv.dev/vulnerability/{f.Advisories[0].Id}";
}
