using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Temp;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>
/// A package database taken from a target (rpm's <c>rpmdb.sqlite</c>) and read as the attacker data it may be. SQLite
/// runs whatever a database file's schema says when a statement touches it, so:
/// <list type="bullet">
/// <item>it is a private copy, opened read-only and immutable (<c>file:…?mode=ro&amp;immutable=1</c>: no locks, no
/// journal replay, nothing written); a write-ahead log beside it is folded into the copy first;</item>
/// <item><c>PRAGMA trusted_schema=OFF</c>: no function with side effects runs from the schema;</item>
/// <item>only plain tables are read: a view (a query of the file's choosing: an endless recursive one hangs the scan), a
/// virtual table or a generated column (a value computed at read time: <c>zeroblob(1 MiB)</c> from a 20 KB file) is
/// refused before any row is read;</item>
/// <item>no value can be longer than the file that stores it (<c>SQLITE_LIMIT_LENGTH</c>), each value's length is read
/// before the value, the values read cannot add up to more than the file holds, and they are charged to the budget's
/// bytes, the rows to its items;</item>
/// <item>a progress handler interrupts any statement still running when the budget's time is up.</item>
/// </list>
/// ZeroDrift's own databases (the vulnerability database, the profile store) are not read through this: it writes them.
/// </summary>
internal sealed class UntrustedSqlite : IDisposable
{
    // Virtual machine instructions between two looks at the clock: a few microseconds of work.
    private const int ProgressInstructions = 10_000;

    private readonly PrivateTempDirectory _directory;
    private readonly SqliteConnection _connection;
    private readonly ParseMeter _meter;
    private readonly string _what;
    private readonly long _fileBytes;
    private readonly delegate_progress _progress;

    private UntrustedSqlite(PrivateTempDirectory directory, string file, ParseMeter meter, string what)
    {
        _directory = directory;
        _meter = meter;
        _what = what;
        _fileBytes = new FileInfo(file).Length;
        _progress = _ => _meter.Expired ? 1 : 0;
        _connection = OpenImmutable(file);
    }

