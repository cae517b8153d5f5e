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

/// <summary>Conflicts, Breaks and Replaces where an upgrade hits them, and --all-updates' choice.</summary>
public sealed class PlannerRelationTests
{
    private static readonly AptSource Repo = AptSource.Parse("deb http://127.0.0.1/ stable main", "test");

    private static AptPackage P(string name, string version, string? depends = null) =>
        new(name, version, "amd64", $"pool/{name}_{version}.deb", new string('0', 64), 1, depends, null, null, Repo);

    private static DpkgDatabase Installed(string status)
    {
        using var dir = new TempDir();
        dir.File("var/lib/dpkg/status", status);
        using var fs = new Artifacts.FileSystems.DirectoryFileSystem(dir.Path);
        return DpkgDatabase.Read(fs, 1 << 20);
    }

    private const string ToolAndPlugin =
        "Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n" +
        "Package: tool-plugin\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n";

    private static readonly UpgradeRequest FixTool = new("tool", "1", "amd64", "2", ["CVE-9"]);

    [Fact]
    public void A_Breaks_on_an_installed_package_is_resolved_by_upgrading_it_when_the_repository_can()
    {
        var index = new[] { P("tool", "2") with { Breaks = "tool-plugin (<< 2)" }, P("tool-plugin", "1"), P("tool-plugin", "2") };
        var (plan, _) = new PatchPlanner(index, Installed(ToolAndPlugin), "amd64", 100).Plan([FixTool]);
        Assert.Equal(["tool 2", "tool-plugin 2"], plan.Select(u => $"{u.Package.Name} {u.Package.Version}"));
        Assert.Equal("tool 2 Breaks tool-plugin (<< 2)", plan[1].Reason);
    }

    [Fact]
    public void A_Breaks_the_repository_cannot_resolve_is_refused_in_one_line()
    {
        var index = new[] { P("tool", "2") with { Breaks = "tool-plugin (<< 2)" }, P("tool-plugin", "1") };
        var e = Assert.Throws<RemediationException>(() => new PatchPlanner(index, Installed(ToolAndPlugin), "amd64", 100).Plan([FixTool]));
        Assert.Equal("tool 2 Breaks tool-plugin (<< 2), and tool-plugin 1 would stay installed: resolving it needs a package removed, which a patch does not do; refused", e.Message);
    }

    [Fact]
    public void Conflicts_with_Replaces_means_a_removal_and_is_refused_even_if_a_newer_version_exists()
    {
        var index = new[] { P("tool", "2") with { Conflicts = "tool-plugin", Replaces = "tool-plugin" }, P("tool-plugin", "3") };
        var e = Assert.Throws<RemediationException>(() => new PatchPlanner(index, Installed(ToolAndPlugin), "amd64", 100).Plan([FixTool]));
        Assert.Contains("tool 2 Conflicts tool-plugin and Replaces it, and tool-plugin 1 would stay installed", e.Message);
    }

    [Fact]
    public void An_installed_package_that_Breaks_the_new_version_is_refused()
    {
        var db = Installed(ToolAndPlugin.Replace("Package: tool-plugin\nStatus: install ok installed\nVersion: 1\n", "Package: tool-plugin\nStatus: install ok installed\nVersion: 1\nBreaks: tool (>= 2)\n", StringComparison.Ordinal));
        var e = Assert.Throws<RemediationException>(() => new PatchPlanner([P("tool", "2")], db, "amd64", 100).Plan([FixTool]));
        Assert.StartsWith("tool-plugin 1 Breaks tool (>= 2)", e.Message);
    }

    [Fact]
    public void A_Breaks_that_does_not_hit_the_installed_version_changes_nothing()
    {
        var index = new[] { P("tool", "2") with { Breaks = "tool-plugin (<< 1)", Conflicts = "ghost" } };
        var (plan, _) = new PatchPlanner(index, Installed(ToolAndPlugin), "amd64", 100).Plan([FixTool]);
        Assert.Equal(["tool"], plan.Select(u => u.Package.Name));
    }

    [Fact]
    public void All_updates_asks_for_the_newest_version_of_every_installed_package_the_repository_has_newer()
    {
        var index = new[] { P("tool", "1"), P("tool", "3"), P("tool-plugin", "1"), P("other", "9") };
        var planner = new PatchPlanner(index, Installed(ToolAndPlugin), "amd64", 100);
        var update = Assert.Single(planner.Updates());
        Assert.Equal(("tool", "1", "3"), (update.Name, update.InstalledVersion, update.FixedIn));
        var (plan, _) = planner.Plan([update]);
        Assert.Equal("newer version in the repository (--all-updates)", Assert.Single(plan).Reason);
    }
}
