using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// Looks up a file as a process inside a container sees it, from the host, through <c>/proc/&lt;pid&gt;/root</c>.
/// The kernel does the resolution (openat2 with RESOLVE_IN_ROOT): every symlink, absolute ones such as
/// <c>/bin/sh → /bin/busybox</c> included, and every "..", stays inside the container's root, and a link the
/// container swaps in while we look cannot lead to a host file.
/// </summary>
internal static unsafe partial class RootedPath
{
    private const long SysOpenat2 = 437;                 // x86_64 and arm64 alike (the new syscall table)
    private const ulong OPath = 0x200000, OCloExec = 0x80000, ODirectory = 0x10000;
    private const ulong ResolveNoMagiclinks = 0x02, ResolveInRoot = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Openat2(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, byte* buffer);

    /// <summary>(st_dev, st_ino, st_mode) of <paramref name="path"/> inside <paramref name="root"/>, or null when it
    /// does not resolve there.</summary>
    public static (ulong Device, ulong Inode, uint Mode)? Stat(string root, string path)
    {
        var rootFd = Native.LibC.Open(root, (int)(OPath | ODirectory | OCloExec));
        if (rootFd < 0) return null;
        try
        {
            var how = new OpenHow { Flags = OPath | OCloExec, Resolve = ResolveInRoot | ResolveNoMagiclinks };
            var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            int fd;
            fixed (byte* p = bytes)
                fd = (int)Openat2(SysOpenat2, rootFd, p, &how, (nuint)sizeof(OpenHow));
            if (fd < 0) return null;
            try
            {
                var buffer = stackalloc byte[256];
                if (FStat(fd, buffer) != 0) return null;
                // x86_64: st_dev 0, st_ino 8, st_nlink 16, st_mode 24. arm64 (generic): st_dev 0, st_ino 8, st_mode 16.
                var mode = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? *(uint*)(buffer + 24) : *(uint*)(buffer + 16);
                return (*(ulong*)buffer, *(ulong*)(buffer + 8), mode);
            }
            finally
            {
                Native.LibC.Close(fd);
            }
        }
        finally
        {
            Native.LibC.Close(rootFd);
        }
    }

    /// <summary>The names in <paramref name="directory"/> inside <paramref name="root"/> (resolved as <see cref="Stat"/>
    /// does), at most <paramref name="limit"/>; empty when it does not resolve to a directory there.</summary>
    public static IReadOnlyList<string> List(string root, string directory, int limit)
    {
        var rootFd = Native.LibC.Open(root, (int)(OPath | ODirectory | OCloExec));
        if (rootFd < 0) return [];
        try
        {
            // O_RDONLY | O_DIRECTORY: the kernel resolved it inside the root; listing through our own descriptor
            // reads that directory, whatever the container does to its path meanwhile.
            var how = new OpenHow { Flags = ODirectory | OCloExec, Resolve = ResolveInRoot | ResolveNoMagiclinks };
            var bytes = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            int fd;
            fixed (byte* p = bytes)
                fd = (int)Openat2(SysOpenat2, rootFd, p, &how, (nuint)sizeof(OpenHow));
            if (fd < 0) return [];
            try
            {
                var names = new List<string>();
                foreach (var entry in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{fd.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))
                {
                    if (names.Count >= limit) break;
                    names.Add(Path.GetFileName(entry));
                }
                return names;
            }
            catch (IOException) { return []; }
            catch (UnauthorizedAccessException) { return []; }
            finally
            {
                Native.LibC.Close(fd);
            }
        }
        finally
        {
            Native.LibC.Close(rootFd);
        }
    }
}
