using System.Net;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Engine;

/// <summary>Something a workload did, already attributed to it (the sensor's events, enriched, map onto these).</summary>
public abstract record Observation(WorkloadIdentity Workload, DateTimeOffset At);

/// <summary>
/// A program started. <paramref name="Name"/>: the name it runs under when not its file's (see
/// <see cref="ProcessEntry.Name"/>). <paramref name="FromWritableLayer"/>: the executable lies in the container's overlayfs upper
/// directory (written after start, not shipped in the image); <paramref name="FromMemfd"/>: it runs from memory.
/// <paramref name="DriftPrevention"/>: the agent prevents drift in this container (its own setting, for every
/// container it covers), so such an exec is blocked whatever the mode.
/// </summary>
public sealed record ExecObservation(WorkloadIdentity Workload, DateTimeOffset At, string Executable, string? Parent, string? User,
    bool FromWritableLayer = false, bool FromMemfd = false, string? Sha256 = null, int Pid = 0, long? Uid = null, string? Name = null,
    bool DriftPrevention = false) : Observation(Workload, At);

public sealed record FileObservation(WorkloadIdentity Workload, DateTimeOffset At, string Path, FileAccessKind Access, string? Executable = null, int Pid = 0)
    : Observation(Workload, At);

public sealed record NetworkObservation(WorkloadIdentity Workload, DateTimeOffset At, NetworkDirection Direction, string Protocol, IPAddress Peer, int Port,
    string? DnsName = null, string? Executable = null, int Pid = 0) : Observation(Workload, At);

/// <summary>The system calls a workload's cgroup used since the last report (the sensor aggregates them in the kernel).</summary>
public sealed record SyscallObservation(WorkloadIdentity Workload, DateTimeOffset At, IReadOnlyCollection<string> Syscalls) : Observation(Workload, At);

public sealed record CapabilityObservation(WorkloadIdentity Workload, DateTimeOffset At, string Capability, string? Executable = null, int Pid = 0) : Observation(Workload, At);
