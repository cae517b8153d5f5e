using System.Text.Json.Serialization;

namespace ZeroDrift.Server.Client;

/// <summary>
/// What an agent sends the server over the agent channel (HTTP batches and NATS alike): one record per NDJSON line,
/// <c>{"type": …, "v": 1, …}</c>. These types are the wire format's one definition: the agent builds them, the server
/// reads batches back into them (<see cref="AgentRecordCodec"/>), and docs/server.md ("Agent channel") describes them.
/// <para>
/// <c>v</c> is the format's version. A server reads every version up to its own and refuses a newer one with that
/// reason, so an agent upgraded before its server is told to wait rather than half understood. A record without
/// <c>v</c> is version 1 (agents from before the field).
/// </para>
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(HostRecord), "host")]
[JsonDerivedType(typeof(ContainerRecord), "container")]
[JsonDerivedType(typeof(EventRecord), "event")]
[JsonDerivedType(typeof(AlertRecord), "alert")]
[JsonDerivedType(typeof(ProfileRecord), "profile")]
public abstract record AgentRecord
{
    /// <summary>The version of the wire format these types write, and the newest a server built with them reads.</summary>
    public const int CurrentVersion = 1;

    [JsonPropertyName("v")]
    [JsonPropertyOrder(-1)]
    public int Version { get; init; } = CurrentVersion;

    // Only the kinds above: a record the server cannot map to its rows is not a record.
    private protected AgentRecord()
    {
    }

    /// <summary>What JSON's types cannot say (non-empty names, bounded lengths): the first problem, or null.</summary>
    internal abstract string? Problem();

    private protected static string? NonEmpty(string? value, string field) =>
        value is { Length: > 0 and <= MaxName } ? null : $"\"{field}\" must be a non-empty string of at most {MaxName} characters";

    private protected static string? Bounded(string? value, string field) =>
        value is null || value.Length <= MaxText ? null : $"\"{field}\" is longer than {MaxText} characters";

    /// <summary>Names and identifiers (workloads, containers, rules).</summary>
    internal const int MaxName = 2000;

    /// <summary>Paths and executables; longer ones are not a path a kernel reported.</summary>
    internal const int MaxText = 4096;
}

/// <summary>An agent's registration: the node it runs on and how it enforces Protect. Sent at start and again whenever that changes.</summary>
public sealed record HostRecord : AgentRecord
{
    /// <summary>The node's name (the agent's hostname).</summary>
    public required string Name { get; init; }
    public DateTimeOffset? Time { get; init; }
    /// <summary>The kernel's version string.</summary>
    public string? Kernel { get; init; }
    /// <summary>The agent's name and version (<c>zerodrift 0.1.0</c>).</summary>
    public string? Agent { get; init; }
    /// <summary>How this node's agent carries out Protect; null from an agent that does not say.</summary>
    public AgentEnforcement? Enforcement { get; init; }

    internal override string? Problem() => NonEmpty(Name, "name") ?? Enforcement?.Problem();
}

/// <summary>
/// How an agent carries out Protect's block verdicts. <see cref="EnforcementKind.Kernel"/>: an exec outside the profile
/// is killed before its first instruction and a connect is refused, by the kernel. <see cref="EnforcementKind.UserSpace"/>:
/// best effort, the process is killed after its event reached the agent and may have run meanwhile.
/// <see cref="EnforcementKind.None"/>: Protect only alerts.
/// </summary>
public sealed record AgentEnforcement
{
    /// <summary>Where blocks happen.</summary>
    [JsonConverter(typeof(WireEnumConverter<EnforcementKind>))]
    public required EnforcementKind Mode { get; init; }
    /// <summary>Why enforcement is not in the kernel (<c>kernel enforcement could not load: …</c>, <c>asked for with --enforcement user-space</c>); null when it is.</summary>
    public string? Reason { get; init; }
    /// <summary>The agent mounted a BPF filesystem for its pins itself (none was mounted).</summary>
    public bool MountedBpfFs { get; init; }
    /// <summary>Where kernel enforcement is pinned, so blocking goes on while the agent restarts.</summary>
    public string? PinRoot { get; init; }

    /// <summary>Anything short of the kernel: the case a person must be told about.</summary>
    [JsonIgnore]
    public bool Degraded => Mode != EnforcementKind.Kernel;

    internal string? Problem() =>
        Reason is { Length: > AgentRecord.MaxText } ? $"\"enforcement.reason\" is longer than {AgentRecord.MaxText} characters"
        : PinRoot is { Length: > AgentRecord.MaxText } ? $"\"enforcement.pinRoot\" is longer than {AgentRecord.MaxText} characters"
        : null;
}

public enum EnforcementKind
{
    None,
    Kernel,
    /// <summary>Best effort: the kill comes after the event.</summary>
    UserSpace,
}

