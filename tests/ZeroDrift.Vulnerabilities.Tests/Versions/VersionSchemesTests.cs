using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Tests.Versions;

public class VersionSchemesTests
{
    [Theory]
    [InlineData("Debian:10", "Debian")]
    [InlineData("Debian:12", "Debian")]
    [InlineData("Ubuntu:22.04:LTS", "Ubuntu")]
    [InlineData("Ubuntu:Pro:18.04:LTS", "Ubuntu")]
    [InlineData("Alpine:v3.20", "Alpine")]
    [InlineData("Wolfi", "Wolfi")]
    [InlineData("Chainguard", "Chainguard")]
    [InlineData("MinimOS", "MinimOS")]
    [InlineData("AlmaLinux:9", "AlmaLinux")]
    [InlineData("Rocky Linux:9", "Rocky Linux")]
    [InlineData("Red Hat:enterprise_linux:9::appstream", "Red Hat")]
    [InlineData("SUSE:Linux Enterprise Server 15 SP5", "SUSE")]
    [InlineData("openSUSE:Leap 15.5", "openSUSE")]
    [InlineData("Mageia:9", "Mageia")]
    [InlineData("openEuler:22.03-LTS-SP3", "openEuler")]
    [InlineData("Photon OS:5.0", "Photon OS")]
    [InlineData("Go", "Go")]
    [InlineData("npm", "npm")]
    [InlineData("crates.io", "crates.io")]
    [InlineData("Hex", "Hex")]
    [InlineData("Pub", "Pub")]
    [InlineData("PyPI", "PyPI")]
    [InlineData("pypi", "PyPI")]
    [InlineData("Maven", "Maven")]
    [InlineData("NuGet", "NuGet")]
    [InlineData("RubyGems", "RubyGems")]
    [InlineData("Packagist", "Packagist")]
    [InlineData("CRAN", "CRAN")]
    [InlineData("Hackage", "Hackage")]
    [InlineData("Bitnami", "Bitnami")]
    public void Ecosystems_map_to_their_scheme(string ecosystem, string scheme)
    {
        Assert.True(VersionSchemes.TryFor(ecosystem, out var found), ecosystem);
        Assert.Equal(scheme, found.Name);
    }

