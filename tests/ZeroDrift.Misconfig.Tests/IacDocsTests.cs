using ZeroDrift.Misconfig.Iac.Checks;

namespace ZeroDrift.Misconfig.Tests;

public class IacDocsTests
{
    /// <summary>The row docs/iac.md holds for a check: id, title, severity, benchmark, Checkov id, resource types, fix.</summary>
    internal static string Row(IacCheck c) =>
        $"| `{c.Rule.Id}` | {c.Rule.Title} | {c.Rule.Severity.ToString().ToLowerInvariant()} | {c.Benchmark ?? ""} | {c.Checkov ?? ""} | {string.Join(", ", c.ByType.Keys.Select(t => $"`{t}`"))} | {c.Rule.Remediation} |";

    [Fact]
    public void Every_iac_check_is_documented_with_its_benchmark_checkov_id_and_resource_types()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "iac.md"));
        var missing = IacChecks.All.Select(Row).Where(r => !doc.Contains(r, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "docs/iac.md lacks these rows:\n" + string.Join("\n", missing));
    }
}
