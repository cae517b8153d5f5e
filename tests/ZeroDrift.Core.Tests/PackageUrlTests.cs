using ZeroDrift.Core;

namespace ZeroDrift.Core.Tests;

public class PackageUrlTests
{
    [Theory]
    [InlineData("deb", "debian", "libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4")]
    [InlineData("npm", "@angular", "core", "17.0.0", "pkg:npm/%40angular/core@17.0.0")]
    [InlineData("pypi", null, "Django_Rest", "3.14", "pkg:pypi/django-rest@3.14")]
    [InlineData("maven", "org.apache.commons", "commons-lang3", "3.12.0", "pkg:maven/org.apache.commons/commons-lang3@3.12.0")]
    [InlineData("golang", null, "github.com/pkg/errors", "v0.9.1", "pkg:golang/github.com/pkg/errors@v0.9.1")]
    [InlineData("deb", "debian", "bsdutils", "1:2.38.1-5", "pkg:deb/debian/bsdutils@1%3A2.38.1-5")]
    public void Formats_as_the_purl_spec_says(string type, string? ns, string name, string version, string expected)
    {
        Assert.Equal(expected, new PackageUrl(type, ns, name, version).ToString());
    }

    [Fact]
    public void Qualifiers_are_sorted_and_round_trip()
    {
        var purl = new PackageUrl("deb", "debian", "curl", "7.88.1-10", [new("distro", "debian-12"), new("arch", "amd64")]);
        Assert.Equal("pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12", purl.ToString());
        var parsed = PackageUrl.Parse(purl.ToString());
        Assert.Equal(purl, parsed);
        Assert.Equal("debian-12", parsed.Qualifier("distro"));
    }

    [Theory]
    [InlineData("pkg:npm/%40angular/core@17.0.0", "@angular", "core", "17.0.0")]
    [InlineData("pkg:golang/github.com/pkg/errors@v0.9.1#api", "github.com/pkg", "errors", "v0.9.1")]
    public void Parses(string text, string ns, string name, string version)
    {
        var purl = PackageUrl.Parse(text);
        Assert.Equal(ns, purl.Namespace);
        Assert.Equal(name, purl.Name);
        Assert.Equal(version, purl.Version);
    }

    [Theory]
    [InlineData("npm/foo@1")]
    [InlineData("pkg:npm")]
    public void Rejects_what_is_not_a_purl(string text)
    {
        Assert.Throws<FormatException>(() => PackageUrl.Parse(text));
    }
}
