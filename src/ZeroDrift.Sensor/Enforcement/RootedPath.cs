using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>What <c>fstat</c> says of an opened file: enough to tell it is the file the kernel reported.</summary>
public readonly record struct FileFacts(ulong Device, ulong Inode, uint Mode, long Size, long MtimeNs)
{
    public bool IsRegular => (Mode & 0xF000) == 0x8000;
}

/// <summary>
/// Looks up a file as a process inside a container sees it, from the host, through <c>/proc/&lt;pid&gt;/root</c>.
/// The kernel does the resolution (openat2 with RESOLVE_IN_ROOT): every symlink, absolute ones such as
/// <c>/bin/sh → /bin/busybox</c> included, and every "..", stays inside the container's root, and a link the
/// container swaps in while we look cannot lead to a host file (its <c>/etc/passwd</c> as a link to the host's
/// <c>/etc/shadow</c>, say). Used by enforcement (which files a profile names) and by the agent (hashes, user names).
/// </summary>
public static unsafe partial class RootedPath
{
    private const long SysOpenat2 = 437;                 // x86_64 and arm64 alike (the new syscall table)
    private const ulong ORdOnly = 0, OPath = 0x200000, OCloExec = 0x80000, ODirectory = 0x10000, ONoFollow = 0x20000, ONonBlock = 0x800;
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

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int FStatFs(int fd, byte* buffer);

    /// <summary>The root <paramref name="pid"/> sees (<c>/</c> for pid 0: the agent's own).</summary>
    public static string RootOf(int pid) => pid > 0 ? $"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/root" : "/";

    /// <summary>
    /// <paramref name="path"/> opened for reading inside <paramref name="root"/>, or null when it does not resolve
    /// to something readable there. Non-blocking and never following a last symlink, so a FIFO or a link planted
    /// where a file was expected cannot hang or redirect the reader.
    /// </summary>
    public static SafeFileHandle? OpenForReading(string root, string path) => Open(root, path, ORdOnly | OCloExec | ONoFollow | ONonBlock);

    /// <summary>What <c>fstat</c> says of an open file, or null when it cannot.</summary>
    public static FileFacts? Stat(SafeFileHandle handle)
    {
        var buffer = stackalloc byte[256];
        if (FStat((int)handle.DangerousGetHandle(), buffer) != 0) return null;
        // x86_64: st_dev 0, st_ino 8, st_nlink 16, st_mode 24; arm64 (generic): st_mode 16. Both: st_size 48,
        // st_mtime 88 and its nanoseconds 96.
        var mode = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? *(uint*)(buffer + 24) : *(uint*)(buffer + 16);
        return new FileFacts(*(ulong*)buffer, *(ulong*)(buffer + 8), mode, *(long*)(buffer + 48), *(long*)(buffer + 88) * 1_000_000_000 + *(long*)(buffer + 96));
    }

    /// <summary>(st_dev, st_ino, st_mode) of <paramref name="path"/> inside <paramref name="root"/>, or null when it
    /// does not resolve there.</summary>
    public static (ulong Device, ulong Inode, uint Mode)? Stat(string root, string path)
    {
        using var handle = Open(root, path, OPath | OCloExec);
        return handle is not null && Stat(handle) is { } facts ? (facts.Device, facts.Inode, facts.Mode) : null;
    }

    /// <summary>What <c>fstat</c> says of <paramref name="path"/> inside <paramref name="root"/> and the filesystem
    /// it is on (<c>fstatfs</c>'s f_type), or null when it does not resolve there.</summary>
    public static (FileFacts Facts, long FileSystem)? StatWithFileSystem(string root, string path)
    {
        using var handle = Open(root, path, OPath | OCloExec);
        if (handle is null || Stat(handle) is not { } facts) return null;
        var buffer = stackalloc byte[256];
        return FStatFs((int)handle.DangerousGetHandle(), buffer) == 0 ? (facts, *(long*)buffer) : null;
    }

    /// <summary>The names in <paramref name="directory"/> inside <paramref name="root"/> (resolved as <see cref="Stat(string, string)"/>
    /// does), at most <paramref name="limit"/>; empty when it does not resolve to a directory there.</summary>
    public static IReadOnlyList<string> List(string root, string directory, int limit)
    {
        // O_RDONLY | O_DIRECTORY: the kernel resolved it inside the root; listing through our own descriptor
        // reads that directory, whatever the container does to its path meanwhile.
        using var handle = Open(root, directory, ODirectory | OCloExec);
        if (handle is null) return [];
        try
        {
            var names = new List<string>();
            foreach (var entry in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{handle.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture)}"))
            {
                if (names.Count >= limit) break;
                names.Add(Path.GetFileName(entry));
            }
            return names;
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    private static SafeFileHandle? Open(string root, string path, ulong flags)
    {
        var rootFd = Native.LibC.Open(root, (int)(OPath | ODirectory | OCloExec));
        if (rootFd < 0) return null;
        try
        {
            var how = new OpenHow { Flags = flags, Resolve = ResolveInRoot | ResolveNoMagiclinks };
            var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            long fd;
            fixed (byte* p = bytes)
                fd = Openat2(SysOpenat2, rootFd, p, &how, (nuint)sizeof(OpenHow));
            return fd < 0 ? null : new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        }
        finally
        {
            Native.LibC.Close(rootFd);
        }
    }
}
