using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ZeroDrift.Agent;

/// <summary>What <c>fstat</c> says of an opened file: enough to tell it is the file the kernel reported.</summary>
public readonly record struct FileFacts(ulong Inode, uint Mode, long Size, long MtimeNs)
{
    public bool IsRegular => (Mode & 0xF000) == 0x8000;
}

/// <summary>
/// Opens a file as a process inside a container sees it, from the host, through <c>/proc/PID/root</c>. The kernel
/// resolves the path (openat2 with RESOLVE_IN_ROOT): every symlink, absolute ones included, and every "..", stays
/// inside the container's root, so a container cannot make the agent read a host file (its <c>/etc/passwd</c> as a
/// link to the host's <c>/etc/shadow</c>, say). The agent's own copy, apart from the sensor's enforcement code.
/// </summary>
public static unsafe partial class ContainerFiles
{
    private const long SysOpenat2 = 437; // x86_64 and arm64 alike
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, byte* buffer);

    /// <summary>
    /// <paramref name="path"/> opened for reading inside the root of <paramref name="pid"/> (<c>/</c> and pid 0: the
    /// agent's own root), or null when the process is gone or the path does not resolve to something readable.
    /// Non-blocking, so a FIFO planted where a file was expected cannot hang the agent.
    /// </summary>
    public static SafeFileHandle? OpenIn(int pid, string path)
    {
        var root = pid > 0 ? $"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/root" : "/";
        var rootFd = Open(root, (int)(OPath | ODirectory | OCloExec));
        if (rootFd < 0) return null;
        try
        {
            var how = new OpenHow { Flags = ORdOnly | OCloExec | ONoFollow | ONonBlock, Resolve = ResolveInRoot | ResolveNoMagiclinks };
            var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            long fd;
            fixed (byte* p = bytes)
                fd = Openat2(SysOpenat2, rootFd, p, &how, (nuint)sizeof(OpenHow));
            return fd < 0 ? null : new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        }
        finally
        {
            Close(rootFd);
        }
    }

    public static FileFacts? Stat(SafeFileHandle handle)
    {
        var buffer = stackalloc byte[256];
        if (FStat((int)handle.DangerousGetHandle(), buffer) != 0) return null;
        // st_ino at 8, st_size at 48, st_mtime at 88 (+ nsec at 96) on x86_64 and arm64 alike; st_mode at 24 (x86_64) or 16.
        var mode = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? *(uint*)(buffer + 24) : *(uint*)(buffer + 16);
        return new FileFacts(*(ulong*)(buffer + 8), mode, *(long*)(buffer + 48), *(long*)(buffer + 88) * 1_000_000_000 + *(long*)(buffer + 96));
    }

    /// <summary>At most <paramref name="limit"/> bytes of a regular file inside the process's root; null when it is not one.</summary>
    public static byte[]? ReadSmall(int pid, string path, int limit)
    {
        using var handle = OpenIn(pid, path);
        if (handle is null || Stat(handle) is not { IsRegular: true } facts || facts.Size > limit) return null;
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var buffer = new byte[Math.Min(limit, Math.Max(0, (int)facts.Size) + 1)];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
        return total > limit ? null : buffer[..total];
    }
}
