namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Where ZeroDrift keeps the trust it installed with <c>trust update</c>: <c>$ZERODRIFT_TRUST_DIR</c>, else
/// <c>$XDG_DATA_HOME/zerodrift/trust</c> (else <c>~/.local/share/zerodrift/trust</c>). Its <c>trusted_root.json</c>
/// replaces the shipped public-good root once installed; TUF metadata lives beside it.
/// </summary>
public static class TrustedRootStore
{
    public const string FileName = "trusted_root.json";

    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("ZERODRIFT_TRUST_DIR") is { Length: > 0 } explicitDir) return explicitDir;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "zerodrift", "trust");
    }

    public static string InstalledPath => Path.Combine(Directory(), FileName);

    /// <summary>The installed root when there is one, else the root shipped with ZeroDrift.</summary>
    public static TrustedRoot Default() => File.Exists(InstalledPath) ? TrustedRoot.Load(InstalledPath) : TrustedRoot.Production();
}
