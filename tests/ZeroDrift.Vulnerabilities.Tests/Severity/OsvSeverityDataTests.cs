using System.IO.Compression;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

/// <summary>Every CVSS vector in real OSV exports (RepoPaths.SharedData/osv) must parse and score in 0–10.</summary>
public class OsvSeverityDataTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("PyPI", 150)]
    [InlineData("crates.io", 300)]
    [InlineData("Go", 0)] // the Go vulnerability database publishes no severities
    public void Every_vector_in_the_export_parses_and_scores(string ecosystem, int minimumVectors)
    {
        var path = Path.Combine(RepoPaths.SharedData, "osv", ecosystem, "all.zip");
        using var zip = ZipFile.OpenRead(path);
        var failures = new List<string>();
        var byVersion = new Dictionary<CvssVersion, int>();
        int records = 0, vectors = 0, withAssessment = 0;
        foreach (var entry in zip.Entries.Where(e => e.Name.EndsWith(".json", StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var record = Osv.OsvParser.Parse(buffer.ToArray(), entry.Name);
            records++;
            var (evidence, _) = OsvSeverity.Evidence(record);
            foreach (var e in evidence)
            {
                vectors++;
                var result = CvssVector.Parse(e.Vector);
                if (!result.IsValid)
                {
                    failures.Add($"{entry.Name} {e.Source} '{e.Vector}': {result.Error}");
                    continue;
                }
                Assert.InRange(result.Vector.BaseScore, 0.0, 10.0);
                Assert.InRange(result.Vector.OverallScore, 0.0, 10.0);
                Assert.NotEqual(Core.Severity.Unknown, result.Vector.BaseSeverity);
                byVersion[result.Vector.Version] = byVersion.GetValueOrDefault(result.Vector.Version) + 1;
            }
            var assessment = OsvSeverity.Resolve(record);
            if (assessment.Severity != Core.Severity.Unknown)
            {
                withAssessment++;
                // The resolver took the newest valid version the record offers, and says where it is.
                var newest = evidence.Select(e => CvssVector.Parse(e.Vector).Vector?.Version).Max();
                Assert.Equal(newest, assessment.Version);
                Assert.Contains(assessment.Source, evidence.Select(e => e.Source));
            }
        }
        output.WriteLine($"{ecosystem}: {records} records, {vectors} vectors ({string.Join(", ", byVersion.OrderBy(p => p.Key).Select(p => $"v{p.Key.Label()} {p.Value}"))}), {withAssessment} records with a severity");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(records > 0);
        Assert.True(vectors >= minimumVectors, $"only {vectors} vectors");
        Assert.True(withAssessment >= minimumVectors / 2, $"only {withAssessment} records with a severity");
    }
}
