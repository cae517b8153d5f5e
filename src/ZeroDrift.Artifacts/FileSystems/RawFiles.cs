using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// Directory listing, lstat and open on host paths given as bytes, for the names .NET's string paths cannot carry
/// (not valid UTF-8: .NET decodes them with U+FFFD and then cannot find the file). Linux only, as the scanner is.
/// </summary>
internal static unsafe partial class RawFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxTypeModeSize = 0x1 | 0x2 | 0x200;
    private const int OpenReadOnlyCloseOnExec = 0x80000;
    /// <summary>glibc's struct dirent on 64-bit Linux: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.</summary>
    private const int DirentNameOffset = 19;

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static partial IntPtr OpenDir(byte* name);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial IntPtr ReadDir(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int OpenFile(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static partial nint ReadLink(byte* path, byte* buffer, nint size);

    /// <summary>What lstat says of a path: its type bits (S_IFMT), permission bits and size.</summary>
    public readonly record struct Status(int Type, int Mode, long Size)
    {
        public bool IsRegular => Type == 0x8000;
        public bool IsDirectory => Type == 0x4000;
        public bool IsSymlink => Type == 0xA000;
    }

    /// <summary>The names in a directory, as bytes (without "." and ".."); throws <see cref="IOException"/> when it cannot be listed.</summary>
    public static List<byte[]> List(byte[] directory)
    {
        var names = new List<byte[]>();
        IntPtr dir;
        fixed (byte* path = Terminated(directory)) dir = OpenDir(path);
        if (dir == IntPtr.Zero) throw Error(directory);
        try
        {
            IntPtr entry;
            while ((entry = ReadDir(dir)) != IntPtr.Zero)
            {
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + DirentNameOffset);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                names.Add(name.ToArray());
            }
        }
        finally
        {
            CloseDir(dir);
        }
        return names;
    }

    /// <summary>lstat(2) through statx; null when the path does not exist.</summary>
    public static Status? Lstat(byte[] path)
    {
        byte* buffer = stackalloc byte[256];
        int result;
        fixed (byte* p = Terminated(path)) result = Statx(AtFdCwd, p, AtSymlinkNoFollow, StatxTypeModeSize, buffer);
        if (result != 0) return null;
        var mode = *(ushort*)(buffer + 28);
        return new Status(mode & 0xF000, mode & 0xFFF, *(long*)(buffer + 40));
    }

    /// <summary>A symbolic link's target bytes.</summary>
    public static byte[]? LinkTarget(byte[] path)
    {
        var buffer = new byte[4096];
        nint n;
        fixed (byte* p = Terminated(path))
        fixed (byte* b = buffer)
            n = ReadLink(p, b, buffer.Length);
        return n < 0 ? null : buffer[..(int)n];
    }

    /// <summary>Opens a file for reading.</summary>
    public static FileStream OpenRead(byte[] path)
    {
        int fd;
        fixed (byte* p = Terminated(path)) fd = OpenFile(p, OpenReadOnlyCloseOnExec);
        if (fd < 0) throw Error(path);
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
    }

    private static byte[] Terminated(byte[] path)
    {
        var terminated = new byte[path.Length + 1];
        path.CopyTo(terminated, 0);
        return terminated;
    }

    private static IOException Error(byte[] path) =>
        new($"{FileNames.FromBytes(path)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
