using System.Text.RegularExpressions;

namespace ZeroDrift.Vulnerabilities.Osv;

/// <summary>
/// OSV ecosystem names and package-name normalisation as each ecosystem defines equality of names, so that a
/// look-up by (ecosystem, name) finds an advisory however either side spelled the name.
/// </summary>
public static partial class EcosystemNames
{
    /// <summary>"Debian:10" → "Debian"; "Ubuntu:22.04:LTS" → "Ubuntu"; "npm" → "npm".</summary>
    public static string Base(string ecosystem)
    {
        var colon = ecosystem.IndexOf(':');
        return colon < 0 ? ecosystem : ecosystem[..colon];
    }

    public static string NormalizeName(string ecosystem, string name) => Base(ecosystem) switch
    {
        // PEP 503: case-insensitive, runs of '-', '_' and '.' are equal.
        "PyPI" => PypiSeparators().Replace(name.ToLowerInvariant(), "-"),
        // NuGet ids, Packagist names and Debian/Ubuntu/Alpine package names are case-insensitive.
        "NuGet" or "Packagist" or "Debian" or "Ubuntu" or "Alpine" or "npm" => name.ToLowerInvariant(),
        // crates.io treats '-' and '_' as the same name, case-insensitively.
        "crates.io" => name.ToLowerInvariant().Replace('_', '-'),
        _ => name,
    };

    [GeneratedRegex("[-_.]+")]
    private static partial Regex PypiSeparators();
}
