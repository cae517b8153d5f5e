using Spectre.Console;
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
        if (rich)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in headers) table.AddColumn(h);
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Write(table);
            console.MarkupLine($"[grey]{Markup.Escape(summary)}[/]");
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => i == headers.Length - 1 ? h : h.PadRight(widths[i]))));
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        output.WriteLine(summary);
    }
}
