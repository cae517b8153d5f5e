using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ZeroDrift.Supply.Assets;

/// <summary>One image as the inventory knows it.</summary>
/// <param name="Source">Where it was last seen: <c>admission</c> (with the workload) or <c>registry</c>.</param>
/// <param name="SignedBy">Keys that verified a signature, comma-separated; empty when none did.</param>
/// <param name="Attestations">Predicate types of verified attestations, comma-separated.</param>
/// <param name="LastScan">When the newest verified vulnerability attestation says the image was scanned, if any.</param>
/// <param name="Decision">The last policy decision (allow, deny), or empty when only discovered.</param>
public sealed record ImageAsset(string Repository, string Digest, string Reference, string Source, string? Workload,
    string SignedBy, string Attestations, string? LastScan, string Decision, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long TimesSeen);

/// <summary>
/// The asset inventory: every image seen through admission or discovered in registries, by repository and digest, in
/// SQLite (the file the user names, created on first use). Writers upsert; the first sighting is kept.
/// </summary>
public sealed class AssetStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public AssetStore(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            _connection.Open();
            using var command = _connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA busy_timeout = 5000;
                CREATE TABLE IF NOT EXISTS images (
                  repository TEXT NOT NULL, digest TEXT NOT NULL, reference TEXT NOT NULL, source TEXT NOT NULL, workload TEXT,
                  signed_by TEXT NOT NULL, attestations TEXT NOT NULL, last_scan TEXT, decision TEXT NOT NULL,
                  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, times_seen INTEGER NOT NULL,
                  PRIMARY KEY (repository, digest));
                """;
            command.ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new SupplyException($"asset inventory {path}: {e.Message}", e);
        }
    }

    public void Record(string repository, string digest, string reference, string source, string? workload, IEnumerable<string> signedBy,
        IEnumerable<string> attestations, string? lastScan, string decision)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO images VALUES ($repository, $digest, $reference, $source, $workload, $signed, $attestations, $scan, $decision, $now, $now, 1)
                ON CONFLICT (repository, digest) DO UPDATE SET reference = $reference, source = $source, workload = COALESCE($workload, workload),
                  signed_by = $signed, attestations = $attestations, last_scan = COALESCE($scan, last_scan),
                  decision = CASE WHEN $decision = '' THEN decision ELSE $decision END, last_seen = $now, times_seen = times_seen + 1
                """;
            command.Parameters.AddWithValue("$repository", repository);
            command.Parameters.AddWithValue("$digest", digest);
            command.Parameters.AddWithValue("$reference", reference);
            command.Parameters.AddWithValue("$source", source);
            command.Parameters.AddWithValue("$workload", (object?)workload ?? DBNull.Value);
            command.Parameters.AddWithValue("$signed", string.Join(",", signedBy.Distinct().Order(StringComparer.Ordinal)));
            command.Parameters.AddWithValue("$attestations", string.Join(",", attestations.Distinct().Order(StringComparer.Ordinal)));
            command.Parameters.AddWithValue("$scan", (object?)lastScan ?? DBNull.Value);
            command.Parameters.AddWithValue("$decision", decision);
            command.Parameters.AddWithValue("$now", now);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Images, newest sighting first; <paramref name="repositoryLike"/> filters with SQL LIKE ('%' wildcard).</summary>
    public IReadOnlyList<ImageAsset> List(string? repositoryLike = null)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT * FROM images" + (repositoryLike is null ? "" : " WHERE repository LIKE $like") + " ORDER BY last_seen DESC, repository, digest";
            if (repositoryLike is not null) command.Parameters.AddWithValue("$like", repositoryLike);
            using var reader = command.ExecuteReader();
            var list = new List<ImageAsset>();
            while (reader.Read())
                list.Add(new ImageAsset(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetString(8),
                    DateTimeOffset.Parse(reader.GetString(9), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(10), CultureInfo.InvariantCulture), reader.GetInt64(11)));
            return list;
        }
    }

    public void Dispose() => _connection.Dispose();
}
