using System.Runtime.InteropServices;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// Paths on the host as the kernel resolves them: every symbolic link in every component followed, so that a
/// check of "is this inside the target" cannot be fooled by a link half-way down the path.
/// </summary>
public static partial class HostPath
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>The canonical absolute path (realpath(3)); null when the path or a component does not exist.</summary>
    public static string? Real(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return File.Exists(path) || Directory.Exists(path) ? Path.GetFullPath(path) : null;
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>True for a regular file, not following a final link (never a fifo, which would block a reader).</summary>
    public static bool IsRegularFile(string path) => File.Exists(path) && UnixFileType.IsRegular(path);

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies beneath it (both canonical).</summary>
    public static bool IsWithin(string path, string root) =>
        path == root || root == "/" || (path.StartsWith(root, StringComparison.Ordinal) && path.Length > root.Length && path[root.Length] == '/');
}
