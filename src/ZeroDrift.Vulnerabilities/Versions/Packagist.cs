using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>A Packagist (Composer) version, compared as PHP's <c>version_compare</c> after Composer drops a leading <c>v</c>.</summary>
public sealed class PackagistVersion(string original, string withoutPrefix) : IComparable<PackagistVersion>
{
    public string Original { get; } = original;

    internal string Text { get; } = withoutPrefix;

    public int CompareTo(PackagistVersion? other)
    {
        if (other is null) return 1;
        // PHP answers -1 both ways for some identical strings ("1.2.3.#"); an order must be reflexive.
        if (string.Equals(Text, other.Text, StringComparison.Ordinal)) return 0;
        return Math.Sign(VersionCompare(Text, other.Text));
    }

    /// <summary>PHP's special forms, matched as prefixes in this order: dev &lt; alpha = a &lt; beta = b &lt; RC = rc &lt; # (a number) &lt; pl = p.</summary>
    private static readonly (string Name, int Order)[] SpecialForms =
        [("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5)];

    private static int SpecialOrder(string form)
    {
        foreach (var (name, order) in SpecialForms)
            if (form.StartsWith(name, StringComparison.Ordinal)) return order;
        return -1; // unknown words rank below dev
    }

    private static int CompareSpecial(string a, string b) => SpecialOrder(a).CompareTo(SpecialOrder(b));

    /// <summary>php_canonicalize_version: "-", "_", "+" and other punctuation become ".", and digit/non-digit transitions get one.</summary>
    internal static string Canonicalize(string v)
    {
        static bool IsDig(char c) => Chars.IsDigit(c);
        static bool IsNdig(char c) => !Chars.IsDigit(c) && c != '.';
        var sb = new StringBuilder(v.Length * 2);
        sb.Append(v[0]);
        var lp = v[0];
        for (var p = 1; p < v.Length; p++)
        {
            var c = v[p];
            if (c is '-' or '_' or '+')
            {
                if (sb[^1] != '.') sb.Append('.');
            }
            else if ((IsNdig(lp) && IsDig(c)) || (IsDig(lp) && IsNdig(c)))
            {
                if (sb[^1] != '.') sb.Append('.');
                sb.Append(c);
            }
            else if (!Chars.IsAlphanumeric(c))
            {
                if (sb[^1] != '.') sb.Append('.');
            }
            else
            {
                sb.Append(c);
            }
            lp = c;
        }
        return sb.ToString();
    }

    /// <summary>php_version_compare (ext/standard/versioning.c), segment by segment.</summary>
    private static int VersionCompare(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0) return a.Length == b.Length ? 0 : a.Length > 0 ? 1 : -1;
        // Each recursion consumes at least one segment, so the depth is bounded by the (bounded) length.
        var v1 = a[0] == '#' ? a : Canonicalize(a);
        var v2 = b[0] == '#' ? b : Canonicalize(b);
        int p1 = 0, p2 = 0, compare = 0;
        bool more1 = true, more2 = true;
        while (p1 < v1.Length && p2 < v2.Length && more1 && more2)
        {
            var e1 = v1.IndexOf('.', p1);
            var e2 = v2.IndexOf('.', p2);
            more1 = e1 >= 0;
            more2 = e2 >= 0;
            var s1 = v1[p1..(more1 ? e1 : v1.Length)];
            var s2 = v2[p2..(more2 ? e2 : v2.Length)];
            var d1 = s1.Length > 0 && Chars.IsDigit(s1[0]);
            var d2 = s2.Length > 0 && Chars.IsDigit(s2[0]);
            compare = (d1, d2) switch
            {
                (true, true) => Chars.CompareDigits(LeadingDigits(s1), LeadingDigits(s2)),
                (false, false) => CompareSpecial(s1, s2),
                (true, false) => CompareSpecial("#N#", s2),
                _ => CompareSpecial(s1, "#N#"),
            };
            if (compare != 0) break;
            if (more1) p1 = e1 + 1;
            if (more2) p2 = e2 + 1;
        }
        if (compare == 0)
        {
            if (more1)
                compare = p1 < v1.Length && Chars.IsDigit(v1[p1]) ? 1 : VersionCompare(v1[p1..], "#N#");
            else if (more2)
                compare = p2 < v2.Length && Chars.IsDigit(v2[p2]) ? -1 : VersionCompare("#N#", v2[p2..]);
        }
        return compare;
    }

    private static ReadOnlySpan<char> LeadingDigits(string s)
    {
        var n = 0;
        while (n < s.Length && Chars.IsDigit(s[n])) n++;
        return s.AsSpan(0, n);
    }

    public override string ToString() => Original;
}

/// <summary>
/// Packagist: PHP's <c>version_compare</c> (which Composer's constraints use once versions are normalised),
/// after Composer's leading <c>v</c> removal. Stability words rank dev &lt; alpha/a &lt; beta/b &lt; RC/rc &lt;
/// release &lt; patch/pl/p; as in PHP, 1.0 &lt; 1.0.0.
/// </summary>
public sealed class PackagistScheme : VersionScheme<PackagistVersion>
{
    public override string Name => "Packagist";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out PackagistVersion version, [NotNullWhen(false)] out string? error)
    {
        var rest = text[0] is 'v' or 'V' ? text[1..] : text;
        if (rest.Length == 0)
        {
            version = null;
            error = "it is only a 'v'";
            return false;
        }
        version = new PackagistVersion(text, rest);
        error = null;
        return true;
    }
}
