using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>What users decide for a workload and learning never changes: its mode and whether drift is prevented.</summary>
public readonly record struct WorkloadSettings(ProfileMode Mode, bool DriftPrevention);

/// <summary>A profile store that cannot be used: one line saying why.</summary>
public sealed class ProfileStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Profiles in one SQLite file, one row per workload identity; the agent and <c>zerodrift profile</c> share it.
/// The default is <c>$XDG_DATA_HOME/zerodrift/profiles.db</c>: profiles are state a user keeps, not a cache.
/// </summary>
public sealed class ProfileStore : IDisposable
{
    private const int SchemaVersion = 2;
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly SqliteConnection _connection;

    public string Path { get; }

    private ProfileStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("ZERODRIFT_PROFILES") is { Length: > 0 } fromEnv) return fromEnv;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(data)) data = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return System.IO.Path.Combine(data, "zerodrift", "profiles.db");
    }

    public static ProfileStore Open(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            connection.Open();
            var store = new ProfileStore(path, connection);
            // WAL: the agent writes while `zerodrift profile` reads and switches modes.
            store.Execute("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;");
            store.EnsureSchema();
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ProfileStoreException($"{path}: not a usable profile store ({e.Message.Split('\n')[0]})", e);
        }
    }

    private void EnsureSchema()
    {
        using var check = Command("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='profiles'");
        if ((long)check.ExecuteScalar()! == 0)
        {
            Execute($"""
                CREATE TABLE profiles(key TEXT PRIMARY KEY, workload TEXT NOT NULL, image_digest TEXT NOT NULL, image_name TEXT,
                    mode TEXT NOT NULL, drift_prevention INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL, document TEXT NOT NULL);
                CREATE INDEX profiles_digest ON profiles(image_digest);
                PRAGMA user_version = {SchemaVersion};
                """);
            return;
        }
        using var version = Command("PRAGMA user_version");
        var found = (long)version.ExecuteScalar()!;
        // Schema 1 had no drift prevention: the column is added, off for every stored workload.
        if (found == 1)
        {
            // Under the write lock, read again: another process (the agent, a `zerodrift profile` command) may have
            // upgraded it since.
            Execute("BEGIN IMMEDIATE");
            using var again = Command("PRAGMA user_version");
            if ((long)again.ExecuteScalar()! == 1)
                Execute($"ALTER TABLE profiles ADD COLUMN drift_prevention INTEGER NOT NULL DEFAULT 0; PRAGMA user_version = {SchemaVersion};");
            Execute("COMMIT");
            return;
        }
        if (found != SchemaVersion)
            throw new ProfileStoreException($"{Path}: profile store schema {found}, this zerodrift reads {SchemaVersion}");
    }

    public void Save(BehaviourProfile profile) =>
        Upsert(profile, "ON CONFLICT(key) DO UPDATE SET image_name = excluded.image_name, mode = excluded.mode, drift_prevention = excluded.drift_prevention, updated = excluded.updated, document = excluded.document");

    /// <summary>
    /// Stores what was learned without touching the mode or the drift prevention of a stored profile: they belong to
    /// users (<c>zerodrift profile mode</c>, <c>zerodrift profile drift-prevention</c>) and the mode to learning's
    /// auto-advance, and an agent saving its growth must not undo a switch made a moment ago. A new profile is stored
    /// with its own.
    /// </summary>
    public void SaveBehaviour(BehaviourProfile profile) =>
        Upsert(profile, "ON CONFLICT(key) DO UPDATE SET image_name = excluded.image_name, updated = excluded.updated, document = excluded.document");

    private void Upsert(BehaviourProfile profile, string onConflict)
    {
        using var command = Command($"INSERT INTO profiles(key, workload, image_digest, image_name, mode, drift_prevention, updated, document) VALUES ($key, $workload, $digest, $name, $mode, $drift, $updated, $document) {onConflict}");
        command.Parameters.AddWithValue("$key", profile.Identity.Key);
        command.Parameters.AddWithValue("$workload", profile.Identity.Workload);
        command.Parameters.AddWithValue("$digest", profile.Identity.ImageDigest);
        command.Parameters.AddWithValue("$name", (object?)profile.Identity.ImageName ?? DBNull.Value);
        command.Parameters.AddWithValue("$mode", profile.Mode.ToString());
        command.Parameters.AddWithValue("$drift", profile.DriftPrevention ? 1 : 0);
        command.Parameters.AddWithValue("$updated", profile.Updated.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$document", JsonSerializer.Serialize(profile, Json));
        command.ExecuteNonQuery();
    }

    /// <summary>The stored mode and drift prevention of every profile, cheaply: what a running agent polls to apply users' switches.</summary>
    public IReadOnlyDictionary<string, WorkloadSettings> Settings()
    {
        using var command = Command("SELECT key, mode, drift_prevention FROM profiles");
        var result = new Dictionary<string, WorkloadSettings>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            if (Enum.TryParse<ProfileMode>(reader.GetString(1), out var mode)) result[reader.GetString(0)] = new WorkloadSettings(mode, reader.GetInt64(2) != 0);
        return result;
    }

    /// <summary>Turns a stored workload's drift prevention on or off, leaving what was learned and its mode alone.</summary>
    public bool SetDriftPrevention(string key, bool on)
    {
        using var command = Command("UPDATE profiles SET drift_prevention = $drift, updated = $updated WHERE key = $key");
        command.Parameters.AddWithValue("$drift", on ? 1 : 0);
        command.Parameters.AddWithValue("$updated", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteNonQuery() > 0;
    }

    public IReadOnlyList<BehaviourProfile> List()
    {
        using var command = Command("SELECT key, document, mode, drift_prevention FROM profiles ORDER BY workload, image_digest");
        return Read(command);
    }

    public BehaviourProfile? Get(string key)
    {
        using var command = Command("SELECT key, document, mode, drift_prevention FROM profiles WHERE key = $key");
        command.Parameters.AddWithValue("$key", key);
        return Read(command).FirstOrDefault();
    }

    /// <summary>
    /// The profiles a user means by <paramref name="selector"/>: a stored key (<c>workload@sha256:…</c>), an image
    /// digest or a unique prefix of one (at least 12 hex digits), an image reference as it was run
    /// (<c>localhost/app:1</c>), or a workload name.
    /// </summary>
    public IReadOnlyList<BehaviourProfile> Find(string selector)
    {
        var all = List();
        var digest = selector.StartsWith("sha256:", StringComparison.Ordinal) ? selector : null;
        if (digest is null && selector.Length >= 12 && selector.All(char.IsAsciiHexDigitLower)) digest = "sha256:" + selector;
        return all.Where(p => p.Identity.Key == selector
            || (digest is not null && digest.Length >= 19 && p.Identity.ImageDigest.StartsWith(digest, StringComparison.Ordinal))
            || p.Identity.ImageName == selector
            || p.Identity.Workload == selector).ToList();
    }

    public bool Delete(string key)
    {
        using var command = Command("DELETE FROM profiles WHERE key = $key");
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteNonQuery() > 0;
    }

    private List<BehaviourProfile> Read(SqliteCommand command)
    {
        var result = new List<BehaviourProfile>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            try
            {
                var profile = JsonSerializer.Deserialize<BehaviourProfile>(reader.GetString(1), Json) ?? throw new JsonException("null");
                // The mode and drift prevention columns are authoritative (see SaveBehaviour).
                if (Enum.TryParse<ProfileMode>(reader.GetString(2), out var mode)) profile = profile with { Mode = mode };
                result.Add(profile with { DriftPrevention = reader.GetInt64(3) != 0 });
            }
            catch (JsonException e)
            {
                throw new ProfileStoreException($"{Path}: profile {reader.GetString(0)} is corrupt ({e.Message.Split('\n')[0]})", e);
            }
        }
        return result;
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