    /// <summary>Copies <paramref name="entry"/> (and its <c>-wal</c>, when there is one) out of the target and opens the copy.</summary>
    public static UntrustedSqlite Open(CatalogContext context, FileEntry entry)
    {
        var directory = new PrivateTempDirectory("sqlite");
        try
        {
            var copy = Path.Combine(directory.Path, "db.sqlite");
            using (var source = context.Open(entry))
                BoundedRead.CopyToFile(source, copy, context.Budget.MaxBytes, entry.Path);
            var wal = context.FileSystem.Lstat(entry.Path + "-wal") is { Kind: FileKind.Regular, Size: > 0 } log ? log : null;
            if (wal is not null)
                using (var source = context.Open(wal))
                    BoundedRead.CopyToFile(source, copy + "-wal", context.Budget.MaxBytes, wal.Path);
            // The clock starts once the bytes are copied (bounded by the budget's bytes): it bounds what SQLite does.
            var meter = context.Budget.Start(entry.Path, "rows");
            if (wal is not null) FoldLog(copy, meter, entry.Path);
            return new UntrustedSqlite(directory, copy, meter, entry.Path);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses anything but a plain table with plain <paramref name="columns"/>: reading a view or a virtual table runs
    /// the file's own query, a generated column computes its value as it is read.
    /// </summary>
    public void RequirePlainTable(string table, params string[] columns)
    {
        string? type = null, sql = null;
        Run(() =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT type, sql FROM sqlite_master WHERE name = $name COLLATE NOCASE";
            command.Parameters.AddWithValue("$name", table);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return;
            type = reader.GetString(0);
            sql = reader.IsDBNull(1) ? null : reader.GetString(1);
        });
        if (type is null) throw new InvalidDataException($"{_what}: no {table} table");
        if (type != "table") throw new InvalidDataException($"{_what}: {table} is a {type}, not a table; only plain tables of a package database are read");
        if (sql is not null && sql.TrimStart().StartsWith("CREATE VIRTUAL", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{_what}: {table} is a virtual table; only plain tables of a package database are read");
        var found = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        Run(() =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT name, hidden FROM pragma_table_xinfo('{table.Replace("'", "''", StringComparison.Ordinal)}')";
            using var reader = command.ExecuteReader();
            while (reader.Read()) found[reader.GetString(0)] = reader.GetInt64(1);
        });
        foreach (var column in columns)
        {
            if (!found.TryGetValue(column, out var hidden)) throw new InvalidDataException($"{_what}: {table} has no {column} column");
            if (hidden != 0) throw new InvalidDataException($"{_what}: {table}.{column} is a generated column; only stored values of a package database are read");
        }
    }

    /// <summary>
    /// Hands each row's key and blob to <paramref name="row"/>, in key order, as they are read (one blob in memory at a
    /// time). A blob longer than the file or the budget's bytes is not read: it comes as null, with its length.
    /// </summary>
    public void ReadBlobs(string table, string key, string blob, Action<long, byte[]?, long> row)
    {
        var maxValue = Math.Min(_fileBytes, _meter.Budget.MaxBytes);
        long total = 0;
        Run(() =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT \"{key}\", length(\"{blob}\"), CASE WHEN length(\"{blob}\") <= $max THEN \"{blob}\" END FROM \"{table}\" ORDER BY \"{key}\"";
            command.Parameters.AddWithValue("$max", maxValue);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                _meter.Item();
                var length = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
                byte[]? value = [];
                if (length > maxValue) value = null;
                else if (!reader.IsDBNull(2))
                {
                    // Stored values cannot add up to more than the file: more means values made up as they are read (a
                    // column added with a default stands in every older row without being stored).
                    if ((total += length) > _fileBytes)
                        throw new InvalidDataException($"{_what}: its rows hold more bytes than the {_fileBytes} byte file stores (values computed, not stored); the rest is not read");
                    _meter.Read(length);
                    value = reader.GetFieldValue<byte[]>(2);
                }
                row(reader.GetInt64(0), value, length);
            }
        });
    }

    /// <summary>Runs a statement; SQLite's errors become one line naming the file, an interrupt the budget's time.</summary>
    private void Run(Action statement)
    {
        try
        {
            statement();
        }
        catch (SqliteException e)
        {
            _meter.CheckTime();
            throw new InvalidDataException($"{_what}: not a readable SQLite database: {e.Message.Split('\n')[0]}", e);
        }
    }

    private SqliteConnection OpenImmutable(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = $"file:{UriPath(file)}?mode=ro&immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Harden(connection, _progress, _fileBytes);
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new InvalidDataException($"{_what}: not a readable SQLite database: {e.Message.Split('\n')[0]}", e);
        }
    }

    private static void Harden(SqliteConnection connection, delegate_progress progress, long fileBytes)
    {
        raw.sqlite3_progress_handler(connection.Handle, ProgressInstructions, progress, null);
        raw.sqlite3_limit(connection.Handle, raw.SQLITE_LIMIT_LENGTH, (int)Math.Clamp(fileBytes, 1024, int.MaxValue));
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0;";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Folds a write-ahead log into the private copy, so the immutable read sees the committed rows it holds (an
    /// immutable database ignores its log). The copy is this process's own file; nothing of the schema runs.
    /// </summary>
    private static void FoldLog(string copy, ParseMeter meter, string what)
    {
        delegate_progress progress = _ => meter.Expired ? 1 : 0;
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            connection.Open();
            Harden(connection, progress, new FileInfo(copy).Length + new FileInfo(copy + "-wal").Length);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            command.ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            meter.CheckTime();
            throw new InvalidDataException($"{what}: its write-ahead log cannot be read: {e.Message.Split('\n')[0]}", e);
        }
    }

    /// <summary>A file name as the path of a <c>file:</c> URI: anything but unreserved characters and '/' percent-encoded.</summary>
    private static string UriPath(string path)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(Path.GetFullPath(path)))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'/' or (byte)'.' or (byte)'-' or (byte)'_' or (byte)'~') encoded.Append((char)b);
            else encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return encoded.ToString();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Dispose();
    }
}
