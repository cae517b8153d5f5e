using System.Net;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// One action the kernel refused. <paramref name="Kind"/> is "exec" (the process was killed at exec) or "connect"
/// (connect() or a UDP sendto() failed with EPERM). For exec, <paramref name="Executable"/> is the name given to
/// execve and <paramref name="Device"/>/<paramref name="Inode"/> identify the file (device in the kernel's
/// encoding, see <see cref="KernelDevice"/>); for connect, <paramref name="Destination"/> is the refused peer.
/// <paramref name="At"/> is when the kernel decided.
/// </summary>
public sealed record BlockedAction(string Kind, ulong CgroupId, int Pid, string? Executable, ulong Device, ulong Inode, IPEndPoint? Destination, DateTimeOffset At)
{
    /// <summary>Why it was blocked.</summary>
    public BlockReasons Reasons { get; init; }

    /// <summary>"tcp" or "udp" for a refused destination, null for exec.</summary>
    public string? Protocol { get; init; }

    /// <summary>CLOCK_MONOTONIC of the decision (bpf_ktime_get_ns), comparable with the sensor's event times.</summary>
    public long KernelTimeNs { get; init; }
}

/// <summary>The reason bits the kernel writes with a block.</summary>
[Flags]
public enum BlockReasons
{
    None = 0,
    /// <summary>The executable or destination is not in the workload's allow set.</summary>
    NotAllowed = 1,
    /// <summary>The executable is in the container's writable (overlayfs upper) layer: drift.</summary>
    WritableLayer = 2,
    /// <summary>The executable is a memfd (fileless execution): drift.</summary>
    Memfd = 4,
    /// <summary>The script given to an interpreter is in the writable layer or a memfd: drift.</summary>
    ScriptDrift = 8,
}
