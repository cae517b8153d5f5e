namespace ZeroDrift.Misconfig.Tests;

public class DocsTests
{
    [Fact]
    public void Every_check_is_documented_with_its_title_and_severity()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "misconfig.md"));
        foreach (var check in Checks.All)
            Assert.Contains($"| `{check.Id}` | {check.Title} | {check.Severity.ToString().ToLowerInvariant()} |", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_check_has_metadata_a_report_needs()
    {
        Assert.Equal(Checks.All.Count, Checks.All.Select(c => c.Id).Distinct().Count());
        Assert.All(Checks.All, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Description));
            Assert.False(string.IsNullOrWhiteSpace(c.Remediation));
            Assert.StartsWith("https://", Assert.Single(c.References), StringComparison.Ordinal);
        });
    }
}