    [Fact]
    public void Release_qualified_ecosystems_use_the_base_scheme()
    {
        Assert.Equal("<", VersionSchemes.For("Debian:11")!.Compare("1.0~rc1", "1.0").Symbol);
        Assert.Equal(">", VersionSchemes.For("AlmaLinux:8")!.Compare("1:1.0-1.el8", "2.0-1.el8").Symbol);
        Assert.Equal("<", VersionSchemes.For("Alpine:v3.19")!.Compare("1.2.3_rc1-r0", "1.2.3-r0").Symbol);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Debianx")]
    [InlineData(":10")]
    [InlineData("GIT")]
    [InlineData(null)]
    public void Unknown_ecosystems_have_no_scheme(string? ecosystem)
    {
        Assert.False(VersionSchemes.TryFor(ecosystem, out _));
        Assert.Null(VersionSchemes.For(ecosystem));
    }

    [Fact]
    public void Range_types_pick_the_scheme()
    {
        Assert.Same(VersionSchemes.SemVer, VersionSchemes.ForRange("SEMVER", "PyPI"));
        Assert.Same(VersionSchemes.PyPI, VersionSchemes.ForRange("ECOSYSTEM", "PyPI"));
        Assert.Null(VersionSchemes.ForRange("GIT", "Go"));
    }

    [Theory]
    [InlineData("Debian", "1:")]
    [InlineData("Debian", ":1.0")]
    [InlineData("Debian", "a:1.0")]
    [InlineData("Debian", "1.0-")]
    [InlineData("Debian", "99999999999:1.0")]
    [InlineData("Debian", "1.2.3-not-a-debian:version!@#$")]
    [InlineData("Debian", "1.0é")]
    [InlineData("npm", "latest")]
    [InlineData("Go", "v")]
    [InlineData("CRAN", "1.0a")]
    [InlineData("CRAN", "1..0")]
    [InlineData("Hackage", "1.0-tag")]
    [InlineData("RubyGems", "beta")]
    [InlineData("Packagist", "v")]
    [InlineData("PyPI", "")]
    [InlineData("Maven", "   ")]
    [InlineData("Alpine", "1.0 r1")]
    [InlineData("Red Hat", "1.0\u0000")]
    public void Unparsable_versions_cannot_be_compared_and_say_why(string ecosystem, string bad)
    {
        var scheme = VersionSchemes.For(ecosystem)!;
        Assert.False(scheme.IsValid(bad, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        foreach (var comparison in new[] { scheme.Compare(bad, "1.0"), scheme.Compare("1.0", bad) })
        {
            Assert.Null(comparison.Order);
            Assert.False(comparison.IsKnown);
            Assert.Equal("?", comparison.Symbol);
            Assert.Contains("not a valid", comparison.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Hostile_versions_are_bounded_and_never_throw()
    {
        var huge = new string('1', VersionScheme.MaxLength + 1);
        var deep = string.Concat(Enumerable.Repeat("1-", VersionScheme.MaxLength / 2 - 1)) + "1";
        var random = new Random(42);
        var noise = Enumerable.Range(0, 300).Select(_ => new string([.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(1, 0x250))])).ToList();
        foreach (var ecosystem in VersionSchemes.Ecosystems)
        {
            var scheme = VersionSchemes.For(ecosystem)!;
            Assert.False(scheme.Compare(huge, "1").IsKnown);
            Assert.Contains("longer than", scheme.Compare("1", huge).Error, StringComparison.Ordinal);
            var self = scheme.Compare(deep, deep);
            Assert.True(self.Order is null or 0, $"{ecosystem}: a version must equal itself");
            foreach (var n in noise)
            {
                var forward = scheme.Compare(n, "1.0");
                var backward = scheme.Compare("1.0", n);
                Assert.Equal(forward.Order is null, backward.Order is null);
                if (forward.Order is { } o) Assert.Equal(-o, backward.Order);
                var same = scheme.Compare(n, n);
                Assert.True(same.Order is null or 0, $"{ecosystem}: {n} must equal itself, got {same}");
            }
        }
    }

    [Theory]
    [InlineData("Go", "v1.2.3", "1.2.3", "=")]
    [InlineData("Go", "v2.0.0+incompatible", "2.0.0", "=")]
    [InlineData("Go", "v0.0.0-20191109021931-daa7c04131f5", "0.0.0", "<")]
    [InlineData("Go", "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa", "<")]
    [InlineData("Go", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", ">")]
    [InlineData("npm", "1.0.0-alpha.10", "1.0.0-alpha.9", ">")]
    [InlineData("npm", "1.0.0+build.1", "1.0.0+build.2", "=")]
    [InlineData("NuGet", "1.0.0-BETA", "1.0.0-beta", "=")]
    [InlineData("NuGet", "1.0", "1.0.0.0", "=")]
    [InlineData("NuGet", "1.0.0.1", "1.0.0", ">")]
    [InlineData("PyPI", "1.0-1", "1.0.post1", "=")]
    [InlineData("PyPI", "1.0.dev0", "1.0a1", "<")]
    [InlineData("PyPI", "1!0.1", "2.0", ">")]
    [InlineData("PyPI", "1.0+ubuntu.1", "1.0+ubuntu.a", ">")]
    [InlineData("PyPI", "V1.0RC1", "1.0c1", "=")]
    [InlineData("PyPI", "1.0-preview2", "1.0rc2", "=")]
    [InlineData("Maven", "1.0-alpha-1", "1.0-a1", "=")]
    [InlineData("Maven", "1.0-SNAPSHOT", "1.0-rc1", ">")]
    [InlineData("Maven", "1.0-sp1", "1.0", ">")]
    [InlineData("Maven", "1.0.Final", "1.0", "=")]
    [InlineData("Maven", "1.0-foo", "1.0-sp", ">")]
    [InlineData("Debian", "1.0~rc1", "1.0", "<")]
    [InlineData("Debian", "1.0a", "1.0+", "<")]
    [InlineData("Debian", "1:0.1", "2.0", ">")]
    [InlineData("Debian", "1.0-0", "1.0", "=")]
    [InlineData("Red Hat", "1.0^git1", "1.0", ">")]
    [InlineData("Red Hat", "1.0~rc1", "1.0", "<")]
    [InlineData("Alpine", "1.0_p1-r0", "1.0-r5", ">")]
    [InlineData("Alpine", "1.0_alpha1", "1.0_beta", "<")]
    [InlineData("Alpine", "1.0-r10", "1.0-r9", ">")]
    [InlineData("RubyGems", "1.0.0.pre", "1.0.0", "<")]
    [InlineData("RubyGems", "1.0", "1", "=")]
    [InlineData("Packagist", "v1.0.0-beta2", "1.0.0-RC1", "<")]
    [InlineData("Packagist", "1.0.0-patch1", "1.0.0", ">")]
    [InlineData("CRAN", "1.0-10", "1.0.9", ">")]
    [InlineData("Hackage", "1.0", "1", ">")]
    [InlineData("Pub", "1.0.0+1", "1.0.0", ">")]
    public void Each_scheme_orders_its_classic_cases(string ecosystem, string a, string b, string expected)
    {
        var scheme = VersionSchemes.For(ecosystem)!;
        Assert.Equal(expected, scheme.Compare(a, b).Symbol);
        Assert.Equal(expected switch { "<" => ">", ">" => "<", _ => "=" }, scheme.Compare(b, a).Symbol);
    }
}

public class VersionComparisonTests
{
    [Fact]
    public void A_comparison_is_either_an_order_or_a_reason()
    {
        Assert.Equal((1, null), (VersionComparison.Of(42).Order, VersionComparison.Of(42).Error));
        Assert.Equal("<", VersionComparison.Of(-7).Symbol);
        var failed = VersionComparison.Failed("bad");
        Assert.Equal((null, "bad", "?"), (failed.Order, failed.Error, failed.Symbol));
        Assert.Equal(failed, failed.Reversed());
        Assert.Equal(">", VersionComparison.Of(-1).Reversed().Symbol);
        // Even a default value cannot pass for an order.
        var unset = default(VersionComparison);
        Assert.False(unset.IsKnown);
        Assert.NotNull(unset.Error);
    }
}
