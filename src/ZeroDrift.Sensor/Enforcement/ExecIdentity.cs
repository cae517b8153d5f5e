namespace ZeroDrift.Sensor.Enforcement;

/// <summary>A file as the kernel identifies it at exec: s_dev in the kernel's encoding and the inode number.</summary>
public readonly record struct FileId(ulong Device, ulong Inode);

/// <summary>
/// The parent part of a process the kernel allows: the parent's executable when the parent runs in the same
/// container cgroup, <see cref="Outside"/> when the parent is outside it (the runtime: conmon starting the entrypoint,
/// runc for <c>podman exec</c>), or <see cref="Any"/>.
/// </summary>
public readonly record struct ExecParent(ulong Device, ulong Inode)
{
    public static ExecParent Outside { get; } = new(0, 0);
    public static ExecParent Any { get; } = new(ulong.MaxValue, ulong.MaxValue);
    public static ExecParent Of(FileId file) => new(file.Device, file.Inode);
}
