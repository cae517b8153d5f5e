using System.Net;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// One action the kernel refused. <paramref name="Kind"/> is "exec" (the process was killed at exec, when
/// <see cref="SignalResult"/> is 0) or "connect" (connect() or a UDP sendto() failed with EPERM). For exec,
/// <paramref name="Executable"/> is the name given to execve and <paramref name="Device"/>/<paramref name="Inode"/>
/// identify the file as enforcement does (<see cref="FileId"/>); for connect, <paramref name="Destination"/> is the
/// refused peer.
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

    /// <summary>The policy the cgroup was under (<see cref="KernelEnforcer.PolicyFor"/>).</summary>
    public uint Policy { get; init; }

    /// <summary>For exec: what bpf_send_signal(SIGKILL) returned, 0 when the kill was sent (the program never ran),
    /// else -errno (nothing was stopped). 0 for connect.</summary>
    public int SignalResult { get; init; }

    /// <summary>Whether the kernel did stop it: a connect refused, or an exec whose kill was sent.</summary>
    public bool Stopped => Kind != "exec" || SignalResult == 0;
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
    /// <summary>Drift killed for a policy's drift prevention outside protect (no profile was involved).</summary>
    DriftPrevention = 16,
}
