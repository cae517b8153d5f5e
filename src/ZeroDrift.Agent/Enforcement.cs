using System.Collections.Concurrent;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent;

/// <summary>A block verdict and the event's facts the enforcement needs to tell whether the kernel already stopped it.</summary>
public sealed record BlockRequest(int Pid, DeviationKind Kind, string Workload, ulong CgroupId, string? Executable, long KernelTimeNs, int? ConnectResult = null);

/// <summary>A container the enforcer acts on: its cgroup (id and v2 path) and a process inside it (to resolve paths in its mount namespace).</summary>
public sealed record EnforcedContainer(ulong CgroupId, string? CgroupPath, string ContainerId, int PidInContainer);

/// <summary>
/// How Protect is carried out. In the kernel (an exec outside the profile killed before its first instruction, a
/// connect refused with EPERM), or, where the kernel enforcer cannot load, from user space: the engine's block
/// verdict kills the process after the event reached the agent.
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

    /// <summary>A workload's container appeared, or its mode or profile changed: push what the kernel needs.</summary>
    void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile);

    /// <summary>A container went away.</summary>
    void Forget(ulong cgroupId);

    /// <summary>The engine decided to block this process's deviation; returns what was done and when (CLOCK_MONOTONIC ns).</summary>
    (AlertAction Action, long? AtNs) OnBlock(BlockRequest request);
}

/// <summary>
/// The fallback: SIGKILL from user space on a block verdict (exec, connect and drift deviations in Protect), through
/// the <see cref="Responder"/> so each action is recorded. It stops the process after the event, not before: best
/// effort, and everything that shows it says so.
/// </summary>
public sealed class UserSpaceEnforcement(Responder responder, string why) : IEnforcement
{
    public const string BestEffort = "best effort: the process may run before it is killed";

    private readonly ConcurrentDictionary<ulong, ProfileMode> _modes = new();

    public string Description { get; } = $"user-space response, {BestEffort} (kill by pid after the event): {why}";
    public bool InKernel => false;
    public string? Degraded => why;

    /// <summary>Containers of workloads in Protect: the ones whose deviations this kills.</summary>
    public int Protected => _modes.Values.Count(m => m == ProfileMode.Protect);

    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile)
    {
        // Nothing to push: the verdicts arrive through OnBlock. The mode is kept only to say how many are protected.
        _modes[container.CgroupId] = mode;
    }

    public void Forget(ulong cgroupId) => _modes.TryRemove(cgroupId, out _);

    public (AlertAction Action, long? AtNs) OnBlock(BlockRequest request)
    {
        if (request.Pid <= 0) return (AlertAction.Alerted, null);
        var result = responder.KillProcess(request.Pid, automatic: true, by: $"profile of {request.Workload} ({request.Kind.ToString().ToLowerInvariant()} deviation)");
        return (result.Succeeded ? AlertAction.Killed : AlertAction.KillFailed, AlertPublisher.MonotonicNs());
    }

    public void Dispose()
    {
    }
}
