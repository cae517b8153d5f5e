namespace ZeroDrift.Server.Storage;

/// <summary>
/// Opens the store <c>--db</c> names: a PostgreSQL connection string (<c>Host=…;…</c> keywords, or a
/// <c>postgres://user:password@host:port/db</c> URL) or else a SQLite file path.
/// </summary>
public static class StoreFactory
{
    public static bool IsPostgres(string db) =>
        db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || db.Contains("Host=", StringComparison.OrdinalIgnoreCase) && db.Contains(';', StringComparison.Ordinal);

    public static IServerStore Open(string db)
    {
        if (!IsPostgres(db)) return new SqlStore(new SqliteDialect(db));
        return new SqlStore(new PostgresDialect(db.Contains("://", StringComparison.Ordinal) ? FromUrl(db) : db));
    }

    /// <summary>postgres://user:password@host:port/database?sslmode=require → Npgsql keywords.</summary>
    internal static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new StoreException("--db: not a valid postgres:// URL");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length == 2 && kv[0].Equals("sslmode", StringComparison.OrdinalIgnoreCase) && Enum.TryParse<Npgsql.SslMode>(kv[1], ignoreCase: true, out var mode)) builder.SslMode = mode;
        }
        return builder.ConnectionString;
    }

    /// <summary>Where the server keeps its files: --data-dir, else $XDG_DATA_HOME/zerodrift/server, else ~/.local/share/zerodrift/server.</summary>
    public static string DataDirectory(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return Path.GetFullPath(explicitPath);
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "zerodrift", "server");
    }
}
