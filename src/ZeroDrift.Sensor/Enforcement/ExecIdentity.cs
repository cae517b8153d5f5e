using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// A file as enforcement identifies it at exec. On overlayfs: {<see cref="OverlayDevice"/>, inode number}, the same
/// in every container of an image and in an image mount (on containers/storage all layers are on one filesystem and
/// an overlay inode keeps the layer file's number), so a policy can be filled from the image before any container
/// exists. Elsewhere: {s_dev in the kernel's encoding (<see cref="KernelDevice"/>), inode number}.
/// </summary>
public readonly record struct FileId(ulong Device, ulong Inode)
{
    /// <summary>The device part of every overlayfs file (ZDE_DEV_OVERLAY: s_dev is 32 bits, no device has it).</summary>
    public const ulong OverlayDevice = 0x1_0000_0000;

    public bool OnOverlay => Device == OverlayDevice;
}

/// <summary>
/// The parent part of a process the kernel allows (bpf/lineage.h): the parent's executable when the parent runs in
/// the container (same cgroup, same pid namespace level); else the runtime, as <see cref="Entry"/> (starting the
/// container's init: the entrypoint, and what pid 1 exec's into) or <see cref="RuntimeExec"/> (<c>podman exec</c>,
/// <c>kubectl exec</c>); or <see cref="Any"/>, for a profile entry with no parent.
/// </summary>
public readonly record struct ExecParent(ulong Device, ulong Inode)
{
    public static ExecParent Entry { get; } = new(0, (ulong)ExecParentClass.Entry);
    public static ExecParent RuntimeExec { get; } = new(0, (ulong)ExecParentClass.RuntimeExec);
    public static ExecParent Any { get; } = new(ulong.MaxValue, ulong.MaxValue);
    public static ExecParent Of(FileId file) => new(file.Device, file.Inode);
}

/// <summary>
/// A container image as the kernel recognises it at a container's first exec: the root directory of the image's top
/// layer ({s_dev in the kernel's encoding, inode}), which is the first lower layer of every container's overlay and
/// of the image's own mount.
/// </summary>
public readonly record struct ImageKey(ulong Device, ulong Inode);
