using System.Text;

namespace ZeroDrift.Core.IO;

/// <summary>A file a user named that cannot be read as one: not a regular file, or over its size limit.
/// An <see cref="IOException"/>, so a command reports it as one line and exits 2.</summary>
public sealed class InputFileException(string message) : IOException(message);

/// <summary>
/// Reads a file a user named on the command line or in a config (rule files, check files, gitleaks configs and their
/// <c>[extend] path</c>, policies, VEX documents, ignore files, baselines, predicates, keys) with a size limit that
/// holds before anything is read: the size comes from <c>stat</c>, and only regular files are opened, so
/// <c>/dev/zero</c>, a fifo or <c>/proc/self/fd/0</c> cannot feed it without end. The read itself stops at the
/// limit too, for a file that grows while it is read.
/// </summary>
public static class BoundedFile
{
    /// <summary>The file's bytes; <paramref name="what"/> names it in errors ("rule file", "gitleaks config").</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        using var stream = OpenRead(path, maxBytes, what);
        var buffer = new MemoryStream((int)Math.Min(stream.Length, maxBytes));
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > maxBytes) throw TooLarge(path, maxBytes, what);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>The file as text (UTF-8, a byte-order mark honoured), read as <see cref="ReadAllBytes"/> reads it.</summary>
    public static string ReadAllText(string path, long maxBytes, string what)
    {
        var bytes = ReadAllBytes(path, maxBytes, what);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Opens a regular file after checking its size from <c>stat</c>; the caller reads at most
    /// <paramref name="maxBytes"/> from it (its length was within the limit when it was opened).
    /// </summary>
    public static FileStream OpenRead(string path, long maxBytes, string what)
    {
        if (Directory.Exists(path)) throw new InputFileException($"{what} {path} is a directory, not a file");
        var info = new FileInfo(path);
        // FileInfo says a device or fifo does not exist; only what stat cannot find at all is "does not exist".
        if (!info.Exists && info.LinkTarget is null && !File.Exists(path) && !ExistsAsSpecial(path))
            throw new FileNotFoundException($"{what} {path} does not exist", path);
        // Devices, fifos and sockets report a length of 0 and read without end (a symbolic link the user named is followed).
        if (!UnixFileType.IsRegular(path, followLinks: true)) throw new InputFileException($"{what} {path} is not a regular file");
        if (info.Exists && info.Length > maxBytes) throw TooLarge(path, maxBytes, what);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (stream.Length > maxBytes)
        {
            stream.Dispose();
            throw TooLarge(path, maxBytes, what);
        }
        return stream;
    }

    /// <summary>A limit in words: "16 MiB", "512 KiB", "1000 bytes".</summary>
    public static string Describe(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };

    private static InputFileException TooLarge(string path, long maxBytes, string what) =>
        new($"{what} {path} is larger than {Describe(maxBytes)}");

    private static bool ExistsAsSpecial(string path)
    {
        var name = Path.GetFileName(Path.GetFullPath(path));
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is null || name.Length == 0 || !Directory.Exists(dir)) return false;
        try
        {
            return new DirectoryInfo(dir).EnumerateFileSystemInfos(name).Any(e => e.Name == name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
