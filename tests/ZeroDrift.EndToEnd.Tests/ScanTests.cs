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

public class ScanTests(OsvDatabaseFixture osv) : IClassFixture<OsvDatabaseFixture>
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
}
