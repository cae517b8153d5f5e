using System.Text;
using ZeroDrift.Scanning.Content;

namespace ZeroDrift.Scanning.Tests;

public class BaselineTests
{
    private static Baseline Parse(string json) => Baseline.Parse("b.json", new MemoryStream(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Reads_zerodrift_and_gitleaks_reports()
    {
        var zd = Parse("""{"schemaVersion":1,"contentFindings":[{"fingerprint":"a.env:github-pat:3"},{"ruleId":"x"}]}""");
        Assert.True(zd.Contains("a.env:github-pat:3"));
        Assert.Equal(1, zd.Count);
        var gl = Parse("""[{"RuleID":"aws-access-token","Fingerprint":"0123abc:x.py:aws-access-token:7"}]""");
        Assert.True(gl.Contains("0123abc:x.py:aws-access-token:7"));
        Assert.True(Parse("[]").Count == 0);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"findings":[]}""")]
    [InlineData("""[{"RuleID":"x"}]""")]
    [InlineData("42")]
    public void Anything_else_is_a_format_error_naming_the_file(string json)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith("b.json:", e.Message);
    }
}
