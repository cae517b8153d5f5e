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
    public Uri Url => new(Repository.BaseUri, Filename);
}
