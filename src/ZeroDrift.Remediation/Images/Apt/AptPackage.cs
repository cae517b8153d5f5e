namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>One package of a verified Packages index: what is needed to choose, fetch and check it.</summary>
public sealed record AptPackage(
    string Name,
    string Version,
    string Architecture,
    string Filename,
    string Sha256,
    long Size,
    string? Depends,
    string? PreDepends,
    string? Provides,
    AptSource Repository)
{
    /// <summary>The index's Conflicts, Breaks and Replaces: an upgrade that hits an installed package is resolved or refused.</summary>
    public string? Conflicts { get; init; }

    public string? Breaks { get; init; }

    public string? Replaces { get; init; }

    public Uri Url => new(Repository.BaseUri, Filename);
}
