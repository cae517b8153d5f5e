using ZeroDrift.Remediation.Images;
using ZeroDrift.Remediation.Images.Apt;

namespace ZeroDrift.Remediation.Tests;

/// <summary>Version choice and dependency resolution, on indices and dpkg databases written here.</summary>
public sealed class PlannerTests
{
    private static readonly AptSource Repo = AptSource.Parse("deb http://127.0.0.1/ stable main", "test");

    private static AptPackage P(string name, string version, string? depends = null, string? provides = null, string arch = "amd64") =>
        new(name, version, arch, $"pool/{name}_{version}.deb", new string('0', 64), 1, depends, null, provides, Repo);

    private static DpkgDatabase Installed(string status)
    {
        using var dir = new TempDir();
        dir.File("var/lib/dpkg/status", status);
        using var fs = new Artifacts.FileSystems.DirectoryFileSystem(dir.Path);
        return DpkgDatabase.Read(fs, 1 << 20);
    }

    [Fact]
    public void The_newest_fixed_version_is_chosen_and_unmet_dependencies_are_added()
    {
        var db = Installed("Package: libfoo\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n");
        var index = new[]
        {
            P("libfoo", "1.0-1"), P("libfoo", "1.0-2", "libc6 (>= 2.36), libbar (>= 2) | libbaz"), P("libfoo", "1.0-3", "libc6 (>= 2.36), libbar (>= 2) | libbaz"),
            P("libbar", "1.9"), P("libbar", "2.1"), P("libc6", "2.36-9"),
        };
        var (plan, unfixable) = new PatchPlanner(index, db, "amd64", 100).Plan([new UpgradeRequest("libfoo", "1.0-1", "amd64", "1.0-2", ["CVE-1"])]);
        Assert.Empty(unfixable);
        Assert.Equal(["libbar 2.1 (new)", "libfoo 1.0-3 1.0-1"], plan.Select(u => $"{u.Package.Name} {u.Package.Version} {u.FromVersion ?? "(new)"}"));
    }

    [Fact]
    public void A_virtual_package_provided_by_an_installed_one_satisfies_a_dependency()
    {
        var db = Installed("Package: mawk\nStatus: install ok installed\nVersion: 1.3\nArchitecture: amd64\nProvides: awk\n\nPackage: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n");
        var (plan, _) = new PatchPlanner([P("tool", "2", "awk")], db, "amd64", 100).Plan([new UpgradeRequest("tool", "1", "amd64", "2", ["CVE-2"])]);
        Assert.Equal(["tool"], plan.Select(u => u.Package.Name));
    }

    [Fact]
    public void No_fixed_version_in_the_repositories_is_reported_not_guessed()
    {
        var db = Installed("Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n");
        var (plan, unfixable) = new PatchPlanner([P("tool", "1.5")], db, "amd64", 100).Plan([new UpgradeRequest("tool", "1", "amd64", "2", ["CVE-3"])]);
        Assert.Empty(plan);
        Assert.Equal("no version >= 2 in the repositories", Assert.Single(unfixable).Reason);
    }

    [Fact]
    public void A_dependency_nobody_has_is_one_error_naming_it()
    {
        var db = Installed("Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n");
        var e = Assert.Throws<RemediationException>(() => new PatchPlanner([P("tool", "2", "ghost (>= 3)")], db, "amd64", 100).Plan([new UpgradeRequest("tool", "1", "amd64", "2", ["CVE-4"])]));
        Assert.Equal("tool 2: dependency 'ghost (>= 3)' is not installed and not in the repositories", e.Message);
    }

    [Theory]
    [InlineData("./usr/bin/x", "/usr/bin/x")]
    [InlineData("usr//lib/./y", "/usr/lib/y")]
    [InlineData("./", null)]
    public void Package_paths_are_normalised_inside_the_root(string name, string? expected) =>
        Assert.Equal(expected, PatchLayerBuilder.NormalisePath(name, "p"));

    [Theory]
    [InlineData("./usr/../../etc/passwd")]
    [InlineData("../x")]
    [InlineData("./usr/.wh.libc.so")]
    public void Paths_that_leave_the_root_or_hide_files_are_refused(string name) =>
        Assert.Throws<RemediationException>(() => PatchLayerBuilder.NormalisePath(name, "p"));
}
