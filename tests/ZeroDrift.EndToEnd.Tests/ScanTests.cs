using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>One database for the scan tests: the real OSV export in ../shared/data, imported once.</summary>
public sealed class OsvDatabaseFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Db => Dir.Combine("osv.db");

    public OsvDatabaseFixture()
    {
        var r = ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.SharedData, "osv"), "--db", Db, "--quiet");
        if (r.ExitCode != 0) throw new InvalidOperationException(r.Stderr);
    }

    public void Dispose() => Dir.Dispose();
}

public partial class ScanTests(OsvDatabaseFixture osv, NodeSemverFixture semver) : IClassFixture<OsvDatabaseFixture>, IClassFixture<NodeSemverFixture>
{
    private static readonly (string Binary, string Source, string Version)[] Debian10 =
    [
        ("imagemagick-6.q16", "imagemagick", "8:6.9.10.23+dfsg-2.1+deb10u9"),
        ("libxml2", "libxml2", "2.9.4+dfsg1-7+deb10u9"),
        ("python3-django", "python-django", "1:1.11.29-1+deb10u15"),
        ("redis-server", "redis", "5:5.0.14-1+deb10u8"),
        ("linux-image-5.10.0-0.deb10.30-amd64", "linux-5.10", "5.10.237-1~deb10u1"),
        ("openjdk-11-jre-headless", "openjdk-11", "11.0.26+4-1~deb10u1"),
        ("base-files", "base-files", "10.3+deb10u13"),
    ];

