using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace ZeroDrift.Server.Storage;

/// <summary>What differs between SQLite and PostgreSQL, and nothing else: connections, the generated key,
/// the migration lock, the fast path for bulk events, and whether writers must take turns.</summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    public abstract string Kind { get; }
    public abstract string IdColumn { get; }
    /// <summary>SQLite has one writer per file: the store queues writers itself instead of meeting SQLITE_BUSY.</summary>
    public abstract bool SingleWriter { get; }
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);
    /// <summary>Only one server replica applies migrations at a time.</summary>
    public abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct);
    public abstract Task BulkInsertEventsAsync(DbConnection connection, DbTransaction transaction, string agent, long receivedAt, IReadOnlyList<EventRow> rows, CancellationToken ct);
    /// <summary>Two replicas grouping alerts of one workload at once must not open two incidents: one at a time per workload.</summary>
    public abstract Task LockWorkloadAsync(DbConnection connection, DbTransaction transaction, string workload, CancellationToken ct);
    public abstract ValueTask DisposeAsync();

    internal const string EventInsert = "INSERT INTO events (agent, kind, at, received_at, container_id, workload, path, process, detail) VALUES (@agent, @kind, @at, @received, @container, @workload, @path, @process, @detail)";
}

internal sealed class SqliteDialect : SqlDialect
{
    private readonly string _connectionString;

    public SqliteDialect(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public override string Kind => "sqlite";
    public override string IdColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";
    public override bool SingleWriter => true;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        using var pragma = connection.CreateCommand();
        // WAL lets the console read while agents write; NORMAL sync is durable across a process crash in WAL mode.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return connection;
    }

    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Writers already take turns (one per file).</summary>
    public override Task LockWorkloadAsync(DbConnection connection, DbTransaction transaction, string workload, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Rows per INSERT: one statement step per 64 events instead of one per event (7 × 64 parameters, far under SQLite's limit).</summary>
    private const int RowsPerInsert = 64;

    public override async Task BulkInsertEventsAsync(DbConnection connection, DbTransaction transaction, string agent, long receivedAt, IReadOnlyList<EventRow> rows, CancellationToken ct)
    {
        var full = rows.Count / RowsPerInsert;
        if (full > 0)
        {
            using var many = EventCommand(connection, transaction, agent, receivedAt, RowsPerInsert);
            await many.PrepareAsync(ct).ConfigureAwait(false);
            for (var chunk = 0; chunk < full; chunk++)
            {
                Bind(many, rows, chunk * RowsPerInsert, RowsPerInsert);
                await many.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        var rest = rows.Count - full * RowsPerInsert;
        if (rest == 0) return;
        using var tail = EventCommand(connection, transaction, agent, receivedAt, rest);
        Bind(tail, rows, full * RowsPerInsert, rest);
        await tail.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static SqliteCommand EventCommand(DbConnection connection, DbTransaction transaction, string agent, long receivedAt, int count)
    {
        var command = (SqliteCommand)connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        var sql = new System.Text.StringBuilder("INSERT INTO events (agent, kind, at, received_at, container_id, workload, path, process, detail) VALUES ");
        for (var i = 0; i < count; i++)
        {
            if (i > 0) sql.Append(',');
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"($agent,$k{i},$t{i},$received,$c{i},$w{i},$p{i},$r{i},$d{i})");
        }
        command.CommandText = sql.ToString();
        command.Parameters.AddWithValue("$agent", agent);
        command.Parameters.AddWithValue("$received", receivedAt);
        for (var i = 0; i < count; i++)
            foreach (var prefix in "ktcwprd")
                command.Parameters.Add(new SqliteParameter { ParameterName = $"${prefix}{i}" });
        return command;
    }

    /// <summary>Parameters were added row by row in the order k t c w p r d after $agent and $received.</summary>
    private static void Bind(SqliteCommand command, IReadOnlyList<EventRow> rows, int start, int count)
    {
        var parameters = command.Parameters;
        for (var i = 0; i < count; i++)
        {
            var e = rows[start + i];
            var at = 2 + i * 7;
            parameters[at].Value = e.Kind;
            parameters[at + 1].Value = e.At;
            parameters[at + 2].Value = e.ContainerId;
            parameters[at + 3].Value = e.Workload;
            parameters[at + 4].Value = e.Path;
            parameters[at + 5].Value = e.Process;
            parameters[at + 6].Value = e.Detail;
        }
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}

internal sealed class PostgresDialect(string connectionString) : SqlDialect
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public override string Kind => "postgresql";
    public override string IdColumn => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
    public override bool SingleWriter => false;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct).ConfigureAwait(false);

    public override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(7265746)";
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public override async Task LockWorkloadAsync(DbConnection connection, DbTransaction transaction, string workload, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(7265747, hashtext(@w))";
        var p = command.CreateParameter();
        p.ParameterName = "@w";
        p.Value = workload;
        command.Parameters.Add(p);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Binary COPY: one round trip for the whole batch, which is what reaches tens of thousands of events a second.</summary>
    public override async Task BulkInsertEventsAsync(DbConnection connection, DbTransaction transaction, string agent, long receivedAt, IReadOnlyList<EventRow> rows, CancellationToken ct)
    {
        var npgsql = (NpgsqlConnection)connection;
        await using var writer = await npgsql.BeginBinaryImportAsync(
            "COPY events (agent, kind, at, received_at, container_id, workload, path, process, detail) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false);
        foreach (var e in rows)
        {
            await writer.StartRowAsync(ct).ConfigureAwait(false);
            await writer.WriteAsync(agent, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.Kind, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.At, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            await writer.WriteAsync(receivedAt, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.ContainerId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.Workload, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.Path, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.Process, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await writer.WriteAsync(e.Detail, NpgsqlDbType.Text, ct).ConfigureAwait(false);
        }
        await writer.CompleteAsync(ct).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
