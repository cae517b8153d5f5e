using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.Remediation.Tests;

/// <summary>
/// <c>zerodrift fix</c> against a real apt repository made in the test (dpkg-deb, dpkg-scanpackages, apt-ftparchive,
/// gpg) served on 127.0.0.1, and an image built from files with zdtest 1.0 installed, which a test OSV record says
/// is critically vulnerable until 1.1.
/// </summary>
public sealed class FixImageTests
{
    internal sealed class Setup : IDisposable
    {
        public AptTestRepo Repo { get; } = new();
        public TempDir Work { get; } = new();
        public string Image { get; }
        public string Db { get; }
        public TestImage TestImage { get; }

        public Setup(Action<AptTestRepo>? beforePublish = null)
        {
            var old = Repo.BuildPackage("zdtest", "1.0");
            Repo.BuildPackage("zdtest-common", "1.1");
            Repo.BuildPackage("zdtest", "1.1", depends: "zdtest-common (>= 1.1)");
            beforePublish?.Invoke(Repo);
            Repo.Publish();
            TestImage = VulnerableImage.Build(old);
            TestImage.WriteOciLayout(Work.Combine("image"));
            Image = Work.Combine("image");
            Db = VulnerableImage.Database(Work);
        }

        public string Output => Work.Combine("out");

        public RunResult Fix(params string[] extra) => Tools.ZeroDrift(
            ["fix", "oci-dir:" + Image, "--repo", Repo.RepoLine, "--keyring", Repo.Keyring, "--db", Db, .. extra]);

        /// <summary>Nothing was left behind: no output, no work folder beside it.</summary>
        public void AssertNothingWritten()
        {
            Assert.False(Directory.Exists(Output) || File.Exists(Output), "output written");
            Assert.Empty(Directory.EnumerateFileSystemEntries(Work.Path, ".zerodrift-fix-*"));
        }

        public void Dispose()
        {
            Repo.Dispose();
            Work.Dispose();
        }
    }

    [Fact]
    public void Fix_installs_the_fixed_version_in_one_new_layer_and_the_rescan_confirms_it()
    {
        using var s = new Setup();
        var r = s.Fix("--output", "oci-dir:" + s.Output, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var json = JsonDocument.Parse(r.Stdout);
        var packages = json.RootElement.GetProperty("packages").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("1.0", packages["zdtest"].GetProperty("from").GetString());
        Assert.Equal("1.1", packages["zdtest"].GetProperty("to").GetString());
        Assert.Equal([VulnerableImage.AdvisoryId], packages["zdtest"].GetProperty("advisoriesClosed").EnumerateArray().Select(a => a.GetString()!));
        // The new version needs zdtest-common, which the image did not have: resolved from the same index.
        Assert.Equal(JsonValueKind.Null, packages["zdtest-common"].GetProperty("from").ValueKind);
        Assert.True(json.RootElement.GetProperty("rescan").GetProperty("passed").GetBoolean());

        // The original layers are kept byte for byte; one layer is added.
        var original = Manifest(s.Image);
        var patched = Manifest(s.Output);
        var before = original.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()).ToList();
        var after = patched.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()).ToList();
        Assert.Equal(before.Count + 1, after.Count);
        Assert.Equal(before, after.Take(before.Count));

        // A rescan by the scan command finds nothing, and the SBOM shows the new versions.
        var scan = Tools.ZeroDrift("scan", "oci-dir:" + s.Output, "--db", s.Db, "--format", "json");
        Assert.Equal(0, scan.ExitCode);
        using var report = JsonDocument.Parse(scan.Stdout);
        Assert.Empty(report.RootElement.GetProperty("findings").EnumerateArray());
        var scanBefore = Tools.ZeroDrift("scan", "oci-dir:" + s.Image, "--db", s.Db, "--format", "json");
        Assert.Contains(VulnerableImage.AdvisoryId, scanBefore.Stdout);
        var sbom = Tools.ZeroDrift("sbom", "oci-dir:" + s.Output, "--format", "cyclonedx");
        Assert.Contains("pkg:deb/debian/zdtest@1.1", sbom.Stdout);
        Assert.Contains("pkg:deb/debian/zdtest-common@1.1", sbom.Stdout);

