using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Rpm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// The oracle is rpm itself: real packages built with rpmbuild, installed with rpm into an SQLite rpmdb, then
/// read back with <c>rpm -qa</c> and <c>rpm -ql</c> and compared with what the cataloger finds.
/// </summary>
public sealed class RpmTests
{
    private const string DbDir = "var/lib/rpm";

    private static readonly (string Name, string Spec)[] Specs =
    [
        ("zd-alpha", """
            Name: zd-alpha
            Version: 1.2.3
            Release: 4.el9
            Epoch: 2
            Summary: alpha
            License: MIT AND Apache-2.0
            Vendor: ZeroDrift Test
            BuildArch: noarch
            Requires: zd-beta >= 0.9
            Requires: /usr/bin/zd-gamma-tool
            %description
            alpha
            %install
            mkdir -p %{buildroot}/usr/share/zd-alpha %{buildroot}/etc
            echo a > %{buildroot}/usr/share/zd-alpha/a.txt
            echo conf > %{buildroot}/etc/zd-alpha.conf
            %files
            %dir /usr/share/zd-alpha
            /usr/share/zd-alpha/a.txt
            %config /etc/zd-alpha.conf
            """),
        ("zd-beta", """
            Name: zd-beta
            Version: 0.9.1
            Release: 1
            Summary: beta
            License: GPL-2.0-or-later
            BuildArch: noarch
            Requires: zd-gamma-capability
            %description
            beta
            %install
            mkdir -p %{buildroot}/usr/lib/zd-beta
            echo b > %{buildroot}/usr/lib/zd-beta/b.dat
            %files
            /usr/lib/zd-beta/b.dat
            """),
        ("zd-gamma", """
            Name: zd-gamma
            Version: 10.0
            Release: 0.rc1.fc40
            Summary: gamma
            License: BSD-3-Clause
            BuildArch: noarch
            Provides: zd-gamma-capability = 10
            %description
            gamma
            %install
            mkdir -p %{buildroot}/usr/bin
            printf '#!/bin/sh\n' > %{buildroot}/usr/bin/zd-gamma-tool
            %files
            %attr(0755,root,root) /usr/bin/zd-gamma-tool
            """),
    ];

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    /// <summary>Builds the specs into RPMs and installs them (database only) into <c>root/var/lib/rpm/rpmdb.sqlite</c>.</summary>
    internal static string BuildDatabase(TempDir dir)
    {
        var top = dir.Combine("rpmbuild");
        foreach (var (name, spec) in Specs)
        {
            var specPath = dir.File($"rpmbuild/SPECS/{name}.spec", spec.Replace("\r", "", StringComparison.Ordinal) + "\n");
            // _dbpath too: Debian's rpmbuild would otherwise create ~/.rpmdb.
            Run("rpmbuild", "--define", $"_topdir {top}", "--define", $"_dbpath {dir.Combine("rpmbuild/db")}", "--quiet", "-bb", specPath);
        }
        var db = dir.Combine("root/" + DbDir);
        Directory.CreateDirectory(db);
        Run("rpm", "--dbpath", db, "--define", "_db_backend sqlite", "--initdb");
        var rpms = Directory.GetFiles(Path.Combine(top, "RPMS"), "*.rpm", SearchOption.AllDirectories);
        Assert.Equal(3, rpms.Length);
        Run("rpm", ["--dbpath", db, "--define", "_db_backend sqlite", "-i", "--nodeps", "--justdb", "--ignorearch", .. rpms]);
        Assert.True(File.Exists(Path.Combine(db, "rpmdb.sqlite")));
        return db;
    }

    private static (List<Package> Packages, List<string> Warnings) Catalog(string root, Distro? distro)
    {
        using var fs = new DirectoryFileSystem(root);
        var cataloger = new RpmCataloger();
        var warnings = new List<string>();
        var packages = fs.Enumerate().Where(e => e.IsRegular && cataloger.FileRequired(e)).ToList()
            .SelectMany(e => cataloger.Catalog(new CatalogContext(fs, distro, ScanLimits.Default, warnings.Add), e).ToList())
            .ToList();
        return (packages, warnings);
    }

