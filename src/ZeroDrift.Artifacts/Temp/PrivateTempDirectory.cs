using System.Collections.Concurrent;

namespace ZeroDrift.Artifacts.Temp;

/// <summary>
/// A temporary directory only its owner can read (0700), removed on dispose and, as a last resort, when the
/// process exits (Ctrl-C included), so that files taken out of a scanned image never linger world-readable.
/// </summary>
public sealed class PrivateTempDirectory : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();

    static PrivateTempDirectory()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
    }

    public string Path { get; }

    public PrivateTempDirectory(string purpose = "scan")
    {
        var parent = Environment.GetEnvironmentVariable("ZERODRIFT_TMPDIR") is { Length: > 0 } configured
            ? configured
            : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(parent, $"zerodrift-{purpose}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(Path);
        else
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Live[Path] = 0;
    }

    /// <summary>A new file name inside the directory (not created).</summary>
    public string NewFile(string suffix = "") => System.IO.Path.Combine(Path, Guid.NewGuid().ToString("N") + suffix);

    public void Dispose()
    {
        if (Live.TryRemove(Path, out _)) TryDelete(Path);
    }

    /// <summary>Removes every live temporary directory; called on process exit and on cancellation.</summary>
    public static void RemoveAll()
    {
        foreach (var path in Live.Keys)
            if (Live.TryRemove(path, out _)) TryDelete(path);
    }

    private static void TryDelete(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
