using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// An apk version <c>number{.number}…{letter}{_suffix{number}}…{~hash}{-r#}</c> (apk-package(5)). A version
/// that does not follow the grammar keeps what was read and the unread remainder, as <c>apk version -t</c> still
/// orders such versions.
/// </summary>
public sealed partial class AlpineVersion : IComparable<AlpineVersion>
{
    /// <summary>Suffix ranks: the pre-release suffixes, then none, then the post-release ones.</summary>
    private static readonly string[] SuffixOrder = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];

    private const int NoSuffix = 4;

    private AlpineVersion(string original) => Original = original;

    public string Original { get; }

    /// <summary>False when the version strays from apk's grammar.</summary>
    public bool IsWellFormed { get; private set; } = true;

    public IReadOnlyList<string> Numbers { get; private set; } = [];

    public char? Letter { get; private set; }

    public IReadOnlyList<(int Rank, string Number)> Suffixes { get; private set; } = [];

    /// <summary>The commit hash after <c>~</c>; not ordered, since hashes have no order.</summary>
    public string? Hash { get; private set; }

    public string Revision { get; private set; } = "0";

    public string Remainder { get; private set; } = "";

    [GeneratedRegex(@"^(\d+\.?)*", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPart();

    [GeneratedRegex(@"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)", RegexOptions.CultureInvariant)]
    private static partial Regex SuffixPart();

    [GeneratedRegex(@"^~[0-9a-f]+", RegexOptions.CultureInvariant)]
    private static partial Regex HashPart();

    [GeneratedRegex(@"^-r(\d*)", RegexOptions.CultureInvariant)]
    private static partial Regex RevisionPart();

    internal static AlpineVersion Parse(string text)
    {
        var v = new AlpineVersion(text);
        var rest = text;

        var numbers = NumberPart().Match(rest).Value;
        if (numbers.Length > 0)
        {
            // "1." keeps an empty last component, which compares as text like any other.
            v.Numbers = numbers.Split('.');
            rest = rest[numbers.Length..];
        }

        if (rest.Length > 0 && rest[0] is >= 'a' and <= 'z')
        {
            v.Letter = rest[0];
            rest = rest[1..];
        }

        var suffixes = new List<(int, string)>();
        foreach (Match m in SuffixPart().Matches(rest))
        {
            suffixes.Add((Array.IndexOf(SuffixOrder, m.Groups[1].Value), m.Groups[2].Value.Length == 0 ? "0" : m.Groups[2].Value));
            if (rest.StartsWith(m.Value, StringComparison.Ordinal)) rest = rest[m.Value.Length..];
        }
        v.Suffixes = suffixes;

        var hash = HashPart().Match(rest);
        if (hash.Success)
        {
            v.Hash = hash.Value[1..];
            rest = rest[hash.Length..];
        }

        if (rest.Length > 0)
        {
            var revision = RevisionPart().Match(rest);
            if (revision.Success)
            {
                v.Revision = revision.Groups[1].Value.Length == 0 ? "0" : revision.Groups[1].Value;
                rest = rest[revision.Length..];
            }
            else
            {
                v.IsWellFormed = false;
            }
        }
        v.Remainder = rest;
        return v;
    }

    public int CompareTo(AlpineVersion? other)
    {
        if (other is null) return 1;
        if (!IsWellFormed && !other.IsWellFormed) return Chars.Ordinal(Original, other.Original);
        var c = CompareNumbers(other);
        if (c != 0) return c;
        c = CompareLetters(other);
        if (c != 0) return c;
        c = CompareSuffixes(other);
        if (c != 0) return c;
        c = Chars.CompareDigits(Revision, other.Revision);
        if (c != 0) return c;
        // Whatever could not be read ranks below nothing left over.
        return (Remainder.Length == 0).CompareTo(other.Remainder.Length == 0);
    }

    /// <summary>
    /// The first component compares by value; later ones too, unless one starts with 0, when apk compares them
    /// as text (fractional digits: 1.01 &lt; 1.1).
    /// </summary>
    private int CompareNumbers(AlpineVersion other)
    {
        for (var i = 0; i < Math.Max(Numbers.Count, other.Numbers.Count); i++)
        {
            var a = i < Numbers.Count ? Numbers[i] : "0";
            var b = i < other.Numbers.Count ? other.Numbers[i] : "0";
            var bothLater = i > 0 && i < Numbers.Count && i < other.Numbers.Count;
            int c;
            if (bothLater && (a.StartsWith('0') || b.StartsWith('0'))) c = Chars.Ordinal(a, b);
            else c = Chars.CompareDigits(a, b);
            if (c != 0) return c;
        }
        return 0;
    }

    private int CompareLetters(AlpineVersion other)
    {
        if (Letter == other.Letter) return 0;
        if (Letter is null) return -1;
        if (other.Letter is null) return 1;
        return Letter.Value.CompareTo(other.Letter.Value);
    }

    private int CompareSuffixes(AlpineVersion other)
    {
        for (var i = 0; i < Math.Max(Suffixes.Count, other.Suffixes.Count); i++)
        {
            var a = i < Suffixes.Count ? Suffixes[i] : (NoSuffix, "0");
            var b = i < other.Suffixes.Count ? other.Suffixes[i] : (NoSuffix, "0");
            if (a.Item1 != b.Item1) return a.Item1.CompareTo(b.Item1);
            var c = Chars.CompareDigits(a.Item2, b.Item2);
            if (c != 0) return c;
        }
        return 0;
    }

    public override string ToString() => Original;
}

/// <summary>
/// Alpine, Wolfi, Chainguard, MinimOS and other apk distributions: apk-tools' version order. Numbers, then an
/// optional letter, then suffixes _alpha &lt; _beta &lt; _pre &lt; _rc &lt; (none) &lt; _cvs &lt; _svn &lt; _git &lt;
/// _hg &lt; _p, then the <c>-rN</c> package revision. Versions outside the grammar are still ordered as
/// <c>apk version -t</c> orders them (two such versions by plain text), never refused.
/// </summary>
public sealed class AlpineScheme(string name = "Alpine") : VersionScheme<AlpineVersion>
{
    public override string Name { get; } = name;

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out AlpineVersion version, [NotNullWhen(false)] out string? error)
    {
        version = AlpineVersion.Parse(text);
        error = null;
        return true;
    }
}
