using System.Runtime.InteropServices;

namespace ZeroDrift.Runtime.Response;

/// <summary>
/// A handle on one process (pidfd_open): a signal sent through it reaches that process or nothing, even once its pid
/// has been reused by another, and it tells whether the process has exited. Open it, check the process is the one
/// meant, then signal: the check cannot be outdated by a pid reused in between.
/// </summary>
public sealed unsafe partial class PidFd : IDisposable
{
    // The same numbers on x86_64 and arm64 (the syscall table shared since 5.1).
    private const long SysPidfdSendSignal = 424, SysPidfdOpen = 434;
    private const int Esrch = 3;
    private int _fd;

    private PidFd(int fd, int pid)
    {
        _fd = fd;
        Pid = pid;
    }

    public int Pid { get; }

    /// <summary>The process's handle, or null with the errno (ESRCH: it has exited and been reaped).</summary>
    public static PidFd? Open(int pid, out int errno)
    {
        errno = 0;
        if (pid <= 0)
        {
            errno = Esrch;
            return null;
        }
        var fd = (int)Syscall(SysPidfdOpen, pid, 0, 0, 0);
        if (fd >= 0) return new PidFd(fd, pid);
        errno = Marshal.GetLastPInvokeError();
        return null;
    }

    /// <summary>Sends <paramref name="signal"/>; false with the errno (ESRCH: the process has exited). Sending to a
    /// process that exited but was not yet reaped succeeds and does nothing: only its exit tells whether it landed.</summary>
    public bool Signal(int signal, out int errno)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        errno = 0;
        if (Syscall(SysPidfdSendSignal, _fd, signal, 0, 0) == 0) return true;
        errno = Marshal.GetLastPInvokeError();
        return false;
    }

    /// <summary>The process has exited (the pidfd is readable once it has).</summary>
    public bool HasExited
    {
        get
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            var poll = new PollFd { Fd = _fd, Events = 1 /* POLLIN */ };
            return Poll(&poll, 1, 0) > 0 && (poll.Revents & 1) != 0;
        }
    }

    /// <summary>The errno's text, for a response's detail.</summary>
    public static string Describe(int errno) => errno switch
    {
        Esrch => "no such process (it had already exited)",
        1 => "not permitted",
        38 => "pidfd is not supported by this kernel",
        _ => $"errno {errno}",
    };

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Close(fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
