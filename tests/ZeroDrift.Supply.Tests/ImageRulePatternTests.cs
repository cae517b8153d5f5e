using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Supply.Tests;

/// <summary>Image patterns meet image names from admission requests, which an attacker writes.</summary>
public sealed class ImageRulePatternTests
{
    private static ImageRule Rule(string pattern) => new("", [pattern], [], KeyRequirement.All, [], null, false, false, null, false);

    [Fact]
    public void A_pattern_of_many_stars_against_a_long_crafted_name_is_decided_on_the_linear_time_engine()
    {
        // On a backtracking engine this is polynomial of a high degree; it used to end in a match timeout exception.
        var rule = Rule(string.Concat(Enumerable.Repeat("a*", 40)) + "b");
        Assert.False(rule.Matches("registry.example/" + new string('a', 20_000)));
        Assert.True(rule.Matches(new string('a', 40) + "b"));
    }

    [Theory]
    [InlineData("ghcr.io/org/*", "ghcr.io/org/app", true)]
    [InlineData("ghcr.io/org/*", "ghcr.io/org/team/app", false)]
    [InlineData("ghcr.io/**", "ghcr.io/org/team/app", true)]
    [InlineData("ghcr.io/org/ap?", "ghcr.io/org/app", true)]
    [InlineData("ghcr.io/org/a.p", "ghcr.io/org/axp", false)] // a dot is a dot
    public void Globs_keep_their_meaning(string pattern, string name, bool matches) => Assert.Equal(matches, Rule(pattern).Matches(name));
}
