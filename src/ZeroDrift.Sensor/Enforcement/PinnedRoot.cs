using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// A container's root directory held open (O_PATH) while its files are resolved, so that every path of one pass
/// is resolved in the same root even when the process it was reached through exits half-way: through
/// <c>/proc/PID/root</c> alone, the paths after the exit would not resolve, and sets filled from such a pass would
/// be missing what the container has. <see cref="Path"/> is a root for <see cref="KernelEnforcer.ResolveInRoot"/>
/// and <see cref="RootedPath"/>.
/// </summary>
public sealed class PinnedRoot : IDisposable
{
    private const int OPath = 0x200000;
    private readonly SafeFileHandle handle;

    private PinnedRoot(SafeFileHandle handle)
    {
        this.handle = handle;
        Path = $"/proc/self/fd/{handle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)}";
    }

    public string Path { get; }

    /// <summary>
    /// The root of process <paramref name="pid"/>, a process of a container; <see cref="ContainerProcessGoneException"/>
    /// when it has exited, or when it has not entered its container yet: the runtime's init is in the container's
    /// cgroup before that (runc init exec'd into the cgroup, in the host's mount namespace; then in a mount namespace
    /// of its own but still on the host's root until it pivots), and the host's files would fill a workload's sets
    /// with the host's identities, pruning what its containers really run.
    /// </summary>
    public static PinnedRoot Of(int pid)
    {
        var fd = LibC.Open(RootedPath.RootOf(pid), OPath | LibC.ODirectory | LibC.OCloExec);
        if (fd < 0) throw new ContainerProcessGoneException(pid);
        var pinned = new PinnedRoot(new SafeFileHandle(fd, ownsHandle: true));
        var mountNamespace = LibC.MountNamespace(pid.ToString(CultureInfo.InvariantCulture));
        if (mountNamespace == 0 || mountNamespace == LibC.HostMountNamespace())
        {
            pinned.Dispose();
            throw mountNamespace == 0 ? new ContainerProcessGoneException(pid) : new ContainerProcessGoneException(pid, "is in the host's mount namespace (not in its container yet)");
        }
        if (LibC.DeviceAndInode(pinned.Path) is not { } root || root == HostRoot())
        {
            pinned.Dispose();
            throw new ContainerProcessGoneException(pid, "still has the host's root (not in its container yet)");
        }
        return pinned;
    }

    /// <summary>The host's root directory: pid 1's, or where following pid 1's link is refused (as it can be, even to
    /// root) the agent's own, which is the host's unless the agent runs in a container of its own.</summary>
    private static (ulong Device, ulong Inode)? HostRoot() => LibC.DeviceAndInode(RootedPath.RootOf(1)) ?? LibC.DeviceAndInode("/");

    public void Dispose() => handle.Dispose();
}
