using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Server.Client;
using SensorContainer = ZeroDrift.Sensor.Attribution.ContainerInfo;

namespace ZeroDrift.Agent;

/// <summary>
/// The records the loop and the alert publisher send the server (docs/server.md, "Agent channel"), one method per
/// kind, built by <see cref="ServerRecords"/> and handed to <paramref name="send"/> (the channel's bounded queue).
/// The node's registration goes through <see cref="HostRegistration"/>. Thread-safe: the loop and the alert publisher call it.
/// </summary>
public sealed class AgentUplink(Action<AgentRecord> send, string hostname, TimeProvider? clock = null)
{
    private DateTimeOffset Now => (clock ?? TimeProvider.System).GetUtcNow();

    /// <summary>A container of a workload, at first sight.</summary>
    public void Container(SensorContainer container, WorkloadIdentity identity) => send(ServerRecords.Container(container, identity, hostname, Now));

    /// <summary>An exec, file or network event of a container's process.</summary>
    public void Event(string kind, SensorContainer container, WorkloadIdentity identity, DateTimeOffset at, string path, TrackedProcess process) =>
        send(ServerRecords.Event(kind, container, identity, at, path, process));

    /// <summary>A workload's profile: on every mode change, when its last container is gone, and at exit.</summary>
    public void Profile(WorkloadIdentity identity, BehaviourProfile profile) => send(ServerRecords.Profile(identity, profile, Now));

    /// <summary>An alert and what was done about it (<see cref="ServerRecords.Alert"/>).</summary>
    public void Alert(Alert alert, AlertContext context, long sequence) =>
        send(ServerRecords.Alert(alert, context, $"{Environment.ProcessId}-{alert.UnixTimeNanoseconds}-{sequence}", Now));
}
