using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Matching;

/// <summary>What to look a package up as: the OSV ecosystem (release-qualified for distributions), name and version.</summary>
public sealed record OsvQuery(string Ecosystem, string Name, string Version);

/// <summary>
/// Maps a package (and the target's distribution) to the OSV ecosystem, name and version its advisories use:
/// Debian and Ubuntu advisories name source packages and source versions; Alpine names origins; RPM
/// distributions name binary packages with <c>[epoch:]version-release</c>.
/// </summary>
public static class OsvEcosystemMap
{
    /// <summary>The query for <paramref name="package"/>, or null with the reason when its ecosystem has no advisories source.</summary>
    public static OsvQuery? For(Package package, Distro? distro, out string? reason)
    {
        reason = null;
        // A git or local dependency (package-lock.json, go.mod's "replace => ./dir") has no version: its code is not
        // a published release, and no range can say whether it is affected.
        if (package.Version.Length == 0) { reason = "no version (a git or local dependency)"; return null; }
        switch (package.Ecosystem)
        {
            case Ecosystem.Dpkg:
            {
                var release = DebianRelease(distro);
                if (release is null) { reason = $"no advisories for dpkg packages on {distro?.ToString() ?? "an unknown distribution"}"; return null; }
                return new OsvQuery(release, package.SourceName ?? package.Name, package.SourceVersion ?? package.Version);
            }
            case Ecosystem.Apk:
            {
                if (distro is not { Id: "alpine", VersionId: { } v }) { reason = "no Alpine release known for apk packages"; return null; }
                var parts = v.Split('.');
                return new OsvQuery($"Alpine:v{parts[0]}.{(parts.Length > 1 ? parts[1] : "0")}", package.SourceName ?? package.Name, package.Version);
            }
            case Ecosystem.Rpm:
            {
                var release = RpmRelease(distro);
                if (release is null) { reason = $"no advisories for rpm packages on {distro?.ToString() ?? "an unknown distribution"}"; return null; }
                // The rpm cataloger's Version is already "epoch:version-release" (as rpm -q prints it); a package
                // built elsewhere may carry the epoch only in its purl. Prefixing it twice ("1:1:3.0.7-27.el9")
                // made every epoch'd package older than all its advisories' fixes.
                var epoch = package.Purl.Qualifier("epoch");
                var version = epoch is { Length: > 0 } and not "0" && !package.Version.StartsWith(epoch + ":", StringComparison.Ordinal)
                    ? $"{epoch}:{package.Version}" : package.Version;
                return new OsvQuery(release, package.Name, version);
            }
            case Ecosystem.Npm: return new OsvQuery("npm", Named(package), package.Version);
            case Ecosystem.PyPI: return new OsvQuery("PyPI", package.Name, package.Version);
            case Ecosystem.Go: return new OsvQuery("Go", Named(package), package.Version);
            case Ecosystem.Maven: return new OsvQuery("Maven", package.Purl.Namespace is { } g ? $"{g}:{package.Purl.Name}" : package.Name, package.Version);
            case Ecosystem.NuGet: return new OsvQuery("NuGet", package.Name, package.Version);
            case Ecosystem.Cargo: return new OsvQuery("crates.io", package.Name, package.Version);
            case Ecosystem.RubyGems: return new OsvQuery("RubyGems", package.Name, package.Version);
            case Ecosystem.Packagist: return new OsvQuery("Packagist", Named(package), package.Version);
            default:
                reason = $"no advisories source for {package.Ecosystem}";
                return null;
        }
    }

    /// <summary>npm scopes, Go module paths and Composer vendors are part of the name OSV uses.</summary>
    private static string Named(Package p) => p.Purl.Namespace is { } ns ? $"{ns}/{p.Purl.Name}" : p.Name;

    private static string? DebianRelease(Distro? distro) => distro switch
    {
        { Id: "debian", VersionId: { } v } => $"Debian:{v.Split('.')[0]}",
        { Id: "ubuntu", VersionId: { } v } => $"Ubuntu:{v}",
        _ => null,
    };

    private static string? RpmRelease(Distro? distro) => distro switch
    {
        { Id: "almalinux", VersionId: { } v } => $"AlmaLinux:{v.Split('.')[0]}",
        { Id: "rocky", VersionId: { } v } => $"Rocky Linux:{v.Split('.')[0]}",
        { Id: "rhel", VersionId: { } v } => $"Red Hat:enterprise_linux:{v.Split('.')[0]}",
        { Id: "opensuse-leap", VersionId: { } v } => $"openSUSE:Leap {v}",
        { Id: "sles", VersionId: { } v } => $"SUSE:Linux Enterprise Server {v.Split('.')[0]}",
        { Id: "mageia", VersionId: { } v } => $"Mageia:{v}",
        { Id: "openEuler" or "openeuler", VersionId: { } v } => $"openEuler:{v}",
        _ => null,
    };

    /// <summary>True when an advisory's affected ecosystem is the package's release (or a qualified form of it).</summary>
    public static bool SameRelease(string advisoryEcosystem, string queryEcosystem)
    {
        if (string.Equals(advisoryEcosystem, queryEcosystem, StringComparison.Ordinal)) return true;
        // "Ubuntu:22.04" matches "Ubuntu:22.04:LTS" and "Ubuntu:Pro:22.04:LTS"; "Red Hat:enterprise_linux:9" matches "Red Hat:enterprise_linux:9::appstream".
        if (queryEcosystem.StartsWith("Ubuntu:", StringComparison.Ordinal))
        {
            var release = queryEcosystem["Ubuntu:".Length..];
            var parts = advisoryEcosystem.Split(':');
            return parts[0] == "Ubuntu" && parts.Skip(1).Contains(release);
        }
        return advisoryEcosystem.StartsWith(queryEcosystem + ":", StringComparison.Ordinal);
    }
}
