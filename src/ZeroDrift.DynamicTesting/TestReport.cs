using ZeroDrift.Core;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.DynamicTesting;

/// <summary>The exercise script's run: its exit code (null when it was stopped at the end of the duration) and its output's end.</summary>
public sealed record ExerciseRun(string Script, int? ExitCode, TimeSpan Elapsed, string Output);

/// <summary>What the sandbox was and how long it was watched.</summary>
public sealed record SandboxInfo(string Container, string Network, string Address, bool NetworkInternal, DateTimeOffset Started, TimeSpan Observed, int? ContainerExitCode);

/// <summary>The outcome of <c>zerodrift test IMAGE</c>: what the workload did, what fired, what the HTTP surface showed.</summary>
public sealed record TestReport
{
    public required string Image { get; init; }
    public required string ImageId { get; init; }
    public required SandboxInfo Sandbox { get; init; }
    public ExerciseRun? Exercise { get; init; }
    public int HttpRequests { get; init; }
    public int OpenApiOperations { get; init; }

    /// <summary>The agent's rule coverage line: how many rules can fire, and how fully.</summary>
    public required string Rules { get; init; }

    /// <summary>Sensor events the in-process agent read (all of the machine's, not only the sandbox's).</summary>
    public long AgentEvents { get; init; }

    /// <summary>The sandbox workload's learned profile: its processes, files, connections and syscalls; null when none of its programs was seen.</summary>
    public BehaviourProfile? Profile { get; init; }

    public required IReadOnlyList<TestFinding> Findings { get; init; }

    /// <summary>True when a finding is at or above <paramref name="threshold"/>.</summary>
    public bool Fails(Severity threshold) => Findings.Any(f => f.Severity >= threshold);
}
