using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>A RubyGems version: <c>Gem::Version</c>'s canonical segments (numbers, then the pre-release words and numbers).</summary>
public sealed class RubyGemsVersion(string original, object[] segments) : IComparable<RubyGemsVersion>
{
    public string Original { get; } = original;

    /// <summary>Canonical segments: digit strings (leading zeros removed) and words, trailing zeros of each part dropped.</summary>
    public IReadOnlyList<object> Segments { get; } = segments;

    public bool IsPreRelease => Segments.Any(s => s is string);

    /// <summary><c>Gem::Version#&lt;=&gt;</c>: pads with 0; a word is below a number; words by bytes, numbers by value.</summary>
    public int CompareTo(RubyGemsVersion? other)
    {
        if (other is null) return 1;
        for (var i = 0; i < Math.Max(Segments.Count, other.Segments.Count); i++)
        {
            var l = i < Segments.Count ? Segments[i] : Number.Zero;
            var r = i < other.Segments.Count ? other.Segments[i] : Number.Zero;
            var c = (l, r) switch
            {
                (Number a, Number b) => Chars.CompareDigits(a.Digits, b.Digits),
                (string a, string b) => Chars.Ordinal(a, b),
                (string, Number) => -1,
                _ => 1,
            };
            if (c != 0) return c;
        }
        return 0;
    }

    internal sealed record Number(string Digits)
    {
        public static readonly Number Zero = new("0");

        public override string ToString() => Digits;
    }

    public override string ToString() => Original;
}

/// <summary>
/// RubyGems (<c>Gem::Version</c>): "-" means ".pre.", segments are runs of digits or of letters, any letter
/// makes a pre-release that sorts before the release, trailing zeros do not count (1.0 = 1). Like osv-scalibr,
/// digits and letters need no dot between them (1.0a1), which <c>Gem::Version.new</c> would refuse but gem
/// authors and advisories write; a version must still start with a digit.
/// </summary>
public sealed partial class RubyGemsScheme : VersionScheme<RubyGemsVersion>
{
    public override string Name => "RubyGems";

    [GeneratedRegex("[0-9]+|[a-z]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Segment();

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out RubyGemsVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        if (!Chars.IsDigit(text[0]))
        {
            error = "it does not start with a digit";
            return false;
        }
        var raw = Segment().Matches(text.Replace("-", ".pre.", StringComparison.Ordinal))
            .Select(m => Chars.IsDigit(m.Value[0]) ? (object)new RubyGemsVersion.Number(Chars.CanonicalDigits(m.Value)) : m.Value)
            .ToList();
        var firstWord = raw.FindIndex(s => s is string);
        var numbers = firstWord < 0 ? raw : raw[..firstWord];
        var words = firstWord < 0 ? [] : raw[firstWord..];
        version = new RubyGemsVersion(text, [.. DropTrailingZeros(numbers), .. DropTrailingZeros(words)]);
        error = null;
        return true;
    }

    private static List<object> DropTrailingZeros(List<object> segments)
    {
        var end = segments.Count;
        while (end > 0 && segments[end - 1] is RubyGemsVersion.Number { Digits: "0" }) end--;
        return segments[..end];
    }
}
