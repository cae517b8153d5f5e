using System.Text.RegularExpressions;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Core.Tests.Patterns;

public class Re2TranslatorTests
{
    [Theory]
    [InlineData(@"(?P<key>[a-z]+)=1", "(?<key>[a-z]+)=1")]
    [InlineData(@"[[:alnum:]]{4}", "[0-9A-Za-z]{4}")]
    [InlineData(@"[[:xdigit:]_]+", "[0-9A-Fa-f_]+")]
    [InlineData(@"\Qa.b*c\E+", @"a\.b\*c+")]
    [InlineData(@"\x{41}\x20", @"\u0041\x20")]
    [InlineData(@"\pL\p{Lu}\PN", @"\p{L}\p{Lu}\P{N}")]
    [InlineData(@"a\z", @"a\z")]
    [InlineData(@"\d\w\s", @"[0-9][0-9A-Za-z_][\t\n\f\r ]")]
    [InlineData(@"[\w.-]", @"[0-9A-Za-z_.-]")]
    [InlineData(@"[]a]", @"[\]a]")]
    [InlineData(@"[a[]", @"[a\[]")]
    [InlineData(@"(?i)x(?-i:Y)(?s:.)", @"(?i)x(?-i:Y)(?s:.)")]
    public void Translates_re2_spellings_to_dotnet(string re2, string expected) =>
        Assert.Equal(expected, Re2Translator.Translate(re2));

    [Theory]
    [InlineData(@"(?U)a+", "ungreedy")]
    [InlineData(@"a\C", "any byte")]
    [InlineData(@"\p{Greek}", "script")]
    [InlineData(@"[[:^alpha:]x]", "negated POSIX")]
    [InlineData(@"[[:nope:]]", "unknown POSIX")]
    [InlineData(@"(a)\1", "backreference")]
    [InlineData(@"(?=a)", "lookaround")]
    [InlineData(@"(?>a+)b", "flag")]
    public void Refuses_what_has_no_equivalent(string re2, string reason)
    {
        var e = Assert.Throws<Re2TranslationException>(() => Re2Translator.Translate(re2));
        Assert.Contains(reason, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Ascii_classes_keep_re2_meaning()
    {
        var regex = LinearRegex.Compile(@"^\w+$");
        Assert.Matches(regex, "abc_123");
        Assert.DoesNotMatch(regex, "héllo");   // RE2's \w is ASCII only
    }
}
