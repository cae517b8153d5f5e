using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ZeroDrift.Remediation.Images.Apt;

namespace ZeroDrift.Remediation.Tests;

/// <summary>A fact that needs root (mmdebstrap) and Debian's archive; skipped with the reason when either is missing.</summary>
public sealed class DebianArchiveFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unreachable = new(() =>
    {
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = client.GetAsync(RealDebianRepositoryTests.Mirror + "dists/bookworm/InRelease", HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.Message;
        }
    });

    public DebianArchiveFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess) Skip = "needs root: mmdebstrap builds the Debian 12 image";
        else if (!File.Exists("/usr/bin/mmdebstrap")) Skip = "needs mmdebstrap (apt-get install mmdebstrap)";
        else if (Unreachable.Value is { } reason) Skip = $"deb.debian.org cannot be reached ({reason}): the real-repository case needs Debian's archive";
    }
}

/// <summary>
/// The real case: a Debian 12 image made by mmdebstrap from the <c>bookworm</c> suite alone, patched from
/// <c>bookworm</c> + <c>bookworm-security</c> with Debian's real metadata, signatures (the image's own archive
/// keyring) and packages. The advisory is written by the test for a package that bookworm-security updates today
/// (the shared OSV data has no Debian 12 records), with the fixed version read from bookworm-security's index.
/// </summary>
public sealed class RealDebianRepositoryTests
{
    public const string Mirror = "http://deb.debian.org/debian/";
    public const string Security = "http://deb.debian.org/debian-security/";

    [DebianArchiveFact]
    public async Task A_bookworm_image_is_patched_from_bookworm_security()
    {
        using var dir = new TempDir();
        var tar = dir.Combine("rootfs.tar");
        Tools.Tool("mmdebstrap", ["--quiet", "--variant=essential", "--include=debian-archive-keyring", "--components=main", "bookworm", tar, Mirror]);
        new TestImage().Layer(TestLayer.FromTar(File.ReadAllBytes(tar))).WriteOciLayout(dir.Combine("image"));
        File.Delete(tar);

        // Which installed package does bookworm-security update? Read with the same verified reader as the fix.
        var keyring = new OpenPgpKeyring();
        keyring.Add(File.ReadAllBytes("/usr/share/keyrings/debian-archive-keyring.gpg"), "debian-archive-keyring");
        using var fetcher = new HttpFetcher(TimeSpan.FromMinutes(2));
        var security = await new AptRepository(fetcher, keyring, TimeProvider.System)
            .LoadAsync(AptSource.Parse($"deb {Security} bookworm-security main", "test"), "amd64", default);
        var installed = InstalledFromImage(dir.Combine("image"));
        var target = security
            .Where(p => installed.TryGetValue(p.Name, out var v) && Images.PatchPlanner.Order(p.Version, v.Version) > 0)
            .OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault();
        // xunit 2 cannot skip from inside a test: a day with no security update for these packages passes vacuously, and says so.
        if (target is null)
        {
            Console.Error.WriteLine("bookworm-security has no update for the essential set today: nothing to patch");
            return;
        }

        var (installedVersion, source) = installed[target!.Name];
        var db = Database(dir, source, target.Version);
        var r = Tools.ZeroDrift("fix", "oci-dir:" + dir.Combine("image"), "--repo", $"deb {Mirror} bookworm main", "--repo", $"deb {Security} bookworm-security main",
            "--db", db, "--output", "oci-dir:" + dir.Combine("out"), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var json = JsonDocument.Parse(r.Stdout);
        var upgraded = json.RootElement.GetProperty("packages").EnumerateArray().First(p => p.GetProperty("name").GetString() == target.Name);
        Assert.Equal(installedVersion, upgraded.GetProperty("from").GetString());
        Assert.True(Images.PatchPlanner.Order(upgraded.GetProperty("to").GetString()!, target.Version) >= 0);
        Assert.True(json.RootElement.GetProperty("rescan").GetProperty("passed").GetBoolean());
        var scan = Tools.ZeroDrift("scan", "oci-dir:" + dir.Combine("out"), "--db", db, "--format", "json");
        Assert.Equal(0, scan.ExitCode);
        Assert.DoesNotContain("CVE-2099-0303", scan.Stdout);
    }

    /// <summary>Installed packages (name → version, source name) from the image's dpkg status.</summary>
    private static Dictionary<string, (string Version, string Source)> InstalledFromImage(string layout)
    {
        var manifest = FixImageTests.Manifest(layout);
        var digest = manifest.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        var files = FixImageTests.LayerFiles(layout, digest, name => name.EndsWith("var/lib/dpkg/status", StringComparison.Ordinal));
        var status = files.First(f => f.Key.EndsWith("var/lib/dpkg/status", StringComparison.Ordinal)).Value;
        return ControlFile.Parse(status, "status")
            .Where(p => p["Package"] is not null && p["Version"] is not null)
            .ToDictionary(p => p["Package"]!, p => (p["Version"]!, (p["Source"] ?? p["Package"]!).Split(' ')[0]));
    }

    private static string Database(TempDir dir, string source, string fixedIn)
    {
        var record = JsonSerializer.Serialize(new
        {
            schema_version = "1.6.0",
            id = "DEBIAN-CVE-2099-0303",
            modified = "2026-01-01T00:00:00Z",
            aliases = new[] { "CVE-2099-0303" },
            severity = new[] { new { type = "CVSS_V3", score = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } },
            affected = new[] { new { package = new { ecosystem = "Debian:12", name = source }, ranges = new[] { new { type = "ECOSYSTEM", events = new object[] { new { introduced = "0" }, new { @fixed = fixedIn } } } } } },
        });
        var zipPath = dir.Combine("osv/Debian/all.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zipPath)!);
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("r.json").Open())
            s.Write(Encoding.UTF8.GetBytes(record));
        var db = dir.Combine("vuln.db");
        Assert.Equal(0, Tools.ZeroDrift("db", "import", dir.Combine("osv/Debian"), "--db", db).ExitCode);
        return db;
    }
}
