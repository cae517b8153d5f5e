using System.Globalization;
using System.Text.Json.Nodes;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Agent;

/// <summary>
/// Every record the agent sends the server (docs/server.md, "Agent channel"), one method per kind, handed to
/// <paramref name="send"/> (the channel's bounded queue). Thread-safe: the loop and the alert publisher call it.
/// </summary>
public sealed class AgentUplink(Action<JsonObject> send, string hostname)
{
    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The agent's host, once at start.</summary>
    public void Host(string kernel, string agent) =>
        send(new JsonObject { ["type"] = "host", ["name"] = hostname, ["kernel"] = kernel, ["agent"] = agent });

    /// <summary>A container of a workload, at first sight.</summary>
    public void Container(string id, WorkloadIdentity identity, string? image) => send(new JsonObject
    {
        ["type"] = "container", ["id"] = id, ["host"] = hostname, ["workload"] = identity.Workload,
        ["image"] = image ?? identity.ImageDigest, ["imageDigest"] = identity.ImageDigest, ["state"] = "running", ["time"] = Now(),
    });

    /// <summary>An exec, file or network event of a container.</summary>
    public void Event(string kind, DateTimeOffset at, string containerId, string workload, string path, string process, int pid) => send(new JsonObject
    {
        ["type"] = "event", ["kind"] = kind, ["time"] = at.ToString("O", CultureInfo.InvariantCulture),
        ["containerId"] = containerId, ["workload"] = workload, ["path"] = path, ["process"] = process, ["pid"] = pid,
    });

    /// <summary>A workload's profile: on every mode change, when its last container is gone, and at exit.</summary>
    public void Profile(WorkloadIdentity identity, BehaviourProfile profile)
    {
        var network = new JsonArray();
        foreach (var n in profile.Network.Where(n => n.Direction == NetworkDirection.Egress))
            network.Add(new JsonObject { ["to"] = n.PeerWorkload ?? n.Peer, ["port"] = n.Port, ["protocol"] = n.Protocol });
        send(new JsonObject
        {
            ["type"] = "profile", ["workload"] = identity.Workload, ["mode"] = profile.Mode.ToString().ToLowerInvariant(), ["time"] = Now(),
            ["profile"] = new JsonObject
            {
                ["imageDigest"] = identity.ImageDigest,
                ["exec"] = new JsonArray([.. profile.Processes.Select(p => (JsonNode)JsonValue.Create(p.Executable)!).DistinctBy(n => n.GetValue<string>())]),
                ["files"] = new JsonArray([.. profile.Files.Select(f => (JsonNode)JsonValue.Create(f.Path)!)]),
                ["network"] = network,
                ["syscalls"] = new JsonArray([.. profile.Syscalls.Select(s => (JsonNode)JsonValue.Create(s)!)]),
            },
        });
    }

    /// <summary>An alert (severity from its priority; action <c>blocked</c> and <c>killed</c> as confirmed, else <c>none</c>).</summary>
    public void Alert(Alert alert, AlertContext c, long sequence)
    {
        var record = new JsonObject
        {
            ["type"] = "alert",
            ["id"] = $"{Environment.ProcessId}-{alert.UnixTimeNanoseconds}-{sequence}",
            ["rule"] = alert.Rule,
            ["severity"] = alert.Priority switch
            {
                Priority.Emergency or Priority.Alert or Priority.Critical => "critical",
                Priority.Error => "high",
                Priority.Warning => "medium",
                Priority.Notice => "low",
                _ => "info",
            },
            ["eventTime"] = alert.Time,
            ["time"] = Now(),
            ["containerId"] = c.ContainerId ?? "host",
            ["workload"] = c.Workload ?? "host",
            ["action"] = c.Action switch { AlertAction.Blocked => "blocked", AlertAction.Killed => "killed", _ => "none" },
            ["output"] = alert.Output,
        };
        if (c.Action is AlertAction.Blocked or AlertAction.Killed) record["actionTime"] = Now();
        send(record);
    }
}
