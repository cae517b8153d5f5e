using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

/// <summary>
/// Whether a rule runs beyond its keyword's line is read from what its pattern can match (a class or escape that admits
/// a line end, dot-all, an explicit <c>\n</c>), not from how the pattern is spelled (issue 17).
/// </summary>
public class MultiLineTests
{
    [Theory]
    [InlineData(@"abc", 0)]
    [InlineData(@"[ \t]{0,5}x", 0)]
    [InlineData(@"\S{3}[\w.-]{0,20}", 0)]
    [InlineData(@"[^\s""']{1,10}", 0)]
    [InlineData(@"a.{0,9}b", 0)]                    // '.' stops at a line end...
    [InlineData(@"(?s:a.{0,9}b)", 9)]               // ...except in dot-all mode
    [InlineData(@"(?s)a.{0,3}", 3)]
    [InlineData(@"(?:(?s)a.)b.", 1)]                // an inline (?s) holds to the end of its group only
    [InlineData(@"[\s'""]{0,3}=", 3)]               // \s inside a class admits \n
    [InlineData(@"[^""]{0,4}", 4)]                  // so does a negated class without \n
    [InlineData(@"[^""\n]{0,4}", 0)]
    [InlineData(@"[\x00-\x7f]{2}", 2)]              // a range that spans \n
    [InlineData(@"[\W]", 1)]
    [InlineData(@"\p{Cc}|\P{L}", 1)]
    [InlineData(@"\p{L}{1,9}", 0)]
    [InlineData(@"a\r?\nb", 1)]
    [InlineData(@"a(?:\r?\n[ \t]{0,16})?b", 1)]
    [InlineData(@"[\s\S]{1,}", null)]               // unbounded: runs over the whole chunk
    [InlineData(@"\\n", 0)]                         // a backslash then n, inside a string: not a line end
    [InlineData(@"(?m:^)a$", 0)]
    [InlineData(@"(a)\1", null)]                    // not measured: the worst is assumed
    public void Line_ends_a_pattern_can_match_are_counted(string pattern, int? expected) =>
        Assert.Equal(expected, MaxMatchLength.Newlines(pattern));

    [Fact]
    public void A_gitleaks_rule_whose_class_admits_a_line_end_finds_a_secret_on_the_line_after_its_name()
    {
        // gitleaks' own shape: the name in one element or key, the value on the next line. [\s'"] spans the line end,
        // so the rule must see the keyword's line and the next one (the pattern has no (?s, [\s\S or \n).
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "acme-token"
            regex = '''(?i)acme[\w.-]{0,20}token[\s'">]{0,8}([a-f0-9]{32})\b'''
            keywords = ["acme"]
            """);
        var text = "<config>\n  <acmeToken>\n    0123456789abcdef0123456789abcdef\n  </acmeToken>\n</config>\n";
        var finding = Assert.Single(new SecretScanner(set).Scan("app.xml", new StringReader(text)));
        Assert.Equal("0123456789abcdef0123456789abcdef", finding.Secret);
        Assert.Equal(2, finding.Line);
    }

    [Fact]
    public void A_rule_that_cannot_match_a_line_end_does_not_join_lines()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "acme-token"
            regex = '''(?i)acme[\w.-]{0,20}token[ \t'">]{0,8}([a-f0-9]{32})\b'''
            keywords = ["acme"]
            """);
        var text = "<acmeToken>\n0123456789abcdef0123456789abcdef\n</acmeToken>\n";
        Assert.Empty(new SecretScanner(set).Scan("app.xml", new StringReader(text)));
    }

    [Fact]
    public void A_built_in_assignment_finds_a_value_on_the_next_line_but_not_two_lines_down()
    {
        var scanner = new SecretScanner(BuiltInRules.RuleSet);
        const string token = "9f2c4e7a1b3d5f608e2a4c6b8d0f1e3a";
        var next = scanner.Scan("app.xml", new StringReader("<twilioAuthToken>\n  " + token + "\n</twilioAuthToken>\n"));
        Assert.Contains(next, f => f.RuleId == "twilio-auth-token" && f.Secret == token && f.Line == 1);
        var far = scanner.Scan("app.xml", new StringReader("<twilioAuthToken>\n\n  " + token + "\n</twilioAuthToken>\n"));
        Assert.DoesNotContain(far, f => f.RuleId == "twilio-auth-token");
    }
}