/// <summary>A container the agent met (first sight) or whose state changed.</summary>
public sealed record ContainerRecord : AgentRecord
{
    public required string Id { get; init; }
    /// <summary>The node it runs on (a <see cref="HostRecord.Name"/>).</summary>
    public required string Host { get; init; }
    /// <summary>The workload identity it belongs to (namespace/name, or a name folded from replicas).</summary>
    public required string Workload { get; init; }
    public required string Image { get; init; }
    public string? ImageDigest { get; init; }
    [JsonConverter(typeof(WireEnumConverter<ContainerState>))]
    public ContainerState State { get; init; } = ContainerState.Running;
    /// <summary>Reachable from outside (from the network model).</summary>
    public bool Exposed { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? Time { get; init; }

    internal override string? Problem() =>
        NonEmpty(Id, "id") ?? NonEmpty(Host, "host") ?? NonEmpty(Workload, "workload") ?? NonEmpty(Image, "image") ?? Bounded(ImageDigest, "imageDigest");
}

public enum ContainerState
{
    Running,
    Paused,
    Exited,
}

/// <summary>A kernel event of a container: an exec, a file opened, a connection.</summary>
public sealed record EventRecord : AgentRecord
{
    /// <summary><c>exec</c>, <c>file</c>, <c>network</c>, …</summary>
    public required string Kind { get; init; }
    /// <summary>When the kernel saw it.</summary>
    public required DateTimeOffset Time { get; init; }
    public required string ContainerId { get; init; }
    public required string Workload { get; init; }
    /// <summary>The executed or opened file, or the peer (<c>address:port</c>).</summary>
    public string? Path { get; init; }
    /// <summary>The process's executable.</summary>
    public string? Process { get; init; }
    public int? Pid { get; init; }

    internal override string? Problem() =>
        NonEmpty(Kind, "kind") ?? NonEmpty(ContainerId, "containerId") ?? NonEmpty(Workload, "workload") ?? Bounded(Path, "path") ?? Bounded(Process, "process");
}

/// <summary>An alert the agent raised, and what it already did about it.</summary>
public sealed record AlertRecord : AgentRecord
{
    /// <summary>Unique per agent: the server stores an alert once whatever batch brings it again.</summary>
    public required string Id { get; init; }
    public required string Rule { get; init; }
    [JsonConverter(typeof(WireEnumConverter<AlertSeverity>))]
    public required AlertSeverity Severity { get; init; }
    /// <summary>The offending kernel event's time (the seed's time to detect starts there).</summary>
    public required DateTimeOffset EventTime { get; init; }
    public required string ContainerId { get; init; }
    public required string Workload { get; init; }
    /// <summary>When the agent raised it (default: when the server received it).</summary>
    public DateTimeOffset? Time { get; init; }
    [JsonConverter(typeof(WireEnumConverter<AlertResponse>))]
    public AlertResponse Action { get; init; } = AlertResponse.None;
    /// <summary>When the action took effect: the kernel event's time for a kernel block, the kill's time for a user-space one.</summary>
    public DateTimeOffset? ActionTime { get; init; }
    /// <summary>Where a block or kill was carried out; a user-space one is best effort.</summary>
    [JsonConverter(typeof(WireEnumConverter<EnforcementKind>))]
    public EnforcementKind? Enforcement { get; init; }
    /// <summary>The alert's sentence (Falco's <c>output</c>).</summary>
    public string? Output { get; init; }
    /// <summary>A rule's alert for behaviour the workload's profile already holds (absent: new behaviour).</summary>
    public bool? Learned { get; init; }

    internal override string? Problem() =>
        NonEmpty(Id, "id") ?? NonEmpty(Rule, "rule") ?? NonEmpty(ContainerId, "containerId") ?? NonEmpty(Workload, "workload");
}

public enum AlertSeverity
{
    Critical,
    High,
    Medium,
    Low,
    Info,
}

/// <summary>
/// What the agent did about an alert. Only <see cref="Blocked"/> (the kernel confirmed it) and <see cref="Killed"/>
/// (a user-space kill that landed, best effort) stopped the offending process; <see cref="Detected"/> (a block verdict
/// nothing carried out) and <see cref="KillFailed"/> (the process was gone before the kill) did not.
/// </summary>
public enum AlertResponse
{
    /// <summary>Alerted only (Learn, Monitor, a rule).</summary>
    None,
    Detected,
    Blocked,
    Killed,
    KillFailed,
    Paused,
    Quarantined,
}

/// <summary>A workload's learned behaviour and its mode: sent on every mode change, when its last container goes, and at the agent's exit.</summary>
public sealed record ProfileRecord : AgentRecord
{
    public required string Workload { get; init; }
    [JsonConverter(typeof(WireEnumConverter<WorkloadMode>))]
    public required WorkloadMode Mode { get; init; }
    public required ProfileModel Profile { get; init; }
    public DateTimeOffset? Time { get; init; }

    internal override string? Problem() => NonEmpty(Workload, "workload");
}

public enum WorkloadMode
{
    Learn,
    Monitor,
    Protect,
}

/// <summary>
/// A learned profile as the server reads it: the executables the workload may run, the files it may open (exact, or a
/// tree with a trailing <c>/</c> or <c>/**</c>) and the peers it talks to.
/// </summary>
public sealed record ProfileModel
{
    public string? ImageDigest { get; init; }
    public IReadOnlyList<string> Exec { get; init; } = [];
    public IReadOnlyList<string> Files { get; init; } = [];
    public IReadOnlyList<ProfileFlow> Network { get; init; } = [];
    public IReadOnlyList<string> Syscalls { get; init; } = [];
}

/// <summary>One learned flow: to a workload name or an address, on a port (none: any).</summary>
public sealed record ProfileFlow(string? To = null, int? Port = null)
{
    public string Protocol { get; init; } = "tcp";
}
