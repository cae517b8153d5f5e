using System.Runtime.InteropServices;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// Whether a cgroup still exists, from its 64-bit id alone: cgroup2 (kernfs) exports its directories by file handle,
/// and the handle of a cgroup is its id (FILEID_KERNFS), so <c>open_by_handle_at</c> on the hierarchy's mount
/// answers without walking the tree; a removed cgroup's handle is stale. Needs CAP_DAC_READ_SEARCH (root).
/// </summary>
public sealed unsafe partial class CgroupHandles : IDisposable
{
    private const int FileIdKernfs = 0xfe, OPath = 0x200000, Estale = 116;
    private const long Cgroup2Magic = 0x63677270;
    private readonly int mountFd;

    /// <summary>
    /// Handles on <paramref name="hierarchyRoot"/> when it is a cgroup v2 hierarchy that can be opened; null otherwise.
    /// Another filesystem would call every kernfs handle stale (ext4 and tmpfs do not know the type), so ids could not
    /// be told there.
    /// </summary>
    public static CgroupHandles? TryOpen(string hierarchyRoot)
    {
        if (LibC.FileSystemType(hierarchyRoot) != Cgroup2Magic) return null;
        try { return new CgroupHandles(hierarchyRoot); }
        catch (SensorException) { return null; }
    }

    public CgroupHandles(string hierarchyRoot)
    {
        mountFd = LibC.Open(hierarchyRoot, LibC.ORdOnly | LibC.ODirectory | LibC.OCloExec);
        if (mountFd < 0) throw new SensorException($"cannot open the cgroup v2 hierarchy {hierarchyRoot}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", EntryPoint = "open_by_handle_at", SetLastError = true)]
    private static partial int OpenByHandleAt(int mountFd, void* handle, int flags);

    /// <summary>False only when the kernel says the cgroup is gone (ESTALE); true when it exists or cannot be told.</summary>
    public bool Exists(ulong cgroupId)
    {
        // struct file_handle: handle_bytes, handle_type, then the handle (the cgroup id).
        var handle = stackalloc uint[4];
        handle[0] = 8;
        handle[1] = FileIdKernfs;
        *(ulong*)(handle + 2) = cgroupId;
        var fd = OpenByHandleAt(mountFd, handle, OPath | LibC.OCloExec);
        if (fd >= 0)
        {
            LibC.Close(fd);
            return true;
        }
        return Marshal.GetLastPInvokeError() != Estale;
    }

    public void Dispose() => LibC.Close(mountFd);
}
