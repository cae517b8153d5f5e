using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace ZeroDrift.Remediation.Tests;

/// <summary>
/// A real apt repository made in the test: .debs built with dpkg-deb, Packages by dpkg-scanpackages, Release by
/// apt-ftparchive, InRelease clearsigned by gpg with a key made in a private GNUPGHOME; served on 127.0.0.1.
/// </summary>
public sealed class AptTestRepo : IDisposable
{
    public const string Suite = "stable";
    public TempDir Dir { get; } = new();
    public string RepoRoot => Dir.Combine("repo");
    public string GnuPgHome => Dir.Combine("gnupg");
    public string Keyring => Dir.Combine("keyring.gpg");
    public StaticHttpServer? Server { get; private set; }
    public string RepoLine => $"deb {Server!.Url} {Suite} main";

    public AptTestRepo()
    {
        Directory.CreateDirectory(Path.Combine(RepoRoot, "pool", "main"));
        Directory.CreateDirectory(GnuPgHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Gpg("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "ZeroDrift Test Repo <repo@zerodrift.invalid>", "rsa2048", "sign", "never");
        Tools.Tool("sh", ["-c", $"GNUPGHOME='{GnuPgHome}' gpg --batch --export > '{Keyring}'"]);
    }

    /// <summary>Builds a package with dpkg-deb: a script printing its version, and a shared library file.</summary>
    public string BuildPackage(string name, string version, string? depends = null, Dictionary<string, string>? extraFiles = null, string? extraControl = null)
    {
        var root = Dir.Combine($"build/{name}-{version}");
        Dir.File($"build/{name}-{version}/DEBIAN/control",
            $"Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: ZeroDrift <test@zerodrift.invalid>\n" +
            (depends is null ? "" : $"Depends: {depends}\n") + (extraControl ?? "") + $"Description: ZeroDrift remediation test package\n");
        var script = Dir.File($"build/{name}-{version}/usr/bin/{name}", $"#!/bin/sh\necho {name} {version}\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        Dir.File($"build/{name}-{version}/usr/lib/{name}/lib{name}.so.1", $"ELF-ish library of {name} {version}\n");
        foreach (var (path, content) in extraFiles ?? []) Dir.File($"build/{name}-{version}/{path.TrimStart('/')}", content);
        var deb = Path.Combine(RepoRoot, "pool", "main", $"{name}_{version}_amd64.deb");
        Tools.Tool("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, deb]);
        return deb;
    }

    /// <summary>Writes Packages, Release and InRelease for what is in the pool, and starts serving.</summary>
    public void Publish()
    {
        var binary = Path.Combine(RepoRoot, "dists", Suite, "main", "binary-amd64");
        Directory.CreateDirectory(binary);
        var packages = Tools.Tool("dpkg-scanpackages", ["--multiversion", "pool", "/dev/null"], workingDirectory: RepoRoot);
        File.WriteAllText(Path.Combine(binary, "Packages"), packages);
        using (var gz = new GZipStream(File.Create(Path.Combine(binary, "Packages.gz")), CompressionLevel.Optimal))
            gz.Write(Encoding.UTF8.GetBytes(packages));
        var release = Tools.Tool("apt-ftparchive", ["-o", $"APT::FTPArchive::Release::Suite={Suite}", "-o", $"APT::FTPArchive::Release::Codename={Suite}",
            "-o", "APT::FTPArchive::Release::Architectures=amd64", "-o", "APT::FTPArchive::Release::Components=main", "release", $"dists/{Suite}"], workingDirectory: RepoRoot);
        var releasePath = Path.Combine(RepoRoot, "dists", Suite, "Release");
        File.WriteAllText(releasePath, release);
        Gpg("--batch", "--yes", "--digest-algo", "SHA512", "--clearsign", "-o", Path.Combine(RepoRoot, "dists", Suite, "InRelease"), releasePath);
        Server ??= new StaticHttpServer(RepoRoot);
    }

    public string Gpg(params string[] args) => Tools.Tool("gpg", args, new Dictionary<string, string> { ["GNUPGHOME"] = GnuPgHome });

    /// <summary>A .deb made by hand (ar of debian-binary, control.tar.gz, data.tar.gz) whose data has the given tar entries.</summary>
    public string HandmadeDeb(string name, string version, Action<TarWriter> data)
    {
        static byte[] TarGz(Action<TarWriter> fill)
        {
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            using (var w = new TarWriter(gz, TarEntryFormat.Gnu))
                fill(w);
            return ms.ToArray();
        }
        var control = TarGz(w => w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./control")
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: x <x@zerodrift.invalid>\nDescription: hostile\n")),
            Mode = (UnixFileMode)0b110_100_100,
        }));
        var payload = TarGz(data);
        var deb = Path.Combine(RepoRoot, "pool", "main", $"{name}_{version}_amd64.deb");
        using var f = File.Create(deb);
        f.Write("!<arch>\n"u8);
        void Member(string member, byte[] content)
        {
            var header = $"{member,-16}{"0",-12}{"0",-6}{"0",-6}{"100644",-8}{content.Length,-10}`\n";
            f.Write(Encoding.ASCII.GetBytes(header));
            f.Write(content);
            if (content.Length % 2 == 1) f.WriteByte((byte)'\n');
        }
        Member("debian-binary", "2.0\n"u8.ToArray());
        Member("control.tar.gz", control);
        Member("data.tar.gz", payload);
        return deb;
    }

    public void Dispose()
    {
        Server?.Dispose();
        try { Tools.Run("gpgconf", ["--kill", "gpg-agent"], new Dictionary<string, string> { ["GNUPGHOME"] = GnuPgHome }, null); }
        catch (System.ComponentModel.Win32Exception) { }
        Dir.Dispose();
    }
}

/// <summary>The vulnerable image and the OSV database that says so, built from files in the test.</summary>
public static class VulnerableImage
{
    public const string AdvisoryId = "CVE-2099-0101";

    /// <summary>A Debian 12 image: busybox-static as /bin/sh, and zdtest 1.0 installed with its dpkg database entry.</summary>
    public static TestImage Build(string debPath, string name = "zdtest", string version = "1.0")
    {
        var busybox = File.ReadAllBytes("/bin/busybox");
        var baseLayer = new TestLayer { CreatedBy = "base: busybox-static" }
            .Dir("bin").File("bin/busybox", busybox, 0b111_101_101).Symlink("bin/sh", "busybox")
            .Dir("etc").File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
            .Dir("var").Dir("var/lib").Dir("var/lib/dpkg").Dir("var/lib/dpkg/info")
            .File("var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nMaintainer: x <x@zerodrift.invalid>\nDescription: base\n\n");
        // The package as dpkg would have installed it: its files from the .deb, its status paragraph and file list.
        var extract = Directory.CreateTempSubdirectory("zd-deb-").FullName;
        try
        {
            Tools.Tool("dpkg-deb", ["-x", debPath, extract]);
            var control = Tools.Tool("dpkg-deb", ["-f", debPath]);
            var app = new TestLayer { CreatedBy = $"install {name} {version}" };
            var list = new List<string> { "/." };
            foreach (var dir in Directory.EnumerateDirectories(extract, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var rel = Path.GetRelativePath(extract, dir);
                app.Dir(rel);
                list.Add("/" + rel);
            }
            foreach (var file in Directory.EnumerateFiles(extract, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var rel = Path.GetRelativePath(extract, file);
                app.File(rel, File.ReadAllBytes(file), (int)File.GetUnixFileMode(file));
                list.Add("/" + rel);
            }
            var status = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nMaintainer: x <x@zerodrift.invalid>\nDescription: base\n\n"
                + control.Replace($"Package: {name}\n", $"Package: {name}\nStatus: install ok installed\n", StringComparison.Ordinal) + "\n";
            app.File("var/lib/dpkg/status", status).File($"var/lib/dpkg/info/{name}.list", string.Join('\n', list) + "\n");
            return new TestImage { Entrypoint = [$"/usr/bin/{name}"] }.Layer(baseLayer).Layer(app);
        }
        finally
        {
            Directory.Delete(extract, recursive: true);
        }
    }

    /// <summary>An OSV database in which zdtest before 1.1 has a critical vulnerability.</summary>
    public static string Database(TempDir dir, string name = "zdtest")
    {
        var record = $$"""
            {"schema_version":"1.6.0","id":"DEBIAN-{{AdvisoryId}}","modified":"2026-01-01T00:00:00Z","aliases":["{{AdvisoryId}}"],
             "summary":"{{name}} test vulnerability",
             "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
             "affected":[{"package":{"ecosystem":"Debian:12","name":"{{name}}"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]}]}
            """;
        var zipPath = dir.Combine("osv/Debian/all.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zipPath)!);
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry($"DEBIAN-{AdvisoryId}.json").Open();
            s.Write(Encoding.UTF8.GetBytes(record));
        }
        var db = dir.Combine("vuln.db");
        var r = Tools.ZeroDrift("db", "import", dir.Combine("osv/Debian"), "--db", db);
        if (r.ExitCode != 0) throw new InvalidOperationException("db import failed: " + r.Stderr);
        return db;
    }
}
