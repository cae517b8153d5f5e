using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// A Python package version: PEP 440 when it is one, otherwise a legacy (setuptools-era) version, which
/// <c>packaging</c> before 22 called <c>LegacyVersion</c> and ordered before every PEP 440 version.
/// </summary>
public sealed class PyPIVersion : IComparable<PyPIVersion>
{
    private PyPIVersion(string[] legacy)
    {
        Legacy = legacy;
        Epoch = "0";
        Release = [];
        Local = [];
    }

    private PyPIVersion(string epoch, string[] release, (string Letter, string Number)? pre, string? post, string? dev, string[] local)
    {
        Epoch = epoch;
        Release = release;
        Pre = pre;
        Post = post;
        Dev = dev;
        Local = local;
    }

    /// <summary>The legacy parts when the version is not PEP 440; null for a PEP 440 version.</summary>
    public IReadOnlyList<string>? Legacy { get; }

    public string Epoch { get; }

    public IReadOnlyList<string> Release { get; }

    /// <summary>The normalised pre-release phase (a, b, rc) and number.</summary>
    public (string Letter, string Number)? Pre { get; }

    public string? Post { get; }

    public string? Dev { get; }

    public IReadOnlyList<string> Local { get; }

    public int CompareTo(PyPIVersion? other)
    {
        if (other is null) return 1;
        if (Legacy is not null || other.Legacy is not null)
        {
            if (Legacy is null) return 1;
            if (other.Legacy is null) return -1;
            return CompareTuples(Legacy, other.Legacy);
        }
        var c = Chars.CompareDigits(Epoch, other.Epoch);
        if (c != 0) return c;
        c = Chars.ComparePadded(Release, other.Release);
        if (c != 0) return c;
        c = ComparePre(other);
        if (c != 0) return c;
        // No post-release ranks below any post-release.
        c = CompareOptional(Post, other.Post, missingFirst: true);
        if (c != 0) return c;
        // No dev-release ranks above any dev-release.
        c = CompareOptional(Dev, other.Dev, missingFirst: false);
        return c != 0 ? c : CompareLocal(Local, other.Local);
    }

    /// <summary><c>packaging</c>'s key: 1.0.dev0 &lt; 1.0a1 (a bare dev release sorts before pre-releases), no pre-release last.</summary>
    private int ComparePre(PyPIVersion other)
    {
        static int Rank(PyPIVersion v) => v.Pre is null && v.Post is null && v.Dev is not null ? -1 : v.Pre is null ? 1 : 0;
        var (ra, rb) = (Rank(this), Rank(other));
        if (ra != rb) return ra.CompareTo(rb);
        if (ra != 0) return 0;
        var c = Chars.Ordinal(Pre!.Value.Letter, other.Pre!.Value.Letter);
        return c != 0 ? c : Chars.CompareDigits(Pre.Value.Number, other.Pre.Value.Number);
    }

    private static int CompareOptional(string? a, string? b, bool missingFirst)
    {
        if (a is null || b is null)
        {
            if (a is null && b is null) return 0;
            return (a is null) == missingFirst ? -1 : 1;
        }
        return Chars.CompareDigits(a, b);
    }

