using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZeroDrift.Sensor.Output;

/// <summary>One container (or the host) the agent has attributed events to.</summary>
public sealed record StatusContainer(ulong CgroupId, string Id, string Runtime, string? Name, string? Image, string? ImageDigest, string? Pod, string? Namespace);

/// <summary>
/// How the agent enforces Protect and what it did so far. <see cref="Mode"/>: <c>kernel</c>, <c>user-space</c> (best
/// effort: a process is killed after its event and may run meanwhile) or <c>none</c>.
/// </summary>
public sealed record StatusEnforcement
{
    public required string Mode { get; init; }
    /// <summary>Why it is not the kernel (null when it is).</summary>
    public string? Reason { get; init; }
    /// <summary>The agent mounted the BPF filesystem its pins live on (none was mounted).</summary>
    public bool MountedBpfFs { get; init; }
    public string? PinRoot { get; init; }
    public int ContainersProtected { get; init; }
    /// <summary>Execs and connections the kernel refused (its own records).</summary>
    public long KernelBlocks { get; init; }
    /// <summary>Processes killed from user space after their event.</summary>
    public long UserSpaceKills { get; init; }
    /// <summary>Where drift prevention applies and how it is carried out (null: not reported).</summary>
    public string? DriftPrevention { get; init; }
}

/// <summary>
/// What a running agent reports about itself (<c>zerodrift agent status</c>): its programs, how it collects syscall
/// results, the events it receives per type and per second, what it lost per type, how full the ring buffer got,
/// the kernel-to-user latency, the containers it knows and how it enforces Protect. Written by the agent to its
/// status file every few seconds whenever it runs (<see cref="AgentStatusWriter"/>), and once more when it stops.
/// </summary>
public sealed record AgentStatus
{
    public int V { get; init; } = 1;
    /// <summary><c>running</c>, or <c>stopped</c> in the file's last version.</summary>
    public required string State { get; init; }
    public required int Pid { get; init; }
    public required DateTime StartedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
    /// <summary>Seconds between updates: a running agent's file older than a few intervals means a hung or killed agent.</summary>
    public required double IntervalSeconds { get; init; }
    public required IReadOnlyList<string> Attached { get; init; }
    /// <summary>Kernel ids of the agent's programs (bpftool prog show), to tell them from another agent's.</summary>
    public IReadOnlyList<uint> ProgramIds { get; init; } = [];
    public required string SyscallExitHook { get; init; }
    public required string PollerScheduling { get; init; }
    public required long RingBufferBytes { get; init; }
    /// <summary>Largest backlog collected in one poll round during the last interval.</summary>
    public required long RingBufferHighWaterBytes { get; init; }
    public required IReadOnlyDictionary<string, long> Received { get; init; }
    public required IReadOnlyDictionary<string, double> PerSecond { get; init; }
    public required IReadOnlyDictionary<string, ulong> Lost { get; init; }
    public required long Malformed { get; init; }
    /// <summary>Kernel-to-user latency since the previous update (0: no record in between).</summary>
    public required double LatencyP99Us { get; init; }
    public required long RssBytes { get; init; }
    public required IReadOnlyList<StatusContainer> Containers { get; init; }
    public required int HostCgroups { get; init; }
    /// <summary>Null in files written before the agent reported its enforcement.</summary>
    public StatusEnforcement? Enforcement { get; init; }

    /// <summary>The size of each structure the agent keeps per container, process and workload (containers,
    /// processes, user tables, …): on a long-lived node each returns to its baseline as containers go.</summary>
    public IReadOnlyDictionary<string, long>? Structures { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentStatus))]
internal sealed partial class AgentStatusJson : JsonSerializerContext;

/// <summary>The status file: replaced atomically (write then rename) so a reader never sees half a file.</summary>
public sealed class StatusFile(string path)
{
    public const string DefaultPath = "/run/zerodrift/agent-status.json";
    private const long MaxBytes = 4 << 20;

    public string Path { get; } = path;

    public void Write(AgentStatus status)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Join(dir, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(status, AgentStatusJson.Default.AgentStatus));
        File.Move(temp, Path, overwrite: true);
    }

    /// <summary>Reads the file; throws <see cref="SensorException"/> with one clear line when it is missing or not a status.</summary>
    public AgentStatus Read()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
            throw new SensorException($"no agent status at {Path}: no agent has run with this status file (zerodrift agent --status-file)");
        if (info.Length > MaxBytes)
            throw new SensorException($"{Path} is not an agent status file (over {MaxBytes >> 20} MiB)");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path), AgentStatusJson.Default.AgentStatus)
                ?? throw new SensorException($"{Path} is not an agent status file");
        }
        catch (JsonException e)
        {
            throw new SensorException($"{Path} is not an agent status file: {e.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new SensorException($"cannot read {Path}: permission denied (the agent's status is readable by root)");
        }
    }
}
