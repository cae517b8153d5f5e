using System.Diagnostics;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Dpkg;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public class DpkgCatalogerTests
{
    private const string Status = """
        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Multi-Arch: same
        Source: glibc
        Version: 2.36-9+deb12u4
        Depends: libgcc-s1
        Description: GNU C Library: Shared libraries
         Contains the standard libraries.

        Package: libgcc-s1
        Status: install ok installed
        Architecture: amd64
        Source: gcc-12 (12.2.0-14)
        Version: 12.3.0-14
        Provides: libgcc1 (= 1:12.2.0-14)
        Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)

        Package: curl
        Status: install ok installed
        Architecture: amd64
        Version: 7.88.1-10+deb12u5
        Depends: libcurl4 (= 7.88.1-10+deb12u5) | libcurl3, libc6 (>= 2.34), libgcc1, perl:any

        Package: removed-but-configured
        Status: deinstall ok config-files
        Architecture: all
        Version: 1.0-1

        """;

    private static TempDir Root()
    {
        var dir = new TempDir();
        dir.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        dir.File("var/lib/dpkg/status", Status);
        dir.File("var/lib/dpkg/info/libc6:amd64.list", "/.\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6\n");
        dir.File("var/lib/dpkg/info/curl.list", "/.\n/usr/bin/curl\n");
        dir.File("usr/share/doc/curl/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1996 Daniel\nLicense: curl\n\nFiles: lib/x\nLicense: BSD-3-Clause\n\nLicense: curl\n text\n");
        return dir;
    }

    [Fact]
    public void Reads_installed_packages_with_source_arch_files_licences_and_purls()
    {
        using var dir = Root();
        var inventory = CatalogerHarness.Scan(dir.Path, new DpkgCataloger());
        var packages = inventory.Packages.ToDictionary(p => p.Name);

        Assert.Equal(["curl", "libc6", "libgcc-s1"], packages.Keys.Order(StringComparer.Ordinal).ToArray());
        var libc = packages["libc6"];
        Assert.Equal("2.36-9+deb12u4", libc.Version);
        Assert.Equal("glibc", libc.SourceName);
        Assert.Equal("2.36-9+deb12u4", libc.SourceVersion);
        Assert.Equal("amd64", libc.Arch);
        Assert.Equal("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc", libc.Purl.ToString());
        Assert.Equal(["/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/doc/libc6"], libc.Files);
        Assert.Equal("/var/lib/dpkg/status", libc.Locations.Single().Path);

        var gcc = packages["libgcc-s1"];
        Assert.Equal("gcc-12", gcc.SourceName);
        Assert.Equal("12.2.0-14", gcc.SourceVersion);
        Assert.Contains("upstream=gcc-12%4012.2.0-14", gcc.Purl.ToString());

        Assert.Equal(["BSD-3-Clause", "curl"], packages["curl"].Licenses);
    }

    [Fact]
    public void Builds_the_dependency_graph_through_alternatives_and_provides()
    {
        using var dir = Root();
        var packages = CatalogerHarness.Scan(dir.Path, new DpkgCataloger()).Packages.ToDictionary(p => p.Name);
        // curl: libcurl4 is absent (first alternative), libc6 present, libgcc1 is provided by libgcc-s1, perl:any absent.
        Assert.Equal(new[] { packages["libc6"].Id, packages["libgcc-s1"].Id }.Order(), packages["curl"].DependsOn.Order());
        Assert.Equal([packages["libgcc-s1"].Id], packages["libc6"].DependsOn);
    }

    [Fact]
    public void Reads_distroless_status_d()
    {
        using var dir = new TempDir();
        dir.File("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n");
        dir.File("var/lib/dpkg/status.d/base-files.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n");
        var p = CatalogerHarness.Scan(dir.Path, new DpkgCataloger()).Packages.Single();
        Assert.Equal("base-files@12.4+deb12u5", p.Key());
        Assert.Equal(["/etc/debian_version"], p.Files);
    }

    [Fact]
    public void A_malformed_status_file_is_a_warning_not_a_crash()
    {
        using var dir = new TempDir();
        dir.File("var/lib/dpkg/status", "this is not a control file\n");
        var inventory = CatalogerHarness.Scan(dir.Path, new DpkgCataloger());
        Assert.Empty(inventory.Packages);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/var/lib/dpkg/status: dpkg: malformed control line", StringComparison.Ordinal));
    }

    [Fact]
    public void This_machines_database_matches_dpkg_query()
    {
        var expected = Run("dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Where(f => f[0] == "installed")
            .Select(f => $"{f[1]}@{f[2]}")
            .Order(StringComparer.Ordinal).ToList();
        var cataloger = new DpkgCataloger();
        var context = new CatalogContext(new RootedStatus(), null, Artifacts.ScanLimits.Default, _ => { });
        var entry = context.FileSystem.Lstat("/var/lib/dpkg/status")!;
        var actual = cataloger.Catalog(context, entry).Select(p => p.Key()).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count > 100, "dpkg-query listed too few packages to be a real database");
        Assert.Equal(expected, actual);
    }

    /// <summary>The host's root, for reading its real dpkg database without walking the whole disk.</summary>
    private sealed class RootedStatus() : Artifacts.FileSystems.IFileSystem
    {
        private readonly Artifacts.FileSystems.DirectoryFileSystem _root = new("/");
        public IEnumerable<Artifacts.FileSystems.FileEntry> Enumerate(CancellationToken cancellationToken = default) => [];
        public Artifacts.FileSystems.FileEntry? Lstat(string path) => _root.Lstat(path);
        public Stream Open(Artifacts.FileSystems.FileEntry entry) => _root.Open(entry);
        public IEnumerable<Artifacts.FileSystems.FileEntry> List(string directory) => _root.List(directory);
        public void Dispose() => _root.Dispose();
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }
}
