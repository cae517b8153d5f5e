using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>An RPM <c>[epoch:]version[-release]</c>.</summary>
public sealed class RpmVersion(string epoch, string version, string? release) : IComparable<RpmVersion>
{
    /// <summary>The epoch digits, "0" when absent.</summary>
    public string Epoch { get; } = epoch;

    public string Version { get; } = version;

    /// <summary>The release after the last <c>-</c>; null when the version has none.</summary>
    public string? Release { get; } = release;

    public int CompareTo(RpmVersion? other)
    {
        if (other is null) return 1;
        var c = RpmVerCmp(Epoch, other.Epoch);
        if (c != 0) return c;
        c = RpmVerCmp(Version, other.Version);
        if (c != 0) return c;
        // A missing release ranks first (1.0 < 1.0-1), as rpm.vercmp and OSV's tools order it. (rpm's dependency
        // matching treats a missing release as "any", but a version is not a dependency range.)
        if (Release is null || other.Release is null) return (Release is null).CompareTo(other.Release is null) * -1;
        return RpmVerCmp(Release, other.Release);
    }

    /// <summary>rpm's <c>rpmvercmp</c> (rpmio/rpmvercmp.c, rpm ≥ 4.15 with <c>~</c> and <c>^</c>).</summary>
    internal static int RpmVerCmp(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return 0;
        int one = 0, two = 0;
        while (one < a.Length || two < b.Length)
        {
            while (one < a.Length && !Chars.IsAlphanumeric(a[one]) && a[one] != '~' && a[one] != '^') one++;
            while (two < b.Length && !Chars.IsAlphanumeric(b[two]) && b[two] != '~' && b[two] != '^') two++;
            var ca = one < a.Length ? a[one] : '\0';
            var cb = two < b.Length ? b[two] : '\0';

            // A tilde sorts before everything, even the end.
            if (ca == '~' || cb == '~')
            {
                if (ca != '~') return 1;
                if (cb != '~') return -1;
                one++;
                two++;
                continue;
            }

            // A caret sorts after the end but before anything else.
            if (ca == '^' || cb == '^')
            {
                if (ca == '\0') return -1;
                if (cb == '\0') return 1;
                if (ca != '^') return 1;
                if (cb != '^') return -1;
                one++;
                two++;
                continue;
            }

            if (ca == '\0' || cb == '\0') break;

            int s1 = one, s2 = two;
            var isNum = Chars.IsDigit(ca);
            if (isNum)
            {
                while (s1 < a.Length && Chars.IsDigit(a[s1])) s1++;
                while (s2 < b.Length && Chars.IsDigit(b[s2])) s2++;
            }
            else
            {
                while (s1 < a.Length && Chars.IsLetter(a[s1])) s1++;
                while (s2 < b.Length && Chars.IsLetter(b[s2])) s2++;
            }

            // Segments of different kinds: numbers are newer than letters.
            if (two == s2) return isNum ? 1 : -1;

            var c = isNum
                ? Chars.CompareDigits(a.AsSpan(one, s1 - one), b.AsSpan(two, s2 - two))
                : Math.Sign(a.AsSpan(one, s1 - one).SequenceCompareTo(b.AsSpan(two, s2 - two)));
            if (c != 0) return c;
            one = s1;
            two = s2;
        }
        if (one >= a.Length && two >= b.Length) return 0;
        return one >= a.Length ? -1 : 1;
    }

    public override string ToString() => $"{Epoch}:{Version}" + (Release is null ? "" : "-" + Release);
}

/// <summary>
/// RPM distributions (Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, openEuler, Photon OS, Azure
/// Linux): rpm's <c>rpmvercmp</c> on epoch, version and release, split as rpm's <c>rpmverParse</c> does (epoch is
/// leading digits before <c>:</c>, release follows the last <c>-</c>). rpm accepts any string, so this does too.
/// </summary>
public sealed class RpmScheme(string name = "Red Hat") : VersionScheme<RpmVersion>
{
    public override string Name { get; } = name;

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out RpmVersion version, [NotNullWhen(false)] out string? error)
    {
        var epoch = "0";
        var rest = text;
        var digits = 0;
        while (digits < text.Length && Chars.IsDigit(text[digits])) digits++;
        if (digits < text.Length && text[digits] == ':')
        {
            if (digits > 0) epoch = text[..digits];
            rest = text[(digits + 1)..];
        }
        string? release = null;
        var hyphen = rest.LastIndexOf('-');
        if (hyphen >= 0)
        {
            release = rest[(hyphen + 1)..];
            rest = rest[..hyphen];
        }
        version = new RpmVersion(epoch, rest, release);
        error = null;
        return true;
    }
}