        // The new layer holds the new files and the dpkg database as dpkg leaves it.
        var layer = LayerFiles(s.Output, after[^1]!);
        Assert.Equal("#!/bin/sh\necho zdtest 1.1\n", layer["usr/bin/zdtest"]);
        Assert.Contains("Package: zdtest\nStatus: install ok installed\n", layer["var/lib/dpkg/status"]);
        Assert.Contains("Version: 1.1\n", layer["var/lib/dpkg/status"]);
        Assert.Contains("Package: base-files\n", layer["var/lib/dpkg/status"]);
        Assert.Contains("/usr/bin/zdtest-common", layer["var/lib/dpkg/info/zdtest-common.list"]);
        Assert.Contains("/usr/lib/zdtest/libzdtest.so.1", layer["var/lib/dpkg/info/zdtest.list"]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(s.Work.Path, ".zerodrift-fix-*"));
    }

    [Fact]
    public void Fix_writes_a_docker_archive_that_reads_back_as_the_same_image()
    {
        using var s = new Setup();
        var archive = s.Work.Combine("patched.tar");
        var r = s.Fix("--output", "docker-archive:" + archive, "--tag", "localhost/zdtest:patched");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("zdtest", r.Stdout);
        Assert.Contains("1.0 -> 1.1", r.Stdout);
        Assert.Contains(VulnerableImage.AdvisoryId, r.Stdout);
        var scan = Tools.ZeroDrift("scan", "docker-archive:" + archive, "--db", s.Db, "--format", "json");
        Assert.Equal(0, scan.ExitCode);
        Assert.DoesNotContain(VulnerableImage.AdvisoryId, scan.Stdout);
    }

    [Fact]
    public void A_repository_signed_by_another_key_is_refused()
    {
        using var s = new Setup();
        using var other = new AptTestRepo();
        var r = Tools.ZeroDrift("fix", "oci-dir:" + s.Image, "--repo", s.Repo.RepoLine, "--keyring", other.Keyring, "--db", s.Db, "--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "InRelease: bad signature");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_tampered_InRelease_is_refused()
    {
        using var s = new Setup();
        var inRelease = Path.Combine(s.Repo.RepoRoot, "dists", AptTestRepo.Suite, "InRelease");
        s.Repo.Server!.Overrides[$"dists/{AptTestRepo.Suite}/InRelease"] = Encoding.UTF8.GetBytes(File.ReadAllText(inRelease).Replace("Suite: stable", "Suite: stablx", StringComparison.Ordinal));
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "does not match the text");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_Packages_index_that_does_not_match_the_signed_Release_is_refused()
    {
        using var s = new Setup();
        var path = Path.Combine(s.Repo.RepoRoot, "dists", AptTestRepo.Suite, "main", "binary-amd64", "Packages.gz");
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0xff;
        s.Repo.Server!.Overrides[$"dists/{AptTestRepo.Suite}/main/binary-amd64/Packages.gz"] = bytes;
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "Packages.gz: checksum mismatch");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_deb_that_does_not_match_the_index_is_refused()
    {
        using var s = new Setup();
        var deb = "pool/main/zdtest_1.1_amd64.deb";
        var bytes = File.ReadAllBytes(Path.Combine(s.Repo.RepoRoot, deb));
        bytes[^10] ^= 0xff;
        s.Repo.Server!.Overrides[deb] = bytes;
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "zdtest_1.1_amd64.deb: SHA256");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_deb_whose_paths_leave_the_root_is_refused()
    {
        using var s = new Setup(repo =>
        {
            // Version 1.2 is the newest fix, and its data escapes with ../
            repo.HandmadeDeb("zdtest", "1.2", w =>
            {
                w.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./usr/") { Mode = (UnixFileMode)0b111_101_101 });
                w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./usr/../../etc/evil") { DataStream = new MemoryStream("x"u8.ToArray()) });
            });
        });
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "zdtest 1.2");
        Assert.Contains("leaves the root", r.Stderr);
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_device_file_in_a_deb_is_refused()
    {
        using var s = new Setup(repo => repo.HandmadeDeb("zdtest", "1.2", w =>
            w.WriteEntry(new GnuTarEntry(TarEntryType.CharacterDevice, "./dev/mem") { DeviceMajor = 1, DeviceMinor = 1 })));
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "device files");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_new_setuid_file_is_refused_unless_allowed()
    {
        using var s = new Setup(repo => repo.HandmadeDeb("zdtest", "1.2", w =>
            w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./usr/bin/zdtest") { Mode = (UnixFileMode)0b100_111_101_101, DataStream = new MemoryStream("#!/bin/sh\n"u8.ToArray()) })));
        var r = s.Fix("--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "setuid");
        s.AssertNothingWritten();
    }

    [Fact]
    public void An_unreachable_repository_is_one_line_and_nothing_is_written()
    {
        using var s = new Setup();
        var r = Tools.ZeroDrift("fix", "oci-dir:" + s.Image, "--repo", $"deb http://127.0.0.1:{RegistryServer.FreePort()}/ stable main", "--keyring", s.Repo.Keyring, "--db", s.Db, "--output", "oci-dir:" + s.Output);
        AssertOneLineFailure(r, "unreachable");
        s.AssertNothingWritten();
    }

    [Fact]
    public void A_directory_target_goes_to_the_dependency_fixer_which_refuses_an_image_destination()
    {
        using var dir = new TempDir();
        var r = Tools.ZeroDrift("fix", dir.Path, "--output", "oci-dir:" + dir.Combine("x"));
        AssertOneLineFailure(r, "an image destination, but");
        Assert.False(Directory.Exists(dir.Combine("x")));
    }

    internal static void AssertOneLineFailure(RunResult r, string expected)
    {
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.Stderr);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("zerodrift: error: ", lines[0]);
    }

    internal static JsonElement Manifest(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        var digest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest[7..]))).RootElement.Clone();
    }

    internal static Dictionary<string, string> LayerFiles(string layout, string digest, Func<string, bool>? wanted = null)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        using var gz = new GZipStream(File.OpenRead(Path.Combine(layout, "blobs", "sha256", digest[7..])), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            if (wanted is not null && !wanted(e.Name)) continue;
            if (e.DataStream is null) { files[e.Name] = ""; continue; }
            using var reader = new StreamReader(e.DataStream);
            files[e.Name] = reader.ReadToEnd();
        }
        return files;
    }
}
