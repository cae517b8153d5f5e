using ZeroDrift.Core.Findings;

namespace ZeroDrift.Scanning.Reporting;

/// <summary>Wording for content findings shared by every format, so a finding reads the same in a table, JSON and SARIF.</summary>
public static class ContentText
{
    /// <summary>The scanner name users type in <c>--scanners</c> for a class of findings.</summary>
    public static string ScannerName(FindingClass c) => c switch
    {
        FindingClass.Secret => "secret",
        FindingClass.Pii => "pii",
        _ => "misconfig",
    };

    /// <summary><c>/etc/app.env:12:7</c>, then where it hides: the layer (deleted or not) or the commit.</summary>
    public static string Location(ContentFinding f)
    {
        var at = f.Span is { } s ? $"{f.Path}:{s.StartLine}:{s.StartColumn}" : f.Path;
        if (f.Layer is { } l) at += f.InDeletedLayer ? $" (in a deleted layer: layer {l.Index})" : $" (layer {l.Index})";
        if (f.Git is { } g) at += $" (commit {g.Commit[..Math.Min(12, g.Commit.Length)]}, {g.Author} <{g.Email}>, {g.Date:yyyy-MM-dd})";
        return at;
    }
}
