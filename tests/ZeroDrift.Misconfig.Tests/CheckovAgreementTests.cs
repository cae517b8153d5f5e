using System.Text.Json;
using Xunit.Abstractions;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>
/// Checkov's own per-check examples (TestData/checkov/&lt;CKV id&gt;, copied from bridgecrewio/checkov with their
/// SOURCE) as an oracle: for each resource Checkov expects to pass or fail, does the ZeroDrift check that corresponds
/// agree? The per-check table is in docs/iac.md.
/// </summary>
public sealed class CheckovAgreementTests(ITestOutputHelper output)
{
    [Fact]
    public void ZeroDrift_agrees_with_checkovs_examples_on_at_least_90_percent_of_resources()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "TestData", "checkov");
        int agreeAll = 0, totalAll = 0;
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(dir);
            using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
            var check = expected.RootElement.GetProperty("zerodrift").GetString()!;
            var files = Directory.GetFiles(dir, "*.tf").ToDictionary(f => $"/checkov/{id}/{Path.GetFileName(f)}", File.ReadAllText);
            var warnings = new List<string>();
            var failed = IacScan.Files(files, warnings).Where(f => f.RuleId == check).Select(IacScan.Address).ToHashSet();
            Assert.Empty(warnings);
            int agree = 0, total = 0;
            foreach (var r in expected.RootElement.GetProperty("pass").EnumerateArray().Select(e => e.GetString()!))
            {
                total++;
                if (!failed.Contains(r)) agree++;
                else output.WriteLine($"{id}: {r} passes in Checkov, {check} reports it");
            }
            foreach (var r in expected.RootElement.GetProperty("fail").EnumerateArray().Select(e => e.GetString()!))
            {
                total++;
                if (failed.Contains(r)) agree++;
                else output.WriteLine($"{id}: {r} fails in Checkov, {check} does not report it");
            }
            output.WriteLine($"| {id} | {check} | {agree}/{total} |");
            agreeAll += agree;
            totalAll += total;
        }
        output.WriteLine($"overall {agreeAll}/{totalAll} = {100.0 * agreeAll / totalAll:0.0}%");
        Assert.True(totalAll >= 20, "the oracle should hold at least 20 resources");
        Assert.True(agreeAll >= 0.9 * totalAll, $"agreement {agreeAll}/{totalAll} is below 90%");
    }
}
