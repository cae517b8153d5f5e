using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZeroDrift.Server.Client;

/// <summary>The server's answer to a batch: how many records it took, whether it had the batch already, and the agent's pending commands.</summary>
public sealed record BatchAnswer(int Accepted, bool Duplicate, IReadOnlyList<ServerCommand> Commands);

/// <summary>
/// A command for one agent: <c>kill</c> and <c>pause</c> (target: a container id), <c>set-mode</c> (target: a workload;
/// payload <see cref="SetModePayload"/>), <c>quarantine</c> (target: a workload; payload: the NetworkPolicy). Handed
/// out with every batch answer until the agent reports it with a <see cref="CommandOutcome"/>.
/// </summary>
public sealed record ServerCommand(long Id, string Kind, string Target, JsonElement Payload);

/// <summary>The payload of a <c>set-mode</c> command.</summary>
public sealed record SetModePayload(string Workload, [property: JsonConverter(typeof(WireEnumConverter<WorkloadMode>))] WorkloadMode Mode);

/// <summary>What the agent reports for a command: <c>done</c> or <c>failed</c>.</summary>
public sealed record CommandOutcome(string? Outcome);
