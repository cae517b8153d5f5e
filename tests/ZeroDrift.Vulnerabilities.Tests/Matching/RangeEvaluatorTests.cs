using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Osv;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Tests.Matching;

public class RangeEvaluatorTests
{
    /// <summary>Dotted integers only; anything else cannot be compared (as a malformed version would).</summary>
    private sealed class Dotted : VersionScheme
    {
        public override string Name => "dotted";

        public override bool IsValid(string? version, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
        {
            error = TryParse(version, out _) ? null : $"'{version}' is not dotted integers";
            return error is null;
        }

        public override VersionComparison Compare(string? a, string? b)
        {
            if (!TryParse(a, out var x)) return VersionComparison.Failed($"'{a}' is not dotted integers");
            if (!TryParse(b, out var y)) return VersionComparison.Failed($"'{b}' is not dotted integers");
            for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
            {
                var c = (i < x.Length ? x[i] : 0).CompareTo(i < y.Length ? y[i] : 0);
                if (c != 0) return VersionComparison.Of(c);
            }
            return VersionComparison.Of(0);
        }

        private static bool TryParse(string? s, out int[] parts)
        {
            parts = [];
            if (s is null) return false;
            var split = s.Split('.');
            if (split.Any(p => !int.TryParse(p, out _))) return false;
            parts = split.Select(int.Parse).ToArray();
            return true;
        }
    }

    private static OsvAffected Affected(params OsvEvent[] events) => new()
    {
        Ranges = [new OsvRange { Type = "ECOSYSTEM", Events = events }],
    };

    private static OsvEvent I(string v) => new() { Introduced = v };
    private static OsvEvent F(string v) => new() { Fixed = v };
    private static OsvEvent L(string v) => new() { LastAffected = v };
    private static OsvEvent Limit(string v) => new() { Limit = v };

    private static RangeVerdict Eval(OsvAffected a, string v) => RangeEvaluator.Evaluate(a, v, new Dotted(), null);

    [Theory]
    [InlineData("1.5", true, "2.0")]
    [InlineData("0", true, "2.0")]
    [InlineData("2.0", false, null)]
    [InlineData("2.1", false, null)]
    public void Introduced_zero_until_fixed(string version, bool affected, string? fix)
    {
        var v = Eval(Affected(I("0"), F("2.0")), version);
        Assert.Equal(affected, v.Affected);
        Assert.Equal(fix, v.FixedIn);
    }

    [Theory]
    [InlineData("0.9", false)]
    [InlineData("1.0", true)]
    [InlineData("1.5", true)]
    [InlineData("1.5.1", false)]
    public void Last_affected_is_inclusive(string version, bool affected)
    {
        var v = Eval(Affected(I("1.0"), L("1.5")), version);
        Assert.Equal(affected, v.Affected);
        if (affected)
        {
            Assert.Equal("1.5", v.Evidence!.LastAffected);
            Assert.Null(v.FixedIn);
        }
    }

    [Theory]
    [InlineData("1.1", true, "1.2")]
    [InlineData("1.5", false, null)]
    [InlineData("2.1", true, "2.3")]
    [InlineData("2.3", false, null)]
    public void Several_intervals_in_one_range_in_any_order(string version, bool affected, string? fix)
    {
        var ordered = Eval(Affected(I("1.0"), F("1.2"), I("2.0"), F("2.3")), version);
        var shuffled = Eval(Affected(F("2.3"), I("2.0"), F("1.2"), I("1.0")), version);
        Assert.Equal(affected, ordered.Affected);
        Assert.Equal(affected, shuffled.Affected);
        Assert.Equal(fix, ordered.FixedIn);
        if (affected) Assert.Equal(fix, ordered.Evidence!.Fixed);
    }

    [Fact]
    public void A_limit_bounds_the_range()
    {
        var a = Affected(I("0"), Limit("3.0"));
        Assert.True(Eval(a, "2.9").Affected);
        Assert.False(Eval(a, "3.0").Affected);
    }

    [Fact]
    public void The_versions_list_matches_exactly_and_git_ranges_only_through_it()
    {
        var a = new OsvAffected
        {
            Versions = ["1.4"],
            Ranges = [new OsvRange { Type = "GIT", Repo = "https://example.org/r.git", Events = [I("0"), F("abcdef")] }],
        };
        var hit = Eval(a, "1.4");
        Assert.True(hit.Affected);
        Assert.Equal("versions", hit.Evidence!.Kind);
        Assert.False(Eval(a, "1.5").Affected);
    }

    [Fact]
    public void A_version_that_cannot_be_compared_is_never_not_affected()
    {
        var v = Eval(Affected(I("1.0"), F("2.0")), "1.x-weird");
        Assert.Null(v.Affected);
        Assert.Contains("dotted cannot compare '1.x-weird'", v.Error);
    }

    [Fact]
    public void The_smallest_fix_above_the_version_is_taken_across_ranges()
    {
        var a = new OsvAffected
        {
            Ranges =
            [
                new OsvRange { Type = "ECOSYSTEM", Events = [I("0"), F("3.0")] },
                new OsvRange { Type = "ECOSYSTEM", Events = [I("0"), F("2.5")] },
                new OsvRange { Type = "ECOSYSTEM", Events = [I("0"), F("1.0")] },
            ],
        };
        Assert.Equal("2.5", Eval(a, "2.0").FixedIn);
    }
}
