using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// Package databases as attacker data (issue 15, item 5). SQLite runs what a database file's schema says: a view is a
/// query of the file's choosing, a generated column or a column default a value made up as it is read. Each input is an
/// rpmdb.sqlite an image could carry (the class of the database-parsing issues Syft, Grype and Trivy met reading
/// rpmdb files they did not write); the scan must end within its bounds, say what it refused, and still read the
/// valid database beside it (rpm keeps one in /var/lib/rpm and may keep one in /usr/lib/sysimage/rpm).
/// </summary>
public sealed class HostileSqliteTests
{
    private const string Hostile = "var/lib/rpm/rpmdb.sqlite";
    private const string Valid = "usr/lib/sysimage/rpm/rpmdb.sqlite";

    /// <summary>Creates a database in the sandbox's target with the statements given, each run once.</summary>
    private static string Database(HostileSandbox sandbox, string relative, params string[] statements)
    {
        var path = Path.Combine(sandbox.Target, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
        return path;
    }

    /// <summary>A valid rpm database with one package, as rpm lays it out: Packages(hnum, blob) of header blobs.</summary>
    private static void ValidDatabase(HostileSandbox sandbox)
    {
        var path = Database(sandbox, Valid, "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO Packages (blob) VALUES ($blob)";
        insert.Parameters.AddWithValue("$blob", RpmHeaders.Strings((1000, "bash"), (1001, "5.1.8"), (1002, "9.el9"), (1022, "x86_64")));
        insert.ExecuteNonQuery();
    }

    /// <summary>Runs the inventory; the valid database must still be read.</summary>
    private static HostileOutcome Sbom(HostileSandbox sandbox, string what)
    {
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained(what);
        Assert.Equal(0, outcome.ExitCode);
        using var document = JsonDocument.Parse(outcome.Stdout);
        var purls = document.RootElement.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("purl").GetString()!).ToList();
        Assert.Contains(purls, p => p.StartsWith("pkg:rpm/redhat/bash@5.1.8-9.el9", StringComparison.Ordinal));
        return outcome;
    }

    private static void AssertWarned(HostileOutcome outcome, string said) =>
        Assert.True(outcome.Stderr.Split('\n').Any(l => l.StartsWith("zerodrift: warning: /" + Hostile, StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal)),
            $"no warning about /{Hostile} saying '{said}':\n{outcome.Stderr}");

    // The input: Packages is a view over an endless recursive query. ORDER BY makes SQLite run all of it before
    // the first row: the scan hung. A view is refused from sqlite_master before any query touches it.
    [Fact]
    public void A_packages_view_over_an_endless_recursive_query_is_refused_unrun()
    {
        using var sandbox = new HostileSandbox();
        Database(sandbox, Hostile,
            "CREATE VIEW Packages AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i AS hnum, zeroblob(1048576) AS blob FROM n");
        ValidDatabase(sandbox);
        var outcome = Sbom(sandbox, "endless view");
        AssertWarned(outcome, "Packages is a view, not a table; only plain tables of a package database are read");
        Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(30), $"took {outcome.Elapsed}");
    }

    // The other input: a 20 KB database whose table yields a 1 MiB blob per row (3.0 GiB RSS): a generated column
    // computes zeroblob(1 MiB) for each of thousands of stored rows.
    [Fact]
    public void A_generated_column_of_1_MiB_blobs_in_a_20_KB_file_is_refused()
    {
        using var sandbox = new HostileSandbox();
        var path = Database(sandbox, Hostile,
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB GENERATED ALWAYS AS (zeroblob(1048576)) VIRTUAL)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO Packages (hnum) SELECT i FROM n");
        Assert.True(new FileInfo(path).Length < 64 * 1024);
        ValidDatabase(sandbox);
        var outcome = Sbom(sandbox, "generated 1 MiB blobs");
        AssertWarned(outcome, "Packages.blob is a generated column; only stored values of a package database are read");
    }

    // A virtual table runs a module's code for every read; Packages as one (FTS5 here) is refused the same way.
    [Fact]
    public void A_packages_virtual_table_is_refused()
    {
        using var sandbox = new HostileSandbox();
        Database(sandbox, Hostile, "CREATE VIRTUAL TABLE Packages USING fts5(hnum, blob)", "INSERT INTO Packages VALUES ('1', 'x')");
        ValidDatabase(sandbox);
        AssertWarned(Sbom(sandbox, "virtual table"), "Packages is a virtual table");
    }

    // A column added with a default stands in every older row without being stored: a 1 MiB default over 20,000 rows
    // is 20 GB of values from a file of about 1 MiB. What is read cannot add up to more than the file holds.
    [Fact]
    public void Values_adding_up_to_more_than_the_file_are_refused()
    {
        using var sandbox = new HostileSandbox();
        Database(sandbox, Hostile,
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO Packages (hnum) SELECT i FROM n",
            $"ALTER TABLE Packages ADD COLUMN blob BLOB DEFAULT X'{new string('0', 2 << 20)}'");
        ValidDatabase(sandbox);
        var outcome = Sbom(sandbox, "defaulted 1 MiB column");
        AssertWarned(outcome, "its rows hold more bytes than the");
    }

    // A statement still running when the time is up is interrupted by SQLite's progress handler: here the sort ORDER BY
    // needs over a million unindexed keys, before any row comes back. --max-parse-seconds sets the time.
    [Fact]
    public void A_query_past_the_parse_time_is_interrupted()
    {
        using var sandbox = new HostileSandbox();
        Database(sandbox, Hostile,
            "CREATE TABLE Packages (hnum TEXT, blob BLOB)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) INSERT INTO Packages SELECT hex(randomblob(8)), NULL FROM n");
        // The valid database is not asked for here: on a busy machine even its few statements may outlast 0.2 s.
        var outcome = sandbox.Run("sbom", ".", "--format", "json", "--max-parse-seconds", "0.2");
        outcome.AssertContained("slow query");
        Assert.Equal(0, outcome.ExitCode);
        AssertWarned(outcome, "not read within the 0.2 s limit for one file; stopped");
        Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(30), $"took {outcome.Elapsed}");
    }

    // Not a database at all (random bytes under the name), and a database with no Packages table: one warning each.
    [Theory]
    [InlineData("garbage", "not a readable SQLite database")]
    [InlineData("no-table", "no Packages table")]
    public void A_file_that_is_not_an_rpm_database_is_a_warning(string kind, string said)
    {
        using var sandbox = new HostileSandbox();
        if (kind == "garbage")
        {
            var random = new byte[64 * 1024];
            new Random(15).NextBytes(random);
            sandbox.File(Hostile, [.. "SQLite format 3\0"u8, .. random]);
        }
        else
        {
            Database(sandbox, Hostile, "CREATE TABLE Other (x)");
        }
        ValidDatabase(sandbox);
        AssertWarned(Sbom(sandbox, kind), said);
    }
}
