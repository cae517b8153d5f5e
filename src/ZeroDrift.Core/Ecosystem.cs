namespace ZeroDrift.Core;

/// <summary>The packaging system a package belongs to. OS ecosystems are refined by the target's <see cref="Distro"/>.</summary>
public enum Ecosystem
{
    Dpkg,
    Apk,
    Rpm,
    Npm,
    NuGet,
    PyPI,
    Go,
    Maven,
    Cargo,
    RubyGems,
    Packagist,
}

public static class EcosystemExtensions
{
    public static bool IsOperatingSystem(this Ecosystem ecosystem) =>
        ecosystem is Ecosystem.Dpkg or Ecosystem.Apk or Ecosystem.Rpm;

    /// <summary>The purl type (https://github.com/package-url/purl-spec) for packages of this ecosystem.</summary>
    public static string PurlType(this Ecosystem ecosystem) => ecosystem switch
    {
        Ecosystem.Dpkg => "deb",
        Ecosystem.Apk => "apk",
        Ecosystem.Rpm => "rpm",
        Ecosystem.Npm => "npm",
        Ecosystem.NuGet => "nuget",
        Ecosystem.PyPI => "pypi",
        Ecosystem.Go => "golang",
        Ecosystem.Maven => "maven",
        Ecosystem.Cargo => "cargo",
        Ecosystem.RubyGems => "gem",
        Ecosystem.Packagist => "composer",
        _ => throw new ArgumentOutOfRangeException(nameof(ecosystem)),
    };

    /// <summary>The name used in reports and in the JSON format: the purl type, but "go" for Go.</summary>
    public static string DisplayName(this Ecosystem ecosystem) => ecosystem == Ecosystem.Go ? "go" : ecosystem.PurlType();
}
