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
        // A 64 MiB page cache keeps the events index's hot pages in memory as the table grows past the default 2 MiB.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";
        await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return connection;
    }

    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Writers already take turns (one per file).</summary>
    public override Task LockWorkloadAsync(DbConnection connection, DbTransaction transaction, string workload, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// One prepared single-row INSERT stepped per event, in the batch's transaction. (Multi-row INSERTs measured
    /// slower here: Microsoft.Data.Sqlite binds every parameter by name on each step, and SQLite finds a name by
    /// scanning the statement's variables, so 7 × 64 parameters cost more than 64 steps.)
    /// </summary>
    public override async Task BulkInsertEventsAsync(DbConnection connection, DbTransaction transaction, string agent, long receivedAt, IReadOnlyList<EventRow> rows, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = EventInsert;
        var p = new[] { "@agent", "@kind", "@at", "@received", "@container", "@workload", "@path", "@process", "@detail" }
            .Select(name => { var x = command.CreateParameter(); x.ParameterName = name; command.Parameters.Add(x); return x; }).ToArray();
        p[0].Value = agent;
        p[3].Value = receivedAt;
        await command.PrepareAsync(ct).ConfigureAwait(false);
        foreach (var e in rows)
        {
            p[1].Value = e.Kind; p[2].Value = e.At; p[4].Value = e.ContainerId; p[5].Value = e.Workload;
            p[6].Value = e.Path; p[7].Value = e.Process; p[8].Value = e.Detail;
            // Microsoft.Data.Sqlite runs synchronously: the async call would only add a state machine per event.
            command.ExecuteNonQuery();
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
