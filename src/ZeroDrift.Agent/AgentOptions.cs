using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Agent;

/// <summary>How the loop treats workloads: the mode of a workload without a profile, learning, host processes, timing;
/// and the clock and the file systems it reads, which tests replace.</summary>
public sealed record AgentOptions
{
    /// <summary>The mode given to a workload that has no profile yet.</summary>
    public ProfileMode DefaultMode { get; init; } = ProfileMode.Learn;

    public LearningPolicy Learning { get; init; } = LearningPolicy.Default;

    public HostPolicy Host { get; init; } = HostPolicy.Rules;

    /// <summary>The agent's own drift prevention (<c>--drift-prevention</c>); profiles may ask for it per workload besides.</summary>
    public DriftPreventionSetting DriftPrevention { get; init; } = DriftPreventionSetting.PerWorkload;

    /// <summary>How often mode switches made with <c>zerodrift profile mode</c> are picked up, learning is saved and
    /// quiet periods are checked: at most this long plus one poll until a switch applies (the contract is 2 s).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    public string Hostname { get; init; } = Environment.MachineName;

    /// <summary>Upload exec, open and network events of containers to the server (with an uplink).</summary>
    public bool UploadEvents { get; init; } = true;

    /// <summary>The loop's clock: housekeeping's timer, how long verdicts are held, alerts' latencies. Its timestamps
    /// must be CLOCK_MONOTONIC nanoseconds' scale for the kernel's event times to compare (the system's are).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Where /proc is read (processes met without their exec, a container's live processes).</summary>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>The cgroup v2 mount (a container is gone when its cgroup's directory is); null finds it.</summary>
    public string? CgroupRoot { get; init; }

    /// <summary>
    /// How long a block verdict waits for the kernel's record of the same exec or connect (they arrive on different
    /// rings) before it is taken as not blocked by the kernel. Measured when the loop drains its queue; the thread
    /// never sleeps for it.
    /// </summary>
    public TimeSpan VerdictHold { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The same for a connect that already failed with EPERM, as the kernel's refusal makes it: waiting
    /// longer for the record costs nothing (the connection did not happen) and spares a needless kill.</summary>
    public TimeSpan RefusedConnectHold { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a kill from user space waits for the process's exit record before it is reported failed.</summary>
    public TimeSpan KillConfirmation { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a kernel block waits for the sensor's event that explains it (in the time of the events read,
    /// so a loop behind on its ring does not give up early) before it is alerted on its own.</summary>
    public TimeSpan UnexplainedBlockAfter { get; init; } = TimeSpan.FromMilliseconds(250);
}
