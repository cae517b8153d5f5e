using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Native;

/// <summary>
/// tracefs for the time it takes to attach the syscall-specific exit tracepoints: libbpf reads each tracepoint's id
/// from <c>/sys/kernel/tracing/events/…/id</c>. Where tracefs is not mounted (this machine), the root agent mounts
/// it, attaches, and unmounts it again if it mounted it, so the host is left as it was found; an attached
/// tracepoint does not need the mount afterwards. Agents serialise this through a lock file so one agent's
/// unmount never pulls the mount from under another's attach.
/// </summary>
internal sealed class Tracefs : IDisposable
{
    private const string MountPoint = "/sys/kernel/tracing";
    private const string DebugfsTracing = "/sys/kernel/debug/tracing";
    private const string LockPath = "/run/zerodrift-tracefs.lock";
    private readonly FileStream? lockFile;
    private readonly bool mountedByUs;

    /// <summary>Whether syscall tracepoints can be attached now; false with <see cref="Reason"/> otherwise.</summary>
    public bool Available { get; }
    public string Reason { get; } = "";
    /// <summary>Whether this agent mounted tracefs (and unmounts it on dispose).</summary>
    public bool MountedByUs => mountedByUs;

    private Tracefs(FileStream? lockFile, bool available, bool mountedByUs, string reason)
    {
        this.lockFile = lockFile;
        Available = available;
        this.mountedByUs = mountedByUs;
        Reason = reason;
    }

    /// <summary>No tracefs: the caller asked for the raw sys_exit hook.</summary>
    public static Tracefs NotWanted() => new(null, false, false, "not asked for");

    public static Tracefs Acquire()
    {
        var lockFile = TakeLock();
        if (HasSyscallEvents(MountPoint) || HasSyscallEvents(DebugfsTracing))
            return new Tracefs(lockFile, true, false, "tracefs already mounted");
        if (!Directory.Exists(MountPoint))
            return new Tracefs(lockFile, false, false, $"{MountPoint} does not exist");
        if (LibC.Mount("nodev", MountPoint, "tracefs", LibC.MsNoSuid | LibC.MsNoDev | LibC.MsNoExec, null) != 0)
            return new Tracefs(lockFile, false, false, $"cannot mount tracefs: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        if (!HasSyscallEvents(MountPoint))
        {
            LibC.Umount2(MountPoint, LibC.MntDetach);
            return new Tracefs(lockFile, false, false, "this kernel has no syscall trace events (CONFIG_FTRACE_SYSCALLS)");
        }
        return new Tracefs(lockFile, true, true, "tracefs mounted for the attach, then unmounted");
    }

    /// <summary>What <see cref="Acquire"/> would do, without mounting anything (for <c>agent --check</c>).</summary>
    public static (bool Available, string How) Predict()
    {
        if (HasSyscallEvents(MountPoint) || HasSyscallEvents(DebugfsTracing))
            return (true, "tracefs is mounted");
        var known = File.Exists("/proc/filesystems") && File.ReadLines("/proc/filesystems").Any(l => l.EndsWith("\ttracefs", StringComparison.Ordinal));
        return known && Directory.Exists(MountPoint)
            ? (true, "tracefs is not mounted: the agent mounts it for the attach and unmounts it")
            : (false, "this kernel has no tracefs");
    }

    private static bool HasSyscallEvents(string root) => File.Exists(Path.Combine(root, "events/syscalls/sys_exit_openat/id"));

    /// <summary>Whether this kernel has the trace event (e.g. "syscalls/sys_exit_init_module"): some syscalls have
    /// none (module loading, kexec on kernels that leave them out of the syscall events).</summary>
    public bool Has(string tracepoint) =>
        Available && (File.Exists(Path.Combine(MountPoint, "events", tracepoint, "id")) || File.Exists(Path.Combine(DebugfsTracing, "events", tracepoint, "id")));

    /// <summary>An exclusive lock shared by every agent on the host (held for the attach only, a few milliseconds).</summary>
    private static FileStream? TakeLock()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                Thread.Sleep(25); // another agent is attaching
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null; // held for over 5 s: an agent hung while attaching; go on without it rather than wait forever
    }

    public void Dispose()
    {
        if (mountedByUs) LibC.Umount2(MountPoint, LibC.MntDetach);
        lockFile?.Dispose();
    }
}
