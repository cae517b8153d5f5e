using System.Text;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>Runs the detector over a set of files as one target: each file through Scan, then Complete (Terraform modules).</summary>
internal static class IacScan
{
    public static List<ContentFinding> Files(IReadOnlyDictionary<string, string> files, List<string>? warnings = null, MisconfigDetector? detector = null)
    {
        detector ??= MisconfigDetector.Create();
        var findings = new List<ContentFinding>();
        foreach (var (path, text) in files)
        {
            Assert.True(detector.FileRequired(path, Encoding.UTF8.GetByteCount(text)), $"{path} should be required");
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            findings.AddRange(detector.Scan(path, stream, w => warnings?.Add(w), CancellationToken.None));
        }
        findings.AddRange(detector.Complete(w => warnings?.Add(w), CancellationToken.None));
        return findings;
    }

    public static List<ContentFinding> One(string path, string text, List<string>? warnings = null, MisconfigDetector? detector = null) =>
        Files(new Dictionary<string, string> { [path] = text }, warnings, detector);

    public static string Address(ContentFinding f) => f.Properties!["location"];
}
