using System.Text.RegularExpressions;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Core.Tests.Patterns;

public class LinearRegexTests
{
    [Fact]
    public void Every_pattern_runs_on_the_linear_time_engine()
    {
        var regex = LinearRegex.Compile(@"(a+)+$");
        Assert.Equal(RegexOptions.NonBacktracking, regex.Options & RegexOptions.NonBacktracking);
        // The classic catastrophic-backtracking input: decided, and without a match.
        Assert.DoesNotMatch(regex, new string('a', 50_000) + "!");
    }

    [Theory]
    // gitleaks' issue-15 input: 100 x 100 x 100 copies of 'a'; RE2 (and Go's regexp) refuse it as "invalid repeat count".
    [InlineData(@"((a{1,100}){1,100}){1,100}b", "10000 copies")]
    [InlineData(@"(a{1,30}){1,40}", "1200 copies")]
    [InlineData(@"(?:x{2}){501}", "1002 copies")]
    [InlineData(@"a{1001}", "repetition count 1001")]
    [InlineData(@"a{2,1001}", "repetition count 1001")]
    [InlineData(@"a{99999999999}", "exceeds RE2's limit")]
    public void Refuses_the_repetitions_re2_refuses(string re2, string reason)
    {
        var e = Assert.Throws<Re2TranslationException>(() => LinearRegex.Compile(re2));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(@"a{1000}")]
    [InlineData(@"(a{1,10}){1,100}")]
    [InlineData(@"[a-z0-9]{32}(?:x{2}){500}")]
    [InlineData(@"a{2,}b*c+d?{x")]           // an unbounded count weighs its minimum; "{x" is a literal brace
    [InlineData(@"[{]{1,1000}\{2000}")]      // braces in a class or escaped are no quantifier
    public void Accepts_what_re2_accepts(string re2) => LinearRegex.Compile(re2);

    [Fact]
    public void A_pattern_the_engine_would_unfold_past_its_limit_is_refused_before_it_is_built()
    {
        // Each count is within RE2's limits, the whole is 11 x 1000 states: refused by the size check, named.
        var pattern = string.Concat(Enumerable.Repeat("[a-z]{1000}", 11));
        Assert.True(LinearRegex.UnfoldedSize(Re2Translator.Translate(pattern)) > LinearRegex.MaxUnfoldedSize);
        var e = Assert.Throws<Re2TranslationException>(() => LinearRegex.Compile(pattern));
        Assert.Contains("unfolds to about", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_engine_refuses_is_refused_with_its_reason()
    {
        // .NET syntax that slipped past the translator: a named backreference.
        var e = Assert.Throws<Re2TranslationException>(() => LinearRegex.CompileTranslated(@"(?<x>a)\k<x>"));
        Assert.Contains("linear-time engine refuses it", e.Message, StringComparison.Ordinal);
        Assert.Throws<Re2TranslationException>(() => LinearRegex.CompileTranslated(@"(a"));
    }

    [Fact]
    public void Nesting_deeper_than_re2_allows_is_refused_without_recursion()
    {
        var deep = new string('(', 100_000) + "a" + new string(')', 100_000);
        var e = Assert.Throws<Re2TranslationException>(() => LinearRegex.Check(deep));
        Assert.Contains("nest deeper than 1000", e.Message, StringComparison.Ordinal);
    }
}
