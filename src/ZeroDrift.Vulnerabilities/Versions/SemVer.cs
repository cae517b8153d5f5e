using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// A SemVer-shaped version as OSV's tools read it: an optional leading <c>v</c>, dot-separated numeric
/// components, then everything from the first other character on (<c>-pre.1+build</c>). Lenient on purpose,
/// like osv-scalibr's semantic package: registries hold versions that strict SemVer would refuse (four
/// components, leading zeros, <c>v</c> prefixes), and refusing them would hide vulnerabilities.
/// </summary>
public sealed class SemVerVersion : IComparable<SemVerVersion>
{
    internal SemVerVersion(string[] components, string suffix, bool ignoreCase)
    {
        Components = components;
        Suffix = suffix;
        var plus = suffix.IndexOf('+', StringComparison.Ordinal);
        var pre = plus < 0 ? suffix : suffix[..plus];
        if (pre.StartsWith('-')) pre = pre[1..];
        PreRelease = ignoreCase ? pre.ToLowerInvariant() : pre;
        Build = plus < 0 ? "" : suffix[(plus + 1)..];
    }

    /// <summary>The numeric components, leading zeros removed.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>Everything after the numeric components, as written.</summary>
    public string Suffix { get; }

    /// <summary>The pre-release without its leading <c>-</c> (lower-cased when the scheme ignores case).</summary>
    public string PreRelease { get; }

    /// <summary>Build metadata after <c>+</c>; ignored by SemVer precedence.</summary>
    public string Build { get; }

    public int CompareTo(SemVerVersion? other)
    {
        if (other is null) return 1;
        var c = Chars.ComparePadded(Components, other.Components);
        return c != 0 ? c : ComparePreRelease(PreRelease, other.PreRelease);
    }

    /// <summary>SemVer 2.0 §11: no pre-release ranks above any; identifiers compare numerically or in ASCII order.</summary>
    internal static int ComparePreRelease(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0) return a.Length == b.Length ? 0 : a.Length == 0 ? 1 : -1;
        return CompareIdentifiers(a, b);
    }

    /// <summary>Dot-separated identifiers: numbers by value and before words, words in ASCII order, more wins.</summary>
    internal static int CompareIdentifiers(string a, string b)
    {
        var left = a.Split('.');
        var right = b.Split('.');
        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var ln = Chars.AllDigits(left[i]);
            var rn = Chars.AllDigits(right[i]);
            var c = (ln, rn) switch
            {
                (true, true) => Chars.CompareDigits(left[i], right[i]),
                (false, false) => Chars.Ordinal(left[i], right[i]),
                (true, false) => -1,
                _ => 1,
            };
            if (c != 0) return c;
        }
        return left.Length.CompareTo(right.Length);
    }

    /// <summary>
    /// Splits <paramref name="text"/> into numeric components and the rest. Components beyond
    /// <paramref name="maxComponents"/> move to the end of the suffix, as osv-scalibr does.
    /// </summary>
    internal static bool TryParseParts(string text, int maxComponents, out string[] components, out string suffix, [NotNullWhen(false)] out string? error)
    {
        var s = text.AsSpan();
        if (s.Length > 0 && s[0] is 'v' or 'V') s = s[1..];
        var parts = new List<string>();
        var start = -1;
        var i = 0;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (Chars.IsDigit(c))
            {
                if (start < 0) start = i;
                continue;
            }
            if (start >= 0)
            {
                parts.Add(Chars.CanonicalDigits(s[start..i]));
                start = -1;
            }
            if (c != '.') break;
        }
        if (start >= 0) parts.Add(Chars.CanonicalDigits(s[start..]));
        suffix = i < s.Length ? s[i..].ToString() : "";
        if (parts.Count == 0)
        {
            components = [];
            error = "it has no numeric component";
            return false;
        }
        if (maxComponents > 0 && parts.Count > maxComponents)
        {
            suffix += string.Concat(parts.Skip(maxComponents).Select(p => "." + p));
            parts.RemoveRange(maxComponents, parts.Count - maxComponents);
        }
        components = [.. parts];
        error = null;
        return true;
    }

    public override string ToString() => string.Join('.', Components) + Suffix;
}

/// <summary>
/// Semantic Versioning 2.0 precedence (https://semver.org): npm, crates.io, Hex, Go (whose <c>v</c> prefix,
/// <c>+incompatible</c> and pseudo-versions compare as the SemVer they are), Bitnami, SwiftURL, and OSV's
/// <c>SEMVER</c> range type.
/// </summary>
public sealed class SemVerScheme(string name) : VersionScheme<SemVerVersion>
{
    public override string Name { get; } = name;

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out SemVerVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        if (!SemVerVersion.TryParseParts(text, 3, out var components, out var suffix, out error)) return false;
        version = new SemVerVersion(components, suffix, ignoreCase: false);
        return true;
    }
}

/// <summary>
/// NuGet (NuGet.Versioning): SemVer 2.0 with up to four numeric parts (1.0 = 1.0.0 = 1.0.0.0), pre-release
/// labels compared without regard to case, build metadata ignored.
/// </summary>
public sealed class NuGetScheme : VersionScheme<SemVerVersion>
{
    public override string Name => "NuGet";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out SemVerVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        if (!SemVerVersion.TryParseParts(text, 4, out var components, out var suffix, out error)) return false;
        version = new SemVerVersion(components, suffix, ignoreCase: true);
        return true;
    }
}

/// <summary>A Dart package version (pub_semver): SemVer, except that build metadata counts and ranks after none.</summary>
public sealed class PubVersion(SemVerVersion semver) : IComparable<PubVersion>
{
    public SemVerVersion SemVer { get; } = semver;

    public int CompareTo(PubVersion? other)
    {
        if (other is null) return 1;
        var c = SemVer.CompareTo(other.SemVer);
        if (c != 0) return c;
        var (a, b) = (SemVer.Build, other.SemVer.Build);
        if (a.Length == 0 || b.Length == 0) return a.Length == b.Length ? 0 : a.Length == 0 ? -1 : 1;
        return SemVerVersion.CompareIdentifiers(a, b);
    }

    public override string ToString() => SemVer.ToString();
}

/// <summary>Pub (pub_semver's <c>Version.compareTo</c>): 1.0.0-pre &lt; 1.0.0 &lt; 1.0.0+build.</summary>
public sealed class PubScheme : VersionScheme<PubVersion>
{
    public override string Name => "Pub";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out PubVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        if (!SemVerVersion.TryParseParts(text, 3, out var components, out var suffix, out error)) return false;
        version = new PubVersion(new SemVerVersion(components, suffix, ignoreCase: false));
        return true;
    }
}
