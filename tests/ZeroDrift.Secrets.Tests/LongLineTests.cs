using System.Text;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

/// <summary>On a long line a bounded rule runs only near its keyword: the same findings, in a fraction of the text.</summary>
public class LongLineTests
{
    [Theory]
    [InlineData(@"abc", 3)]
    [InlineData(@"(?i)(?:aws)[0-9A-Za-z_.-]{0,20}x", 24)]
    [InlineData(@"(ghp_[0-9A-Za-z]{36})(?:[\x60'""\s;,.)\]}>&<|#]|\\[nr]|$)", 42)]
    [InlineData(@"a|bcd|ef", 3)]
    [InlineData(@"(?<v>[a-f]{8})\b\u0041\p{L}[^x]", 11)]
    [InlineData(@"\$\{(?:[A-Z_]+|[a-z_]+)\}", null)]
    [InlineData(@"\$\{(?:[A-Z_]{1,5}|[a-z_])\}", 8)]
    [InlineData(@"a{2}b{1,}", null)]
    [InlineData(@"x+", null)]
    [InlineData(@"(a)\1", null)]
    [InlineData(@"(?i:ab)?c{0,3}?", 5)]
    public void Max_match_length_is_measured_or_declared_unknown(string pattern, int? expected) =>
        Assert.Equal(expected, MaxMatchLength.Of(pattern));

    [Fact]
    public void Every_built_in_token_and_assignment_rule_is_bounded()
    {
        var unbounded = BuiltInRules.RuleSet.Rules.Where(r => r.Matcher is { MaxLength: null }).Select(r => r.Id).ToList();
        // Key blocks, JWTs (also in base64), Fly.io macaroons, headers and curl command lines (continued with '\') stay
        // unbounded: they run over the whole line, or the lines their pattern can span.
        Assert.True(unbounded.Count <= 29, string.Join(", ", unbounded));
        Assert.DoesNotContain("generic-api-key", unbounded);
        Assert.DoesNotContain("github-pat", unbounded);
        Assert.DoesNotContain("url-password", unbounded);
    }

    /// <summary>Minified-code filler: identifiers, punctuation, digits; none of the rules' keywords.</summary>
    private static string Filler(Random random, int length)
    {
        const string alphabet = "qwrzxvbnmQWRZXVBNM0123456789(){}=;,. ";
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++) sb.Append(alphabet[random.Next(alphabet.Length)]);
        return sb.ToString();
    }

    [Fact]
    public void Secrets_on_a_long_line_are_found_as_when_the_whole_line_is_searched()
    {
        var bounded = new SecretScanner(BuiltInRules.RuleSet);
        var whole = new SecretScanner(BuiltInRules.RuleSet, boundWindows: false);
        var random = new Random(4);
        var samples = BuiltInRuleSamples.Rows.Select(r => BuiltInRulesTests.SampleLine(r.Id)).Where(l => !l.Contains('\n')).ToList();
        var total = 0;
        // Lines of 30-60 K characters (within one 64 K chunk): samples far apart, and some close together.
        foreach (var batch in samples.Chunk(8))
        {
            var line = new StringBuilder();
            foreach (var sample in batch)
                line.Append(Filler(random, random.Next(2) == 0 ? random.Next(3000, 6000) : random.Next(0, 40))).Append(' ').Append(sample).Append(' ');
            line.Append(Filler(random, 5000));
            var text = line.ToString() + "\n";
            var expected = whole.Scan("app.js", new StringReader(text)).Select(f => (f.RuleId, f.Secret, f.Match, f.Column)).ToList();
            var found = bounded.Scan("app.js", new StringReader(text)).Select(f => (f.RuleId, f.Secret, f.Match, f.Column)).ToList();
            Assert.Equal(expected.Order(), found.Order());
            total += found.Count;
        }
        Assert.True(total >= samples.Count * 9 / 10, $"{total} findings for {samples.Count} samples");
    }

    [Fact]
    public void A_token_cut_by_a_window_edge_is_not_reported()
    {
        var scanner = new SecretScanner(BuiltInRules.RuleSet);
        // A 4,000-character value after a key name: too long for any rule, so nothing on this line is a secret, although
        // a window cut 2L after the keyword would end in the middle of it.
        var value = string.Concat(Enumerable.Range(0, 500).Select(i => "aB3dE5fG"[i % 8] + (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var line = new string('x', 10_000) + " api_key = " + value + value + value + value + " " + new string('y', 10_000);
        Assert.Empty(scanner.Scan("app.js", new StringReader(line + "\n")));
    }
}
