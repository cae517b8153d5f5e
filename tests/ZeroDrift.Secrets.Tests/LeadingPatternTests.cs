using System.Text.RegularExpressions;
using ZeroDrift.Core.Patterns;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

public class LeadingWordBoundaryTests
{
    [Theory]
    [InlineData(@"\b(ghp_[a-z]{4})", true, "(ghp_[a-z]{4})")]
    [InlineData(@"\bfoo|bar", false, null)]
    [InlineData(@"\b(?:a|b)x", true, "(?:a|b)x")]
    [InlineData(@"\b[|]x", true, "[|]x")]
    [InlineData(@"x\b", false, null)]
    public void A_leading_boundary_is_split_off_only_when_it_covers_the_whole_pattern(string net, bool stripped, string? rest)
    {
        Assert.Equal(stripped, Re2Translator.TryStripLeadingWordBoundary(net, out var r));
        if (stripped) Assert.Equal(rest, r);
    }

    [Fact]
    public void The_boundary_is_still_enforced_with_RE2s_ascii_meaning()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "tok"
            regex = '''\b(tok_[a-z0-9]{8})\b'''
            keywords = ["tok_"]
            """);
        Assert.True(set.Rules[0].Matcher!.LeadingWordBoundary);
        var scanner = new SecretScanner(set);
        Assert.Empty(scanner.Scan("f", new StringReader("xtok_abcd1234\n_tok_abcd1234\n")));
        Assert.Equal([1, 2, 3], scanner.Scan("f", new StringReader("tok_abcd1234\n(tok_abcd1234)\nétok_abcd1234\n")).Select(f => f.Line));
        // Allowlist regexes keep their boundary too.
        var allow = new LazyRegex(@"\bdemo");
        Assert.True(allow.IsMatch("a demo"));
        Assert.False(allow.IsMatch("ademo"));
    }
}

public class LeadingIdentifierPrefixTests
{
    [Theory]
    [InlineData(@"(?i)[0-9A-Za-z_.-]{0,50}?(?:aws)x", true, "(?i)(?:aws)x", 50)]
    [InlineData(@"[0-9A-Za-z_.-]{0,30}?secret", true, "secret", 30)]
    [InlineData(@"(?i)[0-9A-Za-z_.-]{0,50}?a|b", false, null, 0)]
    [InlineData(@"(?i)[0-9A-Za-z_.-]{0,50}a", false, null, 0)]
    [InlineData(@"(?i)[0-9A-Za-z_.-]{1,50}?a", false, null, 0)]
    [InlineData(@"x[0-9A-Za-z_.-]{0,50}?a", false, null, 0)]
    public void A_lazy_identifier_prefix_is_split_off_only_when_it_may_be_empty_and_covers_the_whole_pattern(string net, bool stripped, string? rest, int max)
    {
        Assert.Equal(stripped, Re2Translator.TryStripLeadingIdentifierPrefix(net, out var r, out var n));
        if (!stripped) return;
        Assert.Equal(rest, r);
        Assert.Equal(max, n);
    }

    /// <summary>Findings are where the whole pattern's leftmost match is: same column, same match text.</summary>
    [Theory]
    [InlineData("aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ\"")]
    [InlineData("    export MY_APP_AWS_PROD_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ")]
    [InlineData("x: {a.b-c.some_very_long_identifier_that_goes_on_and_on_and_on_aws_secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ'}")]
    [InlineData("=aws.secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ and more aws_secret=xJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ")]
    public void A_finding_starts_where_the_unstripped_pattern_matches(string line)
    {
        const string re2 = @"(?i)[\w.-]{0,50}?(?:aws[\w.-]{0,20}secret|secret_?access_?key)(?:[ \t\w.-]{0,20})[\s'""]{0,3}(?:=|:)[\x60'""\s=]{0,5}([A-Za-z0-9/+]{40})";
        var set = SecretRuleSet.ParseGitleaks($"""
            [[rules]]
            id = "k"
            regex = '''{re2}'''
            keywords = ["secret"]
            """);
        Assert.Equal(50, set.Rules[0].Matcher!.PrefixMaxLength);
        var whole = new System.Text.RegularExpressions.Regex(Re2Translator.Translate(re2), System.Text.RegularExpressions.RegexOptions.NonBacktracking);
        var expected = whole.Matches(line).Select(m => (Column: m.Index + 1, m.Value)).ToList();
        Assert.NotEmpty(expected);
        var found = new SecretScanner(set).Scan("f", new StringReader("first line\n" + line + "\n")).Select(f => (Column: f.Column, Value: f.Match)).ToList();
        Assert.Equal(expected, found);
    }
}
