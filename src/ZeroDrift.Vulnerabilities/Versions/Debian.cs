using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>A Debian package version <c>[epoch:]upstream[-revision]</c> (deb-version(7)).</summary>
public sealed class DebianVersion(int epoch, string upstream, string revision) : IComparable<DebianVersion>
{
    public int Epoch { get; } = epoch;

    public string Upstream { get; } = upstream;

    /// <summary>The Debian revision; empty when absent, which dpkg orders like "0".</summary>
    public string Revision { get; } = revision;

    public int CompareTo(DebianVersion? other)
    {
        if (other is null) return 1;
        if (Epoch != other.Epoch) return Epoch.CompareTo(other.Epoch);
        var c = VerRevCmp(Upstream, other.Upstream);
        return c != 0 ? c : VerRevCmp(Revision, other.Revision);
    }

    /// <summary>dpkg's <c>order()</c>: digits 0, letters themselves, <c>~</c> below everything, the end 0, others after letters.</summary>
    private static int Order(string s, int i)
    {
        if (i >= s.Length) return 0;
        var c = s[i];
        if (Chars.IsDigit(c)) return 0;
        if (Chars.IsLetter(c)) return c;
        if (c == '~') return -1;
        return c + 256;
    }

    /// <summary>dpkg's <c>verrevcmp</c> (lib/dpkg/version.c), character for character.</summary>
    internal static int VerRevCmp(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            var firstDiff = 0;
            while ((i < a.Length && !Chars.IsDigit(a[i])) || (j < b.Length && !Chars.IsDigit(b[j])))
            {
                var ac = Order(a, i);
                var bc = Order(b, j);
                if (ac != bc) return Math.Sign(ac - bc);
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            while (i < a.Length && j < b.Length && Chars.IsDigit(a[i]) && Chars.IsDigit(b[j]))
            {
                if (firstDiff == 0) firstDiff = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && Chars.IsDigit(a[i])) return 1;
            if (j < b.Length && Chars.IsDigit(b[j])) return -1;
            if (firstDiff != 0) return Math.Sign(firstDiff);
        }
        return 0;
    }

    public override string ToString() => (Epoch != 0 ? $"{Epoch}:" : "") + Upstream + (Revision.Length > 0 ? "-" + Revision : "");
}

/// <summary>
/// Debian and Ubuntu: dpkg's own comparison (<c>dpkg --compare-versions</c>). Parsing follows dpkg's
/// <c>parseversion</c>: its errors (empty or non-numeric epoch, nothing after the colon, empty revision, empty
/// version) are errors here; its warnings (a version not starting with a digit, unusual characters) are not,
/// since dpkg still compares such versions. Non-ASCII characters are refused: dpkg would compare their bytes.
/// </summary>
public sealed class DebianScheme(string name = "Debian") : VersionScheme<DebianVersion>
{
    public override string Name { get; } = name;

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out DebianVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        if (!System.Text.Ascii.IsValid(text))
        {
            error = "it contains non-ASCII characters";
            return false;
        }
        var epoch = 0;
        var rest = text;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var e = text.AsSpan(0, colon);
            if (e.IsEmpty) { error = "epoch in version is empty"; return false; }
            if (!Chars.AllDigits(e)) { error = "epoch in version is not number"; return false; }
            if (!int.TryParse(e, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out epoch))
            {
                error = "epoch in version is too big";
                return false;
            }
            rest = text[(colon + 1)..];
            if (rest.Length == 0) { error = "nothing after colon in version number"; return false; }
        }
        var revision = "";
        var hyphen = rest.LastIndexOf('-');
        if (hyphen >= 0)
        {
            revision = rest[(hyphen + 1)..];
            rest = rest[..hyphen];
            if (revision.Length == 0) { error = "revision number is empty"; return false; }
        }
        if (rest.Length == 0) { error = "version number is empty"; return false; }
        version = new DebianVersion(epoch, rest, revision);
        error = null;
        return true;
    }
}
