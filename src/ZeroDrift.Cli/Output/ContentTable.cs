using ZeroDrift.Core.Findings;
using ZeroDrift.Scanning.Reporting;
using ZeroDrift.Vulnerabilities.Reporting;

namespace ZeroDrift.Cli.Output;

/// <summary>A table per content scanner (secrets, sensitive data, misconfigurations); baseline-suppressed findings are only counted.</summary>
public static class ContentTable
{
    public static void Write(ContentReport report, string target, TextWriter output, bool rich)
    {
        foreach (var scanner in report.Scanners)
        {
            var findings = report.Findings.Where(f => ContentText.ScannerName(f.Finding.Class) == scanner).ToList();
            var active = findings.Where(f => !f.Suppressed).Select(f => f.Finding).ToList();
            var rows = active.Select(f => new[]
            {
                ReportText.SeverityName(f.Severity),
                f.RuleId,
                ContentText.Location(f),
                // Sensitive data is one finding per file and kind: its message carries the count and masked samples.
                f.Class == FindingClass.Pii ? f.Message : f.Match is { } m ? OneLine(m) : f.Message,
            }).ToList();
            var suppressed = findings.Count - active.Count;
            var title = scanner switch { "secret" => "secrets", "pii" => "sensitive data findings", _ => "misconfigurations" };
            var summary = $"{active.Count} {title} in {target}"
                + (report.GitHistory && scanner == "secret" ? " (working tree and git history)" : "")
                + (suppressed > 0 ? $" ({suppressed} in the baseline)" : "")
                + (active.Count(f => f.InDeletedLayer) is > 0 and var deleted ? $"; {deleted} in deleted layers" : "")
                + $"; {report.FilesScanned} files, {report.BytesScanned / 1e6:0.#} MB read";
            var detail = scanner switch { "secret" => "MATCH", "pii" => "ITEMS", _ => "ISSUE" };
            TextTable.Write(output, rich, ["SEVERITY", "RULE", "LOCATION", detail], rows, summary);
            output.WriteLine();
        }
    }

    /// <summary>A multi-line match (a private key) shows its first line.</summary>
    private static string OneLine(string match)
    {
        var nl = match.IndexOf('\n');
        return nl < 0 ? match : match[..nl].TrimEnd('\r') + " …";
    }
}
