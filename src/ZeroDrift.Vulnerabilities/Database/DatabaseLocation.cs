namespace ZeroDrift.Vulnerabilities.Database;

/// <summary>Where the vulnerability database lives: --db, then $ZERODRIFT_DB, then $XDG_CACHE_HOME/zerodrift/.</summary>
public static class DatabaseLocation
{
    public const string FileName = "vulnerabilities.db";

    public static string Resolve(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return Path.GetFullPath(explicitPath);
        if (Environment.GetEnvironmentVariable("ZERODRIFT_DB") is { Length: > 0 } fromEnv) return Path.GetFullPath(fromEnv);
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "zerodrift", FileName);
    }
}
