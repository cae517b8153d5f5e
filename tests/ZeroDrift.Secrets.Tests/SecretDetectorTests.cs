using System.Text;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Secrets.Tests;

public class SecretDetectorTests
{
    private static readonly string Token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";

    private static List<ContentFinding> Scan(string text, bool show = false) =>
        new SecretDetector(new SecretScanner(BuiltInRules.RuleSet), show)
            .Scan("/srv/app.env", new MemoryStream(Encoding.UTF8.GetBytes(text)), _ => { }, CancellationToken.None).ToList();

    [Fact]
    public void A_secret_becomes_a_redacted_content_finding_with_span_fingerprint_and_entropy()
    {
        var f = Assert.Single(Scan($"# x\nGITHUB_TOKEN={Token}\n"));
        Assert.Equal(FindingClass.Secret, f.Class);
        Assert.Equal("github-pat", f.RuleId);
        Assert.Equal(Severity.High, f.Severity);
        Assert.Equal(new TextSpan(2, 14, 2, 13 + Token.Length), f.Span);
        Assert.Equal("srv/app.env:github-pat:2", f.Fingerprint);
        Assert.DoesNotContain(Token, f.Match);
        Assert.DoesNotContain(Token, f.Message);
        Assert.True(double.Parse(f.Properties["entropy"], System.Globalization.CultureInfo.InvariantCulture) > 3);
        Assert.False(f.Properties.ContainsKey("secret"));
    }

    [Fact]
    public void Show_secrets_keeps_them_in_clear()
    {
        var f = Assert.Single(Scan($"GITHUB_TOKEN={Token}\n", show: true));
        Assert.Equal(Token, f.Match);
        Assert.Equal(Token, f.Properties["secret"]);
    }

    [Fact]
    public void A_generic_finding_over_a_specific_one_is_dropped()
    {
        var findings = Scan("aws_access_key_id = AKIA" + "Z3MSJV4WWNKWW5FG\n");
        Assert.Equal(["aws-access-key-id"], findings.Select(f => f.RuleId));
    }

    [Fact]
    public void Rule_metadata_covers_every_rule()
    {
        var d = new SecretDetector(new SecretScanner(BuiltInRules.RuleSet));
        Assert.Equal(BuiltInRules.RuleSet.Rules.Count, d.Rules.Count);
        Assert.All(d.Rules, r => Assert.False(string.IsNullOrEmpty(r.Remediation)));
        Assert.Equal(Severity.Critical, d.Rules.Single(r => r.Id == "pem-private-key").Severity);
        Assert.Equal(Severity.High, d.Rules.Single(r => r.Id == "github-pat").Severity);
    }
}