    /// <summary>PEP 440 local versions: numeric segments above alphanumeric ones, numbers by value, more segments win.</summary>
    private static int CompareLocal(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var (an, bn) = (Chars.AllDigits(a[i]), Chars.AllDigits(b[i]));
            var c = (an, bn) switch
            {
                (true, true) => Chars.CompareDigits(a[i], b[i]),
                (false, false) => Chars.Ordinal(a[i], b[i]),
                (true, false) => 1,
                _ => -1,
            };
            if (c != 0) return c;
        }
        return a.Count.CompareTo(b.Count);
    }

    private static int CompareTuples(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var c = Chars.Ordinal(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Count.CompareTo(b.Count);
    }

    internal static PyPIVersion Parse(string text)
    {
        var m = PyPIScheme.Pep440().Match(text);
        if (!m.Success) return new PyPIVersion(LegacyParts(text.ToLowerInvariant()));
        var epoch = m.Groups["epoch"].Success ? Chars.CanonicalDigits(m.Groups["epoch"].Value) : "0";
        var release = m.Groups["release"].Value.Split('.').Select(r => Chars.CanonicalDigits(r)).ToArray();
        (string, string)? pre = null;
        if (m.Groups["pre_l"].Success)
        {
            var letter = m.Groups["pre_l"].Value.ToLowerInvariant() switch
            {
                "a" or "alpha" => "a",
                "b" or "beta" => "b",
                _ => "rc", // c, rc, pre, preview
            };
            pre = (letter, Number(m.Groups["pre_n"]));
        }
        string? post = m.Groups["post_n1"].Success ? Chars.CanonicalDigits(m.Groups["post_n1"].Value)
            : m.Groups["post_l"].Success ? Number(m.Groups["post_n2"]) : null;
        string? dev = m.Groups["dev_l"].Success ? Number(m.Groups["dev_n"]) : null;
        var local = m.Groups["local"].Success
            ? m.Groups["local"].Value.ToLowerInvariant().Split('.', '_', '-')
            : [];
        return new PyPIVersion(epoch, release, pre, post, dev, local);
    }

    private static string Number(Group g) => g.Success ? Chars.CanonicalDigits(g.Value) : "0";

    /// <summary><c>packaging</c> 21's <c>_legacy_cmpkey</c>: numbers zero-padded to 8, words starred, "final" appended.</summary>
    private static string[] LegacyParts(string lower)
    {
        var parts = new List<string>();
        foreach (var raw in PyPIScheme.LegacyComponents().Split(lower).Append("final"))
        {
            var part = raw switch { "pre" or "preview" or "rc" => "c", "-" => "final-", "dev" => "@", _ => raw };
            if (part.Length == 0 || part == ".") continue;
            part = Chars.IsDigit(part[0]) ? part.PadLeft(8, '0') : "*" + part;
            if (part[0] == '*')
            {
                if (string.CompareOrdinal(part, "*final") < 0)
                    while (parts.Count > 0 && parts[^1] == "*final-") parts.RemoveAt(parts.Count - 1);
                while (parts.Count > 0 && parts[^1] == "00000000") parts.RemoveAt(parts.Count - 1);
            }
            parts.Add(part);
        }
        return [.. parts];
    }

    public override string ToString() => Legacy is not null ? string.Join("", Legacy) :
        (Epoch != "0" ? Epoch + "!" : "") + string.Join('.', Release) + (Pre is { } p ? p.Letter + p.Number : "") +
        (Post is null ? "" : ".post" + Post) + (Dev is null ? "" : ".dev" + Dev) + (Local.Count > 0 ? "+" + string.Join('.', Local) : "");
}

/// <summary>
/// PyPI: PEP 440 ordering exactly as the <c>packaging</c> library's <c>Version</c> (epochs, a/b/rc pre-releases
/// with their alternate spellings, post-releases including the implicit <c>1.0-1</c>, dev releases, local
/// versions, a leading <c>v</c>, any case). Versions that are not PEP 440 keep <c>packaging</c> 21's legacy
/// ordering (before every PEP 440 version) rather than an error, because PyPI still lists such releases.
/// </summary>
public sealed partial class PyPIScheme : VersionScheme<PyPIVersion>
{
    public override string Name => "PyPI";

    /// <summary>PEP 440 Appendix B's regular expression.</summary>
    [GeneratedRegex("""
        ^v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)(?<pre>[-_\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pre_n>[0-9]+)?)?(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?(?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?)(?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$
        """, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    internal static partial Regex Pep440();

    [GeneratedRegex(@"(\d+|[a-z]+|\.|-)", RegexOptions.CultureInvariant)]
    internal static partial Regex LegacyComponents();

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out PyPIVersion version, [NotNullWhen(false)] out string? error)
    {
        version = PyPIVersion.Parse(text);
        error = null;
        return true;
    }
}
