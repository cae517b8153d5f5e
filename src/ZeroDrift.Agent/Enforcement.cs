using System.Collections.Concurrent;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent;

/// <summary>A container the enforcer acts on: its cgroup (id and v2 path), a process inside it (to resolve paths in its
/// mount namespace), and its workload's key (whose policy it is put under).</summary>
public sealed record EnforcedContainer(ulong CgroupId, string? CgroupPath, string ContainerId, int PidInContainer, string? WorkloadKey = null);

/// <summary>
/// How Protect is carried out: in the kernel (an exec outside the profile killed before its first instruction, a
/// connect refused with EPERM), or nothing in the kernel at all, where kernel enforcement cannot load. Either way a
/// block verdict the kernel did not carry out is a kill from user space, which the loop makes (best effort: after the
/// event).
/// </summary>
public interface IEnforcement : IDisposable
{
    /// <summary>One phrase for the agent's start-up line: which enforcement is active and why.</summary>
    string Description { get; }

    /// <summary>True when exec and connect deviations are stopped by the kernel itself.</summary>
    bool InKernel { get; }

    /// <summary>Where Protect's blocks happen, as the agent reports it (<see cref="EnforcementReport"/>): the kernel, or user space (best effort).</summary>
    EnforcementKind Kind => InKernel ? EnforcementKind.Kernel : EnforcementKind.UserSpace;

    /// <summary>Why Protect is not enforced in the kernel (<c>kernel enforcement could not load: …</c>); null when it is.</summary>
    string? Degraded => null;

    /// <summary>A workload's container appeared, or its mode, profile or drift prevention changed: push what the kernel
    /// needs. <paramref name="driftPrevention"/>: an executable from the writable layer or a memfd is killed at exec in
    /// this container whatever the mode.</summary>
    void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile, bool driftPrevention = false);

    /// <summary>A container went away.</summary>
    void Forget(ulong cgroupId);

    /// <summary>The kernel's own record says it killed process <paramref name="pid"/> at an exec around
    /// <paramref name="execTimeNs"/> (CLOCK_MONOTONIC). Always false without kernel enforcement.</summary>
    bool KilledAtExec(int pid, long execTimeNs);
}

/// <summary>
/// No enforcement in the kernel: Protect's block verdicts become kills from user space (SIGKILL through a pidfd
/// after the event reached the agent: the program may have run for a few milliseconds). Everything that shows it says so.
/// </summary>
public sealed class UserSpaceEnforcement(string why) : IEnforcement
{
    public const string BestEffort = "best effort: the process may run before it is killed";

    private readonly ConcurrentDictionary<ulong, ProfileMode> _modes = new();

    public string Description { get; } = $"user-space response, {BestEffort} (SIGKILL through a pidfd after the event reached the agent): {why}";
    public bool InKernel => false;
    public string? Degraded => why;

    /// <summary>Containers of workloads in Protect: the ones whose deviations this kills.</summary>
    public int Protected => _modes.Values.Count(m => m == ProfileMode.Protect);

    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile, bool driftPrevention = false)
    {
        // Nothing to push: the verdicts (drift prevention's too) arrive as block verdicts and become kills from user
        // space. The mode is kept only to say how many are protected.
        _modes[container.CgroupId] = mode;
    }

    public void Forget(ulong cgroupId) => _modes.TryRemove(cgroupId, out _);

    public bool KilledAtExec(int pid, long execTimeNs) => false;

    public void Dispose()
    {
    }
}
