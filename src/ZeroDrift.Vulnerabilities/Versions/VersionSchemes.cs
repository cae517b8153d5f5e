using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// Which version scheme an OSV ecosystem uses (https://ossf.github.io/osv-schema/#affectedpackage-field).
/// Release-qualified names ("Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS", "Red Hat:enterprise_linux:9::appstream")
/// use their base ecosystem's scheme. Names match without regard to case.
/// </summary>
public static class VersionSchemes
{
    public static VersionScheme SemVer { get; } = new SemVerScheme("SemVer");

    public static VersionScheme Debian { get; } = new DebianScheme();

    public static VersionScheme Rpm { get; } = new RpmScheme();

    public static VersionScheme Alpine { get; } = new AlpineScheme();

    public static VersionScheme PyPI { get; } = new PyPIScheme();

    public static VersionScheme Maven { get; } = new MavenScheme();

    public static VersionScheme NuGet { get; } = new NuGetScheme();

    public static VersionScheme RubyGems { get; } = new RubyGemsScheme();

    public static VersionScheme Packagist { get; } = new PackagistScheme();

    public static VersionScheme Cran { get; } = new CranScheme();

    public static VersionScheme Hackage { get; } = new HackageScheme();

    public static VersionScheme Pub { get; } = new PubScheme();

    private static readonly Dictionary<string, VersionScheme> ByEcosystem = new(StringComparer.OrdinalIgnoreCase)
    {
        ["npm"] = new SemVerScheme("npm"),
        ["crates.io"] = new SemVerScheme("crates.io"),
        ["Hex"] = new SemVerScheme("Hex"),
        ["Go"] = new SemVerScheme("Go"),
        ["Bitnami"] = new SemVerScheme("Bitnami"),
        ["SwiftURL"] = new SemVerScheme("SwiftURL"),
        ["ConanCenter"] = new SemVerScheme("ConanCenter"),
        ["Pub"] = Pub,
        ["PyPI"] = PyPI,
        ["Maven"] = Maven,
        ["NuGet"] = NuGet,
        ["RubyGems"] = RubyGems,
        ["Packagist"] = Packagist,
        ["CRAN"] = Cran,
        ["Bioconductor"] = new CranScheme(),
        ["Hackage"] = Hackage,
        ["GHC"] = new HackageScheme(),
        ["Debian"] = Debian,
        ["Ubuntu"] = new DebianScheme("Ubuntu"),
        ["Alpine"] = Alpine,
        ["Wolfi"] = new AlpineScheme("Wolfi"),
        ["Chainguard"] = new AlpineScheme("Chainguard"),
        ["MinimOS"] = new AlpineScheme("MinimOS"),
        ["Alpaquita"] = new AlpineScheme("Alpaquita"),
        ["BellSoft Hardened Containers"] = new AlpineScheme("BellSoft Hardened Containers"),
        ["Red Hat"] = Rpm,
        ["AlmaLinux"] = new RpmScheme("AlmaLinux"),
        ["Rocky Linux"] = new RpmScheme("Rocky Linux"),
        ["SUSE"] = new RpmScheme("SUSE"),
        ["openSUSE"] = new RpmScheme("openSUSE"),
        ["Mageia"] = new RpmScheme("Mageia"),
        ["openEuler"] = new RpmScheme("openEuler"),
        ["Photon OS"] = new RpmScheme("Photon OS"),
        ["Azure Linux"] = new RpmScheme("Azure Linux"),
        ["Oracle Linux"] = new RpmScheme("Oracle Linux"),
        ["Fedora"] = new RpmScheme("Fedora"),
    };

    /// <summary>The ecosystems with a scheme, without release qualifiers.</summary>
    public static IReadOnlyCollection<string> Ecosystems => ByEcosystem.Keys;

    /// <summary>The scheme for an OSV ecosystem name; null when the ecosystem is unknown.</summary>
    public static VersionScheme? For(string? ecosystem) => TryFor(ecosystem, out var scheme) ? scheme : null;

    public static bool TryFor(string? ecosystem, [NotNullWhen(true)] out VersionScheme? scheme)
    {
        scheme = null;
        if (string.IsNullOrWhiteSpace(ecosystem)) return false;
        var trimmed = ecosystem.Trim();
        if (ByEcosystem.TryGetValue(trimmed, out scheme)) return true;
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && ByEcosystem.TryGetValue(trimmed[..colon], out scheme);
    }

    /// <summary>
    /// The scheme for an OSV range: <c>SEMVER</c> ranges are SemVer whatever the ecosystem, <c>ECOSYSTEM</c>
    /// ranges use the ecosystem's scheme, and <c>GIT</c> ranges (commits) have no version order (null).
    /// </summary>
    public static VersionScheme? ForRange(string rangeType, string? ecosystem) => rangeType.ToUpperInvariant() switch
    {
        "SEMVER" => SemVer,
        "ECOSYSTEM" => For(ecosystem),
        _ => null,
    };
}
