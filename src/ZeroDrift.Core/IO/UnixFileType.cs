using System.Runtime.InteropServices;

namespace ZeroDrift.Core.IO;

/// <summary>The file type bits .NET does not expose (regular file vs fifo, socket, device), through statx(2).</summary>
public static partial class UnixFileType
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>True when <paramref name="hostPath"/> is a regular file; a symbolic link is followed only when
    /// <paramref name="followLinks"/> (a path a user named), never for a path found while walking a target.</summary>
    public static unsafe bool IsRegular(string hostPath, bool followLinks = false)
    {
        if (!OperatingSystem.IsLinux()) return true;
        byte* buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, hostPath, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer) != 0) return false;
        var mode = *(ushort*)(buffer + ModeOffset);
        return (mode & FileTypeMask) == RegularFile;
    }
}
