using System.Globalization;
using Xunit.Abstractions;
using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

/// <summary>
/// Scores against an independent implementation: Fixtures/Cvss/ae-cvss-calculator-sample.tsv holds 1,600 random
/// vectors of every version (threat, temporal and environmental metrics included) scored by ae-cvss-calculator
/// 1.0.13 (npm, {metæffekt}), made by Fixtures/Cvss/generate.mjs. Columns: vector, then base, temporal,
/// environmental (v2, v3.x; "-" where the oracle gives none) or base-only and overall (v4.0).
/// </summary>
public class CvssOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_sampled_vector_scores_as_js_cvss_scores_it()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Cvss", "ae-cvss-calculator-sample.tsv");
        var counts = Compare(path);
        output.WriteLine(string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"v{p.Key.Label()} {p.Value}")));
        Assert.All(Enum.GetValues<CvssVersion>(), v => Assert.True(counts.GetValueOrDefault(v) >= 100, $"v{v.Label()}: {counts.GetValueOrDefault(v)}"));
    }

    internal static Dictionary<CvssVersion, int> Compare(string path)
    {
        var counts = new Dictionary<CvssVersion, int>();
        var mismatches = Mismatches(path, counts);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n" + string.Join('\n', mismatches.Take(20)));
        return counts;
    }

    internal static List<string> Mismatches(string path, Dictionary<CvssVersion, int>? counts = null)
    {
        counts ??= [];
        var mismatches = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var columns = line.Split('\t');
            var result = CvssVector.Parse(columns[0]);
            Assert.True(result.IsValid, $"{columns[0]}: {result.Error}");
            // "-" where the oracle gives no such score (no temporal or environmental metric in the vector).
            var expected = columns.Skip(1).Select(c => c == "-" ? double.NaN : double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            double[] actual = result.Vector switch
            {
                Cvss2Vector v => [v.BaseScore, v.TemporalScore, v.EnvironmentalScore],
                Cvss3Vector v => [v.BaseScore, v.TemporalScore, v.EnvironmentalScore],
                Cvss4Vector v => [v.BaseScore, v.OverallScore],
                _ => [],
            };
            if (expected.Length != actual.Length || expected.Where((e, i) => !double.IsNaN(e) && e != actual[i]).Any())
                mismatches.Add($"{columns[0]}: expected {string.Join('/', expected)}, got {string.Join('/', actual)}");
            counts[result.Vector.Version] = counts.GetValueOrDefault(result.Vector.Version) + 1;
        }
        return mismatches;
    }
}