    private static string Debian10Image(TempDir dir)
    {
        var status = string.Join("\n", Debian10.Select(p =>
            $"Package: {p.Binary}\nStatus: install ok installed\nArchitecture: amd64\nSource: {p.Source} ({p.Version})\nVersion: {p.Version}\n"));
        return new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nID=debian\nVERSION_ID=\"10\"\n")
                .File("var/lib/dpkg/status", status))
            .WriteOciLayout(dir.Combine("debian10"));
    }

    private JsonDocument Scan(params string[] args)
    {
        var r = ZeroDriftRunner.Run([.. args, "--db", osv.Db, "--format", "json"]);
        Assert.True(r.ExitCode is 0 or 1, r.Stderr);
        return JsonDocument.Parse(r.Stdout);
    }

    [Fact]
    public void A_debian_10_image_gets_exactly_the_advisories_dpkg_says_contain_its_versions()
    {
        using var dir = new TempDir();
        using var report = Scan("scan", "oci-dir:" + Debian10Image(dir));
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        foreach (var (binary, source, version) in Debian10)
        {
            var expected = ScanOracle.Affecting(Path.Combine(RepoPaths.SharedData, "osv", "Debian", "all.zip"), "Debian:10", source, version, ScanOracle.Dpkg);
            var actual = new SortedSet<string>(findings
                .Where(f => f.GetProperty("package").GetProperty("name").GetString() == binary)
                .SelectMany(f => f.GetProperty("matched").GetProperty("advisories").EnumerateArray().Select(a => a.GetString()!)), StringComparer.Ordinal);
            Assert.True(expected.SetEquals(actual), $"{source} {version}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
        }
        Assert.Contains(findings, f => f.GetProperty("package").GetProperty("name").GetString() == "libxml2");
        var one = findings.First(f => f.GetProperty("package").GetProperty("name").GetString() == "imagemagick-6.q16");
        Assert.Equal("Debian:10", one.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("imagemagick", one.GetProperty("matched").GetProperty("name").GetString());
        Assert.StartsWith("ECOSYSTEM range #0: introduced 0, fixed 8:6.9.10.23+dfsg-2.1+deb10u", one.GetProperty("matched").GetProperty("evidence").GetString());
        Assert.Equal("/var/lib/dpkg/status", one.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());
        Assert.Equal(0, one.GetProperty("package").GetProperty("locations")[0].GetProperty("layerIndex").GetInt32());
    }

    [Fact]
    public void Vex_and_ignore_files_change_both_report_and_exit_code()
    {
        using var dir = new TempDir();
        var image = "oci-dir:" + Debian10Image(dir);
        var before = ZeroDriftRunner.Run("scan", image, "--db", osv.Db, "--exit-code", "7", "--format", "json");
        Assert.Equal(7, before.ExitCode);
        using var beforeJson = JsonDocument.Parse(before.Stdout);
        var libxml2 = beforeJson.RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("package").GetProperty("name").GetString() == "libxml2")
            .Select(f => f.GetProperty("id").GetString()!).ToList();
        var others = beforeJson.RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("package").GetProperty("name").GetString() != "libxml2")
            .Select(f => f.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(libxml2);
        Assert.NotEmpty(others);

        // VEX: libxml2's vulnerabilities are not_affected; an ignore file takes every other one, one of them expired.
        var vex = dir.File("vex.json", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@context"] = "https://openvex.dev/ns/v0.2.0",
            ["@id"] = "https://example.test/vex/1",
            ["author"] = "test",
            ["timestamp"] = "2026-01-01T00:00:00Z",
            ["version"] = 1,
            ["statements"] = libxml2.Select(id => new Dictionary<string, object>
            {
                ["vulnerability"] = new Dictionary<string, string> { ["name"] = id },
                ["products"] = new[] { new Dictionary<string, string> { ["@id"] = "pkg:deb/debian/libxml2" } },
                ["status"] = "not_affected",
                ["justification"] = "vulnerable_code_not_in_execute_path",
            }).ToArray(),
        }));
        var expired = others[0];
        var ignore = dir.File(".zerodriftignore", string.Join("\n",
            others.Skip(1).Select(id => $"{id} # accepted until the rebuild")
                .Append($"{expired} exp:2020-01-01 # expired long ago")));

        var after = ZeroDriftRunner.Run("scan", image, "--db", osv.Db, "--exit-code", "7", "--format", "json", "--vex", vex, "--ignorefile", ignore);
        Assert.Equal(7, after.ExitCode);
        Assert.Contains($"{expired} expired on 2020-01-01", after.Stderr);
        using var afterJson = JsonDocument.Parse(after.Stdout);
        var findings = afterJson.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var active = findings.Where(f => !f.TryGetProperty("suppressed", out _)).Select(f => f.GetProperty("id").GetString()!).ToList();
        Assert.Equal([expired], active.Distinct().ToArray());
        var vexed = findings.First(f => f.GetProperty("id").GetString() == libxml2[0]).GetProperty("suppressed");
        Assert.Equal("not_affected", vexed.GetProperty("status").GetString());
        Assert.Equal("vulnerable_code_not_in_execute_path", vexed.GetProperty("justification").GetString());

        // With the expired line renewed, nothing counts any more: exit 0, and the suppressed findings stay visible.
        File.AppendAllText(ignore, $"\n{expired} exp:2999-01-01\n");
        var clean = ZeroDriftRunner.Run("scan", image, "--db", osv.Db, "--exit-code", "7", "--format", "json", "--vex", vex, "--ignorefile", ignore);
        Assert.Equal(0, clean.ExitCode);
        using var cleanJson = JsonDocument.Parse(clean.Stdout);
        Assert.Equal(findings.Count, cleanJson.RootElement.GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public void Severity_and_unfixed_filters_narrow_the_report()
    {
        using var dir = new TempDir();
        dir.File("app/requirements.txt", "django==3.2.0\nrequests==2.25.0\nurllib3==1.26.4\n");
        using var all = Scan("scan", dir.Combine("app"));
        var findings = all.RootElement.GetProperty("findings").EnumerateArray().ToList();
        Assert.True(findings.Count > 10, "django 3.2.0 has many known vulnerabilities");
        Assert.All(findings, f => Assert.False(string.IsNullOrEmpty(f.GetProperty("severity").GetProperty("source").GetString())));
        var rated = findings.Where(f => f.GetProperty("severity").TryGetProperty("vector", out _)).ToList();
        Assert.All(rated, f => Assert.Contains("CVSS_V", f.GetProperty("severity").GetProperty("source").GetString()));

        var common = findings.GroupBy(f => f.GetProperty("severity").GetProperty("level").GetString()!).OrderByDescending(g => g.Count()).First();
        using var one = Scan("scan", dir.Combine("app"), "--severity", common.Key);
        Assert.Equal(common.Count(), one.RootElement.GetProperty("findings").GetArrayLength());

        using var fixedOnly = Scan("scan", dir.Combine("app"), "--ignore-unfixed");
        Assert.Equal(findings.Count(f => f.TryGetProperty("fixedIn", out _)), fixedOnly.RootElement.GetProperty("findings").GetArrayLength());
        Assert.All(fixedOnly.RootElement.GetProperty("findings").EnumerateArray(), f => Assert.True(f.TryGetProperty("fixedIn", out _)));
    }

    [Fact]
    public void Never_silently_zero()
    {
        using var dir = new TempDir();
        dir.File("app/requirements.txt", "django==3.2.0\n");

        var none = ZeroDriftRunner.Run("scan", dir.Combine("app"), "--db", dir.Combine("missing.db"));
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no vulnerability database at", none.Stderr);
        Assert.Contains("zerodrift db import", none.Stderr);

        var empty = dir.Combine("empty.db");
        dir.File("empty-src/x.json", "{\"id\":\"X\",\"modified\":\"bad\"}");
        ZeroDriftRunner.Run("db", "import", dir.Combine("empty-src"), "--db", empty);
        var emptyScan = ZeroDriftRunner.Run("scan", dir.Combine("app"), "--db", empty);
        Assert.Equal(2, emptyScan.ExitCode);
        Assert.Contains("is empty", emptyScan.Stderr);

        // An OS image whose package database was deleted in a later layer: not scannable, not clean.
        var layout = new TestImage()
            .Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=\"10\"\n").File("var/lib/dpkg/status", "Package: libxml2\nStatus: install ok installed\nVersion: 2.9.4+dfsg1-7+deb10u9\n"))
            .Layer(new TestLayer().Whiteout("var/lib/dpkg/status"))
            .WriteOciLayout(dir.Combine("stripped"));
        var stripped = ZeroDriftRunner.Run("scan", "oci-dir:" + layout, "--db", osv.Db, "--format", "json");
        Assert.Equal(2, stripped.ExitCode);
        Assert.Contains("zerodrift: not scannable:", stripped.Stderr);
        using var json = JsonDocument.Parse(stripped.Stdout);
        Assert.Single(json.RootElement.GetProperty("notScannable").EnumerateArray());
    }

    [Theory]
    [InlineData("sarif")]
    [InlineData("cyclonedx")]
    public void Reports_validate_against_their_schemas(string format)
    {
        using var dir = new TempDir();
        var output = dir.Combine("report.json");
        var r = ZeroDriftRunner.Run("scan", "oci-dir:" + Debian10Image(dir), "--db", osv.Db, "--format", format, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var text = File.ReadAllText(output);
        if (format == "cyclonedx")
        {
            SchemaValidator.AssertValid("cyclonedx-bom-1.6.schema.json", text);
            Assert.Contains("\"vulnerabilities\"", text);
        }
        else
        {
            // SARIF's schema is draft-04, which the .NET validator does not read: Python's jsonschema (Debian) does.
            var check = ZeroDriftRunner.Tool("/usr/bin/python3", "-c",
                "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
                output, RepoPaths.Schema("sarif-schema-2.1.0.json"));
            Assert.Equal("valid", check.Trim());
            using var doc = JsonDocument.Parse(text);
            Assert.NotEmpty(doc.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray());
        }
    }
}
