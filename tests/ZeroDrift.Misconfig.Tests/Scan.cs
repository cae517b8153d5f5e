using System.Text;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>Runs the detector over text as a file of a given name; the expected line of a finding is the one marked <c># &lt;-</c>.</summary>
internal static class Scan
{
    public const string Marker = "# <-";

    public static List<ContentFinding> Text(string fileName, string text, List<string>? warnings = null, MisconfigDetector? detector = null)
    {
        detector ??= MisconfigDetector.Create();
        var path = "/src/" + fileName;
        Assert.True(detector.FileRequired(path, Encoding.UTF8.GetByteCount(text)), $"{fileName} should be required");
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return detector.Scan(path, stream, w => warnings?.Add(w), CancellationToken.None).ToList();
    }

    public static int MarkedLine(string text)
    {
        var lines = text.Split('\n');
        var hits = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(Marker, StringComparison.Ordinal)).ToList();
        Assert.Single(hits);
        return hits[0] + 1;
    }

    /// <summary>The findings of one check; fails when the check reported nothing.</summary>
    public static void AssertReportedAtMarker(string checkId, string fileName, string text)
    {
        var findings = Text(fileName, text).Where(f => f.RuleId == checkId).ToList();
        Assert.True(findings.Count > 0, $"{checkId} not reported; text:\n{text}");
        var line = MarkedLine(text);
        Assert.Contains(findings, f => f.Span?.StartLine == line);
        Assert.All(findings, f => Assert.False(string.IsNullOrEmpty(f.Message)));
    }

    public static void AssertNotReported(string checkId, string fileName, string text)
    {
        var findings = Text(fileName, text).Where(f => f.RuleId == checkId).ToList();
        Assert.True(findings.Count == 0, $"{checkId} reported: {string.Join("; ", findings.Select(f => $"{f.Span?.StartLine}: {f.Message}"))}");
    }
}
