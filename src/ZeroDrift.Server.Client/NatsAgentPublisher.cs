using NATS.Client.Core;
using NATS.Client.JetStream;

namespace ZeroDrift.Server.Client;

/// <summary>
/// The agent channel at scale (docs/server.md, "NATS JetStream"): a batch of <see cref="AgentRecord"/>s, as the same NDJSON the
/// HTTP channel takes, published to <c>zerodrift.agent.AGENT</c> with the batch id as <c>Nats-Msg-Id</c>.
/// JetStream keeps it until a server replica has stored it and acknowledged; the id lets both JetStream (within
/// its duplicate window) and the server (always) store a resent batch once.
/// </summary>
public sealed class NatsAgentPublisher(INatsConnection connection, string agent) : IAsyncDisposable
{
    public const string Stream = "ZERODRIFT_AGENTS";
    public const string SubjectPrefix = "zerodrift.agent.";
    private readonly NatsJSContext _js = new((NatsConnection)connection);

    public static string Subject(string agent)
    {
        if (agent.Length == 0 || agent.Any(c => c is '.' or '*' or '>' || char.IsWhiteSpace(c)))
            throw new ArgumentException("an agent name for NATS has no dots, wildcards or spaces", nameof(agent));
        return SubjectPrefix + agent;
    }

    /// <summary>Publishes one batch; returns false when JetStream already had this batch id.</summary>
    public async Task<bool> PublishAsync(string batchId, IReadOnlyCollection<AgentRecord> records, CancellationToken ct = default)
    {
        var ack = await _js.PublishAsync(Subject(agent), AgentRecordCodec.ToNdjson(records), opts: new NatsJSPubOpts { MsgId = batchId }, cancellationToken: ct).ConfigureAwait(false);
        if (ack.Duplicate) return false;
        ack.EnsureSuccess();
        return true;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
