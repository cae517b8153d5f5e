using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Apk;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class ApkTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Apk", "installed");

    private static (List<Package> Packages, List<string> Warnings) Run(string installedText, Distro? distro)
    {
        using var dir = new TempDir();
        dir.File("lib/apk/db/installed", installedText);
        using var fs = new DirectoryFileSystem(dir.Path);
        var cataloger = new ApkCataloger();
        var entry = fs.Enumerate().Single(cataloger.FileRequired);
        var warnings = new List<string>();
        var packages = cataloger.Catalog(new CatalogContext(fs, distro, ScanLimits.Default, warnings.Add), entry).ToList();
        return (packages, warnings);
    }

    [Fact]
    public void Reads_every_package_of_a_real_installed_db_with_purls_files_and_licenses()
    {
        var (packages, warnings) = Run(File.ReadAllText(Fixture), new Distro("alpine", "3.20.1"));
        Assert.Empty(warnings);
        Assert.Equal(["musl", "busybox", "busybox-binsh", "libcrypto3", "libssl3", "ssl_client", "zlib", "apk-tools", "musl-utils"],
            packages.Select(p => p.Name));

        var musl = packages[0];
        Assert.Equal("1.2.5-r0", musl.Version);
        Assert.Equal(Ecosystem.Apk, musl.Ecosystem);
        Assert.Equal("pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.1", musl.Purl.ToString());
        Assert.Equal(["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"], musl.Files);
        Assert.Equal(["MIT"], musl.Licenses);
        Assert.Equal("apk", musl.FoundBy);
        Assert.Equal("/lib/apk/db/installed", musl.Locations.Single().Path);
        Assert.Equal("Timo Teräs <timo.teras@iki.fi>", musl.Metadata["maintainer"]);
        Assert.Equal("1712222137", musl.Metadata["buildTime"]);
        Assert.Equal("7183b14e82fd4ad05ba8bc38e67d0ea1f6b4c2b6", musl.Metadata["commit"]);

        var libcrypto = packages.Single(p => p.Name == "libcrypto3");
        Assert.Equal("openssl", libcrypto.SourceName);
        Assert.Equal("pkg:apk/alpine/libcrypto3@3.3.1-r0?arch=x86_64&distro=alpine-3.20.1&upstream=openssl", libcrypto.Purl.ToString());
        Assert.Equal(["/etc/ssl/openssl.cnf.dist", "/usr/lib/libcrypto.so.3"], libcrypto.Files);

        var busybox = packages.Single(p => p.Name == "busybox");
        Assert.Equal(["/bin/busybox", "/etc/securetty", "/etc/udhcpd.conf", "/etc/logrotate.d/acpid", "/usr/share/udhcpc/default.script"], busybox.Files);
        Assert.Equal(["MIT AND BSD-2-Clause AND GPL-2.0-or-later"], packages.Single(p => p.Name == "musl-utils").Licenses);
    }

    [Fact]
    public void Dependency_graph_resolves_names_so_and_cmd_provides_and_ignores_conflicts()
    {
        var (packages, _) = Run(File.ReadAllText(Fixture), new Distro("alpine", "3.20.1"));
        var byName = packages.ToDictionary(p => p.Name);
        string Id(string name) => byName[name].Id;

        Assert.Equal([Id("musl")], byName["busybox"].DependsOn);
        Assert.Equal([Id("busybox")], byName["busybox-binsh"].DependsOn);
        Assert.Equal([Id("musl"), Id("libcrypto3"), Id("libssl3")], byName["ssl_client"].DependsOn);
        // "musl>=1.2.3_git…" by name, so: libraries by provides, "!apk-tools-static" is a conflict, not a dependency;
        // ca-certificates-bundle is not installed in this database.
        Assert.Equal([Id("musl"), Id("libcrypto3"), Id("libssl3"), Id("zlib")], byName["apk-tools"].DependsOn);
        Assert.Equal("ca-certificates-bundle", byName["apk-tools"].Metadata["unresolvedDepends"]);
        Assert.Empty(byName["musl"].DependsOn);
        Assert.All(packages.SelectMany(p => p.DependsOn), id => Assert.Contains(id, packages.Select(p => p.Id)));
    }

    [Fact]
    public void Namespace_follows_the_distro_and_defaults_to_alpine()
    {
        var record = "P:glibc\nV:2.39-r5\nA:aarch64\nL:LGPL-2.1-or-later\no:glibc\n";
        Assert.Equal("pkg:apk/wolfi/glibc@2.39-r5?arch=aarch64&distro=wolfi-20230201",
            Run(record, new Distro("wolfi", "20230201")).Packages.Single().Purl.ToString());
        Assert.Equal("pkg:apk/alpine/glibc@2.39-r5?arch=aarch64", Run(record, null).Packages.Single().Purl.ToString());
    }

    [Fact]
    public void Malformed_lines_and_incomplete_records_are_warned_and_skipped()
    {
        var text = "P:musl\nV:1.2.5-r0\nthis line is garbage\nA:x86_64\n\nP:noversion\nA:x86_64\n\n\n\nV:1.0\n\nP:zlib\nV:1.3.1-r1\nF:usr/lib\nR:libz.so.1\nX\n";
        var (packages, warnings) = Run(text, null);
        Assert.Equal(["musl", "zlib"], packages.Select(p => p.Name));
        Assert.Equal("x86_64", packages[0].Arch);
        Assert.Equal(["/usr/lib/libz.so.1"], packages[1].Files);
        Assert.Contains(warnings, w => w.Contains("line 3", StringComparison.Ordinal) && w.Contains("'X:value'", StringComparison.Ordinal));
        Assert.Equal(2, warnings.Count(w => w.Contains("no package name", StringComparison.Ordinal)));
        Assert.Contains(warnings, w => w.Contains("2 malformed lines", StringComparison.Ordinal));
    }

    [Fact]
    public void Scanner_finds_the_database_and_only_it()
    {
        using var dir = new TempDir();
        dir.File("lib/apk/db/installed", File.ReadAllText(Fixture));
        dir.File("lib/apk/db/triggers", "");
        dir.File("etc/apk/world", "busybox\n");
        var cataloger = new ApkCataloger();
        using var fs = new DirectoryFileSystem(dir.Path);
        Assert.Single(fs.Enumerate(), cataloger.FileRequired);
    }
}