    [Fact]
    public void Packages_versions_and_files_match_rpm_itself()
    {
        using var dir = new TempDir();
        var db = BuildDatabase(dir);
        var (packages, warnings) = Catalog(dir.Combine("root"), new Distro("rhel", "9.4"));
        Assert.Empty(warnings);

        var oracle = Run("rpm", "--dbpath", db, "-qa", "--qf", "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{LICENSE}\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        var ours = packages.Select(p =>
                $"{p.Name} {p.Metadata.GetValueOrDefault("epoch", "0")}:{p.Purl.Version} {p.Arch} {p.Metadata["sourceRpm"]} {p.Licenses.Single()}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, oracle.Count);
        Assert.Equal(oracle, ours);

        foreach (var p in packages)
        {
            var files = Run("rpm", "--dbpath", db, "-ql", p.Name).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(files, p.Files);
        }

        var alpha = packages.Single(p => p.Name == "zd-alpha");
        Assert.Equal("2:1.2.3-4.el9", alpha.Version);
        Assert.Equal("pkg:rpm/rhel/zd-alpha@1.2.3-4.el9?arch=noarch&distro=rhel-9.4&epoch=2&upstream=zd-alpha-1.2.3-4.el9.src.rpm", alpha.Purl.ToString());
        Assert.Equal("zd-alpha", alpha.SourceName);
        Assert.Equal("1.2.3-4.el9", alpha.SourceVersion);
        Assert.Equal("ZeroDrift Test", alpha.Metadata["vendor"]);
        Assert.Equal(["/etc/zd-alpha.conf", "/usr/share/zd-alpha", "/usr/share/zd-alpha/a.txt"], alpha.Files);
        Assert.Equal(Run("rpm", "--dbpath", db, "-q", "--qf", "%{SIZE}", "zd-alpha"), alpha.Metadata["size"]);
        Assert.Equal("rpm", alpha.FoundBy);
        Assert.Equal("/var/lib/rpm/rpmdb.sqlite", alpha.Locations.Single().Path);

        var gamma = packages.Single(p => p.Name == "zd-gamma");
        Assert.Equal("10.0-0.rc1.fc40", gamma.Version);
        Assert.Null(gamma.Purl.Qualifier("epoch"));
    }

    [Fact]
    public void Dependency_graph_resolves_names_provides_and_file_requirements()
    {
        using var dir = new TempDir();
        BuildDatabase(dir);
        var (packages, _) = Catalog(dir.Combine("root"), null);
        var byName = packages.ToDictionary(p => p.Name);
        // zd-alpha requires zd-beta by name and /usr/bin/zd-gamma-tool, a file zd-gamma owns.
        Assert.Equal(new[] { byName["zd-beta"].Id, byName["zd-gamma"].Id }.Order(StringComparer.Ordinal), byName["zd-alpha"].DependsOn.Order(StringComparer.Ordinal));
        // zd-beta requires a capability zd-gamma provides.
        Assert.Equal([byName["zd-gamma"].Id], byName["zd-beta"].DependsOn);
        Assert.Empty(byName["zd-gamma"].DependsOn);
        Assert.StartsWith("pkg:rpm/redhat/zd-beta@0.9.1-1?", byName["zd-beta"].Purl.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Gpg_pubkey_rows_are_skipped_and_a_damaged_header_is_a_warning_naming_its_row()
    {
        using var dir = new TempDir();
        var db = BuildDatabase(dir);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(db, "rpmdb.sqlite")};Pooling=False"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO Packages (hnum, blob) VALUES (100, $key), (101, $bad), (102, $confused)";
            insert.Parameters.AddWithValue("$confused", Header((RpmTag.Name, "confused"), (RpmTag.Version, "1"), (RpmTag.Epoch, "not a number")));
            insert.Parameters.AddWithValue("$key", Header((RpmTag.Name, "gpg-pubkey"), (RpmTag.Version, "fd431d51"), (RpmTag.Release, "4ae0493b")));
            var bad = Header((RpmTag.Name, "broken"), (RpmTag.Version, "1"));
            BinaryPrimitives.WriteInt32BigEndian(bad.AsSpan(8 + 16 + 8), 5000); // second entry's offset far outside the data store
            insert.Parameters.AddWithValue("$bad", bad);
            insert.ExecuteNonQuery();
        }
        var (packages, warnings) = Catalog(dir.Combine("root"), null);
        Assert.Equal(["zd-alpha", "zd-beta", "zd-gamma"], packages.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2, warnings.Count);
        Assert.Contains("Packages row hnum=101", warnings[0], StringComparison.Ordinal);
        Assert.Contains("offset 5000", warnings[0], StringComparison.Ordinal);
        Assert.Contains("Packages row hnum=102: RPM header tag 1003 has type String, not an integer type", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_of_damaged_rows_names_twenty_and_counts_the_rest()
    {
        using var dir = new TempDir();
        var db = BuildDatabase(dir);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(db, "rpmdb.sqlite")};Pooling=False"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 1049) INSERT INTO Packages (hnum, blob) SELECT i, x'0000' FROM n";
            insert.ExecuteNonQuery();
        }
        var (packages, warnings) = Catalog(dir.Combine("root"), null);
        Assert.Equal(3, packages.Count);
        Assert.Equal(21, warnings.Count);
        Assert.Equal(20, warnings.Count(w => w.Contains("Packages row hnum=", StringComparison.Ordinal)));
        Assert.Contains(warnings, w => w.EndsWith("30 more damaged Packages rows skipped (50 in all)", StringComparison.Ordinal));
    }

    [Fact]
    public void Rows_still_in_the_write_ahead_log_are_read()
    {
        using var dir = new TempDir();
        var db = BuildDatabase(dir);
        // A writer that has not checkpointed yet (an image snapshotted while rpm ran): the row lives only in -wal.
        using var writer = new SqliteConnection($"Data Source={Path.Combine(db, "rpmdb.sqlite")};Pooling=False");
        writer.Open();
        using (var pragma = writer.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;";
            pragma.ExecuteNonQuery();
        }
        using (var insert = writer.CreateCommand())
        {
            insert.CommandText = "INSERT INTO Packages (hnum, blob) VALUES (200, $blob)";
            insert.Parameters.AddWithValue("$blob", Header((RpmTag.Name, "zd-wal"), (RpmTag.Version, "1.0"), (RpmTag.Release, "1")));
            insert.ExecuteNonQuery();
        }
        Assert.True(new FileInfo(Path.Combine(db, "rpmdb.sqlite-wal")).Length > 0);
        var (packages, warnings) = Catalog(dir.Combine("root"), null);
        Assert.Empty(warnings);
        Assert.Contains(packages, p => p.Name == "zd-wal" && p.Version == "1.0-1");
        Assert.Equal(4, packages.Count);
    }

    [Fact]
    public void Hostile_header_blobs_are_format_errors()
    {
        var good = Header((RpmTag.Name, "x"), (RpmTag.Version, "1"));
        Assert.Equal("x", RpmHeader.Parse(good, "t").String(RpmTag.Name));

        Assert.Throws<FormatException>(() => RpmHeader.Parse([1, 2, 3], "t"));
        var hugeCount = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(hugeCount, int.MaxValue);
        Assert.Contains("index count", Assert.Throws<FormatException>(() => RpmHeader.Parse(hugeCount, "row 7")).Message, StringComparison.Ordinal);
        var longData = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(longData.AsSpan(4), good.Length);
        Assert.StartsWith("row 7:", Assert.Throws<FormatException>(() => RpmHeader.Parse(longData, "row 7")).Message, StringComparison.Ordinal);
        var unterminated = (byte[])good.Clone();
        unterminated[^1] = (byte)'!';
        Assert.Contains("not terminated", Assert.Throws<FormatException>(() => RpmHeader.Parse(unterminated, "t")).Message, StringComparison.Ordinal);
        var badType = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(badType.AsSpan(8 + 4), 77);
        Assert.Throws<FormatException>(() => RpmHeader.Parse(badType, "t"));
        var intPastEnd = Header((RpmTag.Name, "x"), (RpmTag.Version, "1"));
        BinaryPrimitives.WriteInt32BigEndian(intPastEnd.AsSpan(8 + 4), 4); // INT32 needing 4 bytes per count
        BinaryPrimitives.WriteInt32BigEndian(intPastEnd.AsSpan(8 + 12), 1000);
        Assert.Throws<FormatException>(() => RpmHeader.Parse(intPastEnd, "t"));

        // File list whose DIRINDEXES point past DIRNAMES.
        var files = HeaderWith([(RpmTag.Name, 6, Str("x")), (RpmTag.Version, 6, Str("1")),
            (RpmTag.BaseNames, 8, Str("a")), (RpmTag.DirNames, 8, Str("/usr/")), (RpmTag.DirIndexes, 4, [0, 0, 0, 3])], [1, 1, 1, 1, 1]);
        Assert.Contains("DIRINDEXES[0] = 3", Assert.Throws<FormatException>(() => RpmRecord.From(RpmHeader.Parse(files, "t"), "t")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bash-5.1.8-6.el9.src.rpm", "bash", "5.1.8-6.el9")]
    [InlineData("python3.11-pip-22.3.1-4.el9.nosrc.rpm", "python3.11-pip", "22.3.1-4.el9")]
    [InlineData("garbage", null, null)]
    public void Source_rpm_names_split_into_name_and_version(string sourceRpm, string? name, string? version) =>
        Assert.Equal((name, version), RpmRecord.SplitSourceRpm(sourceRpm));

    [Fact]
    public void Berkeley_and_ndb_databases_are_reported_as_unsupported_unless_sqlite_is_there()
    {
        using var dir = new TempDir();
        dir.File("var/lib/rpm/Packages", new byte[4096]);
        var (packages, warnings) = Catalog(dir.Path, null);
        Assert.Empty(packages);
        Assert.Contains("Berkeley DB", Assert.Single(warnings), StringComparison.Ordinal);

        using var suse = new TempDir();
        suse.File("usr/lib/sysimage/rpm/Packages.db", new byte[4096]);
        Assert.Contains("NDB", Assert.Single(Catalog(suse.Path, null).Warnings), StringComparison.Ordinal);

        using var both = new TempDir();
        BuildDatabase(both);
        both.File("root/var/lib/rpm/Packages", new byte[4096]);
        var withSqlite = Catalog(both.Combine("root"), null);
        Assert.Empty(withSqlite.Warnings);
        Assert.Equal(3, withSqlite.Packages.Count);
    }

    [Fact]
    public void A_corrupt_sqlite_file_is_a_warning_and_the_scan_goes_on()
    {
        using var dir = new TempDir();
        dir.File("var/lib/rpm/rpmdb.sqlite", Encoding.ASCII.GetBytes(new string('x', 8192)));
        using var fs = new DirectoryFileSystem(dir.Path);
        using var target = new Target(new TargetReference(TargetKind.Directory, dir.Path), fs, null, null, []);
        var inventory = new InventoryScanner([new RpmCataloger()]).Scan(target, ScanLimits.Default, CancellationToken.None);
        Assert.Empty(inventory.Packages);
        var warning = Assert.Single(inventory.Warnings);
        Assert.Contains("not a readable SQLite database", warning, StringComparison.Ordinal);
    }

    private static byte[] Str(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static byte[] Header(params (int Tag, string Value)[] strings) => RpmHeaders.Strings(strings);

    /// <summary>A header blob in rpm's layout, for the malformed cases only (the real ones come from rpm).</summary>
    private static byte[] HeaderWith((int Tag, int Type, byte[] Data)[] entries, int[] counts) => RpmHeaders.Build(entries, counts);
}
