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
    /// when it has exited, or when it is still in the host's mount namespace: the runtime's init can be in the
    /// container's cgroup before it enters the container (runc init exec'd into the cgroup), and its root is then
    /// the host's, whose files would fill a workload's sets with the host's identities.
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
        return pinned;
    }

    public void Dispose() => handle.Dispose();
}
