using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Matching;

namespace ZeroDrift.Vulnerabilities.Tests.Matching;

public class OsvEcosystemMapTests
{
    private static readonly Distro Alma = new("almalinux", "9.4");

    private static Package Rpm(string version, string purl) => new()
    {
        Name = "openssl",
        Version = version,
        Ecosystem = Ecosystem.Rpm,
        Purl = PackageUrl.Parse(purl),
        FoundBy = "test",
    };

    [Theory]
    // What the rpm cataloger emits: the epoch in both Version and purl, which must not become "1:1:…".
    [InlineData("1:3.0.7-27.el9", "pkg:rpm/almalinux/openssl@3.0.7-27.el9?epoch=1", "1:3.0.7-27.el9")]
    // A package from an SBOM: the epoch only in the purl.
    [InlineData("3.0.7-27.el9", "pkg:rpm/almalinux/openssl@3.0.7-27.el9?epoch=1", "1:3.0.7-27.el9")]
    [InlineData("3.0.7-27.el9", "pkg:rpm/almalinux/openssl@3.0.7-27.el9?epoch=0", "3.0.7-27.el9")]
    [InlineData("2.9.13-6.el9_4", "pkg:rpm/almalinux/libxml2@2.9.13-6.el9_4", "2.9.13-6.el9_4")]
    public void Rpm_versions_carry_the_epoch_exactly_once(string version, string purl, string expected)
    {
        var query = OsvEcosystemMap.For(Rpm(version, purl), Alma, out var reason);
        Assert.Null(reason);
        Assert.Equal(new OsvQuery("AlmaLinux:9", "openssl", expected), query);
    }

    [Theory]
    [InlineData(Ecosystem.Npm, "raven-js", "pkg:npm/raven-js")]
    [InlineData(Ecosystem.Go, "./fork/net", "pkg:golang/./fork/net")]
    public void A_versionless_git_or_local_dependency_is_not_matched_against_every_advisory_of_its_name(Ecosystem ecosystem, string name, string purl)
    {
        var package = new Package { Name = name, Version = "", Ecosystem = ecosystem, Purl = PackageUrl.Parse(purl), FoundBy = "test" };
        Assert.Null(OsvEcosystemMap.For(package, null, out var reason));
        Assert.Equal("no version (a git or local dependency)", reason);
    }
}
