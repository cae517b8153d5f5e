using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Reporting;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Cli.Output;

/// <summary>The findings table: Spectre on a terminal, aligned plain columns otherwise; suppressed findings are left out of it (they are in JSON).</summary>
public static class FindingTable
{
    public static void Write(VulnerabilityReport report, TextWriter output, bool rich)
    {
        var rows = report.Findings.Where(f => !f.Suppressed).Select(f => new[]
        {
            f.Finding.Package.Name,
            f.Finding.Id,
            ReportText.SeverityName(f.Severity.Level) + (f.Severity.Score is { } s ? $" {ReportText.Score(s)}" : ""),
            f.Finding.Package.Version,
            f.Finding.Status == MatchStatus.Affected ? f.Finding.FixedIn ?? "(no fix)" : "? " + f.Finding.Reason,
            ReportText.Location(f.Finding.Package),
        }).ToList();
        string[] headers = ["PACKAGE", "VULNERABILITY", "SEVERITY", "INSTALLED", "FIXED IN", "LOCATION"];
        var suppressed = report.Findings.Count(f => f.Suppressed);
        var summary = $"{rows.Count} vulnerabilities in {report.Inventory.Packages.Count} packages of {report.Inventory.Target}"
            + (suppressed > 0 ? $" ({suppressed} suppressed)" : "")
            + $"; by severity: {string.Join(", ", report.Findings.Where(f => !f.Suppressed).GroupBy(f => f.Severity.Level).OrderByDescending(g => g.Key).Select(g => $"{ReportText.SeverityName(g.Key)} {g.Count()}"))}";
        TextTable.Write(output, rich, headers, rows, summary);
    }
}
