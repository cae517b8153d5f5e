using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Server.Client;
using SensorContainer = ZeroDrift.Sensor.Attribution.ContainerInfo;

namespace ZeroDrift.Agent;

/// <summary>
/// Every record the agent sends the server (docs/server.md, "Agent channel"), one method per kind, built from the
/// agent's own types into the channel's typed records.
/// </summary>
public static class ServerRecords
{
    /// <summary>The agent's name and version, as registrations carry it.</summary>
    public static readonly string AgentVersion = $"zerodrift {typeof(ServerRecords).Assembly.GetName().Version?.ToString(3) ?? "0"}";

    /// <summary>The node's registration: sent at start and again whenever its enforcement changes (<see cref="HostRegistration"/>).</summary>
    public static HostRecord Host(string hostname, AgentEnforcement enforcement, DateTimeOffset now) => new()
    {
        Name = hostname, Time = now, Kernel = Environment.OSVersion.VersionString, Agent = AgentVersion, Enforcement = enforcement,
    };

    /// <summary>A container at first sight.</summary>
    public static ContainerRecord Container(SensorContainer container, WorkloadIdentity identity, string hostname, DateTimeOffset now) => new()
    {
        Id = container.Id, Host = hostname, Workload = identity.Workload, Image = container.Image ?? identity.ImageDigest, ImageDigest = identity.ImageDigest,
        State = ZeroDrift.Server.Client.ContainerState.Running, Time = now,
    };

    /// <summary>An exec, file or network event of a container's process.</summary>
    public static EventRecord Event(string kind, SensorContainer container, WorkloadIdentity identity, DateTimeOffset at, string path, TrackedProcess process) => new()
    {
        Kind = kind, Time = at, ContainerId = container.Id, Workload = identity.Workload, Path = path, Process = process.Info.ExePath, Pid = process.Pid,
    };

    /// <summary>A workload's profile: what the server reads of it (executables, files, egress peers, syscalls).</summary>
    public static ProfileRecord Profile(WorkloadIdentity identity, BehaviourProfile profile, DateTimeOffset now) => new()
    {
        Workload = identity.Workload,
        Mode = Mode(profile.Mode),
        Time = now,
        Profile = new ProfileModel
        {
            ImageDigest = identity.ImageDigest,
            Exec = [.. profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal)],
            Files = [.. profile.Files.Select(f => f.Path)],
            Network = [.. profile.Network.Where(n => n.Direction == NetworkDirection.Egress).Select(n => new ProfileFlow(n.PeerWorkload ?? n.Peer, n.Port) { Protocol = n.Protocol })],
            Syscalls = [.. profile.Syscalls],
        },
    };

    /// <summary>
    /// An alert and what was done about it. Only a block the kernel confirmed is <c>blocked</c> and only a kill that
    /// landed is <c>killed</c>; the action's time is when it took effect, measured by the agent from the kernel event.
    /// </summary>
    public static AlertRecord Alert(Alert alert, AlertContext c, string id, DateTimeOffset now)
    {
        var response = Response(c);
        var acted = response is AlertResponse.Blocked or AlertResponse.Killed;
        return new AlertRecord
        {
            Id = id,
            Rule = alert.Rule,
            Severity = alert.Priority switch
            {
                Priority.Emergency or Priority.Alert or Priority.Critical => AlertSeverity.Critical,
                Priority.Error => AlertSeverity.High,
                Priority.Warning => AlertSeverity.Medium,
                Priority.Notice => AlertSeverity.Low,
                _ => AlertSeverity.Info,
            },
            EventTime = FromUnixNs(alert.UnixTimeNanoseconds),
            Time = now,
            ContainerId = c.ContainerId ?? "host",
            Workload = c.Workload ?? "host",
            Action = response,
            // The block's own time where the agent measured it (0 after the event for a kernel block), else now.
            ActionTime = !acted ? null : c.BlockedAtNs is { } blocked ? FromUnixNs(alert.UnixTimeNanoseconds + Math.Max(0, blocked - c.KernelTimeNs)) : now,
            Enforcement = response is AlertResponse.None || !WireEnumConverter<EnforcementKind>.TryParse(c.Enforcement, out var where) ? null : where,
            Output = alert.Output,
            Learned = c.Learned ? true : null,
        };
    }

    /// <summary>The agent's action as the channel names it: an alert with no verdict (Learn, Monitor, a rule) is
    /// <c>none</c>; a verdict the enforcement did not carry out (it says why) is <c>detected</c>.</summary>
    public static AlertResponse Response(AlertContext c) => c.Action switch
    {
        AlertAction.Detected => c.Response is null ? AlertResponse.None : AlertResponse.Detected,
        AlertAction.Blocked => AlertResponse.Blocked,
        AlertAction.Killed => AlertResponse.Killed,
        AlertAction.KillFailed => AlertResponse.KillFailed,
        _ => AlertResponse.Detected,
    };

    public static WorkloadMode Mode(ProfileMode mode) => mode switch
    {
        ProfileMode.Monitor => WorkloadMode.Monitor,
        ProfileMode.Protect => WorkloadMode.Protect,
        _ => WorkloadMode.Learn,
    };

    private static DateTimeOffset FromUnixNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);
}
