using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Inventory;
using ZeroDrift.Inventory.Catalogers.Dpkg;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>The same image read from a registry and from its OCI layout gives the same inventory, layer by layer.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryInventoryTests(RegistryFixture fixture)
{
    private const string BaseStatus = """
        Package: base-files
        Status: install ok installed
        Priority: required
        Section: admin
        Installed-Size: 340
        Maintainer: Santiago Vila <sanvila@debian.org>
        Architecture: amd64
        Version: 12.4+deb12u5
        Description: Debian base system miscellaneous files

        Package: libc6
        Status: install ok installed
        Priority: optional
        Section: libs
        Installed-Size: 12985
        Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
        Architecture: amd64
        Multi-Arch: same
        Source: glibc
        Version: 2.36-9+deb12u4
        Depends: libgcc-s1
        Description: GNU C Library: Shared libraries

        """;

    private const string UpperStatus = BaseStatus + "\n" + """
        Package: curl
        Status: install ok installed
        Priority: optional
        Section: web
        Installed-Size: 500
        Maintainer: Alessandro Ghedini <ghedo@debian.org>
        Architecture: amd64
        Version: 7.88.1-10+deb12u5
        Depends: libc6 (>= 2.34)
        Description: command line tool for transferring data with URL syntax

        """;

    [Fact]
    public async Task Registry_and_oci_dir_give_the_same_packages_and_layers()
    {
        var image = new TestImage()
            .Layer(new TestLayer { CreatedBy = "debootstrap" }
                .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
                .File("var/lib/dpkg/status", BaseStatus)
                .File("var/lib/dpkg/info/libc6:amd64.list", "/lib/x86_64-linux-gnu/libc.so.6\n"))
            .Layer(new TestLayer { CreatedBy = "apt-get install curl", Compression = LayerCompression.Zstd }
                .File("var/lib/dpkg/status", UpperStatus)
                .File("var/lib/dpkg/info/curl.list", "/usr/bin/curl\n"));
        using var layout = new TempDir();
        image.WriteOciLayout(layout.Path, "scan");
        var registry = fixture.Plain;
        var digest = await RegistryFixture.PushLayoutAsync(layout.Path, "scan", registry, "debian/curl:12");

        var scanner = new InventoryScanner([new DpkgCataloger()]);
        var fromRegistry = await scanner.ScanAsync(TargetReference.Parse($"{registry.Host}/debian/curl:12"),
            new TargetOptions { InsecureRegistries = [registry.Host] }, CancellationToken.None);
        var fromLayout = await scanner.ScanAsync(TargetReference.Parse($"oci-dir:{layout.Path}"), new TargetOptions(), CancellationToken.None);

        Assert.Equal(3, fromRegistry.Packages.Count);
        Assert.Equal(Describe(fromLayout), Describe(fromRegistry));
        Assert.Equal(fromLayout.Distro, fromRegistry.Distro);
        Assert.Equal(digest, fromRegistry.Image!.ManifestDigest);
        Assert.Equal(fromLayout.Image!.ManifestDigest, fromRegistry.Image.ManifestDigest);
        Assert.Equal(fromLayout.Image.ConfigDigest, fromRegistry.Image.ConfigDigest);
        Assert.Empty(fromRegistry.Warnings);
        // The status file the packages come from was last written by layer 1 (apt-get install curl).
        var curl = Assert.Single(fromRegistry.Packages, p => p.Name == "curl");
        Assert.Equal("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12", curl.Purl.ToString());
        Assert.Equal(1, curl.Locations[0].Layer!.Index);
        Assert.Equal("apt-get install curl", curl.Locations[0].Layer!.CreatedBy);
    }

    private static List<string> Describe(Inventory.Inventory inventory) => inventory.Packages
        .Select(p => $"{p.Purl} {string.Join(",", p.Locations.Select(l => l.ToString()))} files={string.Join(",", p.Files)} deps={string.Join(",", p.DependsOn)}")
        .Order(StringComparer.Ordinal)
        .ToList();
}
