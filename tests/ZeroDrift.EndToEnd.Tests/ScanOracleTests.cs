using System.Text.Json;
using System.Text.RegularExpressions;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>npm's semver package, installed once from the npm registry for every SemVer oracle in the class.</summary>
public sealed class NodeSemverFixture : IDisposable
{
    private readonly TempDir dir = new();

    /// <summary>The path <c>require()</c> takes.</summary>
    public string Module { get; }

    public NodeSemverFixture()
    {
        ZeroDriftRunner.Tool("npm", "install", "--prefix", dir.Path, "--no-audit", "--no-fund", "--silent", "semver@7");
        Module = dir.Combine("node_modules/semver");
    }

    public void Dispose() => dir.Dispose();
}

/// <summary>
/// The same proof as the Debian test, for the other ecosystems of the OSV export: per package, the advisory ids
/// zerodrift reports are exactly those an oracle finds by walking the records itself with the ecosystem's real
/// comparator (rpm's vercmp, python3-packaging, node-semver), each asked once per test for every version involved.
/// </summary>
public partial class ScanTests
{
    private sealed record Expected(string Reported, string Osv, string Version);

    private static string Zip(string ecosystem) => Path.Combine(RepoPaths.SharedData, "osv", ecosystem, "all.zip");

    /// <summary>Checks every package against the oracle and returns each package's findings for evidence checks.</summary>
    private static Dictionary<string, List<JsonElement>> AssertMatchesOracle(JsonDocument report, string zip, string ecosystem, Expected[] packages,
        Func<IEnumerable<string>, ScanOracle.Compare> comparator, Func<string, string>? normalize = null)
    {
        normalize ??= n => n;
        var versions = ScanOracle.EventVersions(zip, ecosystem, packages.Select(p => p.Osv), normalize);
        foreach (var p in packages) versions.Add(p.Version);
        var compare = comparator(versions);
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var byPackage = new Dictionary<string, List<JsonElement>>();
        foreach (var p in packages)
        {
            var mine = findings.Where(f => normalize(f.GetProperty("package").GetProperty("name").GetString()!) == normalize(p.Reported)).ToList();
            byPackage[p.Reported] = mine;
            var expected = ScanOracle.Affecting(zip, ecosystem, p.Osv, p.Version, compare, normalize);
            var actual = new SortedSet<string>(mine.SelectMany(f => f.GetProperty("matched").GetProperty("advisories").EnumerateArray().Select(a => a.GetString()!)), StringComparer.Ordinal);
            Assert.True(expected.SetEquals(actual), $"{p.Osv} {p.Version}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
        }
        // The proof means something only if most packages are in fact affected.
        Assert.True(byPackage.Values.Count(f => f.Count > 0) >= packages.Length - 1, "most packages should have advisories");
        return byPackage;
    }

    private static readonly (string Name, string Epoch, string Version, string Release)[] Alma9 =
    [
        ("openssl", "1", "3.0.7", "27.el9"),
        ("curl", "", "7.76.1", "29.el9_4"),
        ("libxml2", "", "2.9.13", "6.el9_4"),
        ("sudo", "", "1.9.5p2", "10.el9_3"),
    ];

    /// <summary>An AlmaLinux 9.4 root whose rpmdb.sqlite rpm itself wrote, from packages rpmbuild built with the real NEVRs.</summary>
    private static string AlmaLinux9Root(TempDir dir)
    {
        var top = dir.Combine("rpmbuild");
        foreach (var (name, epoch, version, release) in Alma9)
        {
            var spec = dir.File($"rpmbuild/SPECS/{name}.spec", $"""
                Name: {name}
                {(epoch.Length > 0 ? $"Epoch: {epoch}" : "")}
                Version: {version}
                Release: {release}
                Summary: {name}
                License: MIT
                BuildArch: noarch
                %description
                {name}
                %files

                """.Replace("\r", "", StringComparison.Ordinal));
            ZeroDriftRunner.Tool("rpmbuild", "--define", $"_topdir {top}", "--define", $"_dbpath {dir.Combine("rpmbuild/db")}", "--quiet", "-bb", spec);
        }
        var root = dir.Combine("alma9");
        dir.File("alma9/etc/os-release", "NAME=\"AlmaLinux\"\nVERSION=\"9.4 (Seafoam Ocelot)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\nPLATFORM_ID=\"platform:el9\"\n");
        var db = Path.Combine(root, "var/lib/rpm");
        Directory.CreateDirectory(db);
        ZeroDriftRunner.Tool("rpm", "--dbpath", db, "--define", "_db_backend sqlite", "--initdb");
        var rpms = Directory.GetFiles(Path.Combine(top, "RPMS"), "*.rpm", SearchOption.AllDirectories);
        Assert.Equal(Alma9.Length, rpms.Length);
        ZeroDriftRunner.Tool("rpm", ["--dbpath", db, "--define", "_db_backend sqlite", "-i", "--nodeps", "--justdb", "--ignorearch", .. rpms]);
        Assert.True(File.Exists(Path.Combine(db, "rpmdb.sqlite")));
        return root;
    }

    [Fact]
    public void An_almalinux_9_rpmdb_gets_exactly_the_advisories_rpm_vercmp_says_contain_its_versions()
    {
        using var dir = new TempDir();
        using var report = Scan("scan", AlmaLinux9Root(dir));
        var expected = Alma9.Select(p => new Expected(p.Name, p.Name, $"{(p.Epoch.Length > 0 ? p.Epoch + ":" : "")}{p.Version}-{p.Release}")).ToArray();
        var findings = AssertMatchesOracle(report, Zip("AlmaLinux"), "AlmaLinux:9", expected, ScanOracle.Rpm);

        var openssl = findings["openssl"];
        Assert.NotEmpty(openssl);
        var one = openssl[0];
        Assert.Equal("AlmaLinux:9", one.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("1:3.0.7-27.el9", one.GetProperty("matched").GetProperty("version").GetString());
        Assert.Equal("AlmaLinux", one.GetProperty("matched").GetProperty("comparator").GetString());
        Assert.StartsWith("1:", one.GetProperty("fixedIn").GetString());
        Assert.Equal("/var/lib/rpm/rpmdb.sqlite", one.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());
    }

    [Fact]
    public void A_go_binary_gets_exactly_the_stdlib_advisories_node_semver_says_contain_its_toolchain()
    {
        using var dir = new TempDir();
        dir.File("src/go.mod", "module example.com/hello\n\ngo 1.19\n");
        dir.File("src/main.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n");
        var env = new Dictionary<string, string>
        {
            ["GOFLAGS"] = "-mod=mod", ["GOPROXY"] = "off", ["GOTOOLCHAIN"] = "local",
            ["GOPATH"] = dir.Combine("gopath"), ["GOCACHE"] = dir.Combine("gocache"), ["HOME"] = dir.Path,
        };
        ZeroDriftRunner.Tool(env, dir.Combine("src"), "go", "build", "-o", dir.Combine("bin/hello"), ".");
        // The toolchain's own word for its version, not the cataloger's: "go1.19.8" is SemVer "1.19.8" to OSV.
        var goVersion = ZeroDriftRunner.Tool(env, dir.Combine("src"), "go", "env", "GOVERSION").Trim();
        var version = Regex.Match(goVersion, @"^go(\d+\.\d+(\.\d+)?)").Groups[1].Value;
        if (version.Count(c => c == '.') == 1) version += ".0";

        using var report = Scan("scan", dir.Combine("bin"));
        var findings = AssertMatchesOracle(report, Zip("Go"), "Go", [new Expected("stdlib", "stdlib", version)], v => ScanOracle.SemVer(v, semver.Module));

        var one = findings["stdlib"][0];
        Assert.Equal("Go", one.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("Go", one.GetProperty("matched").GetProperty("comparator").GetString());
        Assert.True(one.TryGetProperty("fixedIn", out _));
        Assert.Equal("/hello", one.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());
    }

    private static readonly (string Name, string Version)[] SitePackages =
    [
        ("Django", "3.2"),
        ("requests", "2.25.0"),
        ("urllib3", "1.26.4"),
        ("Jinja2", "2.11.2"),
    ];

    /// <summary>PEP 503: names compare lowercased, with runs of '-', '_' and '.' equal.</summary>
    private static string Pep503(string name) => Regex.Replace(name, "[-_.]+", "-").ToLowerInvariant();

    [Fact]
    public void A_site_packages_tree_gets_exactly_the_advisories_python_packaging_says_contain_its_versions()
    {
        using var dir = new TempDir();
        foreach (var (name, version) in SitePackages)
        {
            dir.File($"venv/lib/python3.11/site-packages/{name}-{version}.dist-info/METADATA",
                $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name}\n\n{name}\n");
            dir.File($"venv/lib/python3.11/site-packages/{name}-{version}.dist-info/INSTALLER", "pip\n");
        }
        using var report = Scan("scan", dir.Combine("venv"));
        var findings = AssertMatchesOracle(report, Zip("PyPI"), "PyPI",
            SitePackages.Select(p => new Expected(p.Name, p.Name, p.Version)).ToArray(), ScanOracle.Pep440, Pep503);

        var one = findings["Django"][0];
        Assert.Equal("PyPI", one.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("PyPI", one.GetProperty("matched").GetProperty("comparator").GetString());
        Assert.True(one.TryGetProperty("fixedIn", out _));
        Assert.Equal("/lib/python3.11/site-packages/Django-3.2.dist-info/METADATA", one.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());
    }

    private static readonly (string Name, string Version)[] Crates =
    [
        ("smallvec", "1.6.0"),
        ("time", "0.1.43"),
        ("tokio", "1.0.0"),
        ("hyper", "0.14.9"),
    ];

    [Fact]
    public void A_cargo_lock_gets_exactly_the_advisories_node_semver_says_contain_its_versions()
    {
        using var dir = new TempDir();
        var lockfile = "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n"
            + "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n" + string.Concat(Crates.Select(c => $" \"{c.Name}\",\n")) + "]\n"
            + string.Concat(Crates.Select(c => $"\n[[package]]\nname = \"{c.Name}\"\nversion = \"{c.Version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"));
        dir.File("app/Cargo.lock", lockfile);
        dir.File("app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
        using var report = Scan("scan", dir.Combine("app"));
        var findings = AssertMatchesOracle(report, Zip("crates.io"), "crates.io",
            Crates.Select(c => new Expected(c.Name, c.Name, c.Version)).ToArray(), v => ScanOracle.SemVer(v, semver.Module));

        var one = findings["smallvec"][0];
        Assert.Equal("crates.io", one.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("crates.io", one.GetProperty("matched").GetProperty("comparator").GetString());
        Assert.True(one.TryGetProperty("fixedIn", out _));
        Assert.Equal("/Cargo.lock", one.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());
    }
}
