using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Metrics;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>
/// With <c>--nats URL</c>, every replica consumes agent batches from the JetStream stream ZERODRIFT_AGENTS
/// (subjects zerodrift.agent.AGENT) through one shared durable pull consumer, so each batch goes to one replica
/// at a time. A batch is acknowledged only after its transaction committed; a replica killed in between leaves
/// it unacknowledged, JetStream redelivers it (after AckWait) to a replica still running, and the (agent,
/// batch id) claim in the store turns the second delivery of a committed batch into a no-op: nothing lost,
/// nothing twice.
/// </summary>
internal sealed class NatsIngestor(string url, IServerStore store, ServerMetrics metrics, LiveFeed live, TimeProvider clock, ILogger<NatsIngestor> log) : BackgroundService
{
    public const string Durable = "zerodrift-server";
    public static readonly TimeSpan AckWait = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ConsumeAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NatsException or System.Data.Common.DbException or IOException)
            {
                log.LogWarning("NATS consumer: {Message}; retrying in 1 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ConsumeAsync(CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = url, Name = "zerodrift-server" });
        await nats.ConnectAsync().ConfigureAwait(false);
        var js = new NatsJSContext(nats);
        await EnsureStreamAsync(js, ct).ConfigureAwait(false);
        var consumer = await js.CreateOrUpdateConsumerAsync(NatsAgentPublisher.Stream, new ConsumerConfig(Durable)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = AckWait,
            MaxAckPending = 64,
            FilterSubject = NatsAgentPublisher.SubjectPrefix + ">",
        }, ct).ConfigureAwait(false);
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = 16 }, cancellationToken: ct).ConfigureAwait(false))
        {
            var agent = msg.Subject[NatsAgentPublisher.SubjectPrefix.Length..];
            var batchId = msg.Headers?.TryGetValue("Nats-Msg-Id", out var id) == true ? id.ToString() : $"seq-{msg.Metadata?.Sequence.Stream}";
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            // Delivered before and not acknowledged: a replica died or stalled with it (zerodrift_ingested_total{kind="redelivered_batches"}).
            if (msg.Metadata?.NumDelivered > 1) metrics.Ingested("redelivered_batches", 1);
            AgentBatch batch;
            try
            {
                batch = await AgentBatchParser.ParseAsync(new MemoryStream(msg.Data ?? []), now, ct).ConfigureAwait(false);
            }
            catch (IngestException e)
            {
                // A malformed batch never becomes valid: drop it for good rather than redeliver it forever.
                log.LogWarning("NATS batch {Batch} from {Agent} rejected: {Message}", batchId, agent, e.Message);
                metrics.Ingested("rejected_batches", 1);
                await msg.AckTerminateAsync(cancellationToken: ct).ConfigureAwait(false);
                continue;
            }
            var result = await store.IngestAgentBatchAsync(agent, batchId, batch, now, ct).ConfigureAwait(false);
            await msg.AckAsync(cancellationToken: ct).ConfigureAwait(false);
            if (result.Duplicate) metrics.Ingested("duplicate_batches", 1);
            else
            {
                metrics.Ingested("events", batch.Events.Count);
                metrics.Ingested("alerts", result.NewAlerts);
                if (result.NewAlerts > 0) live.Publish("incidents");
                if (batch.Containers.Count + batch.Hosts.Count + batch.Profiles.Count > 0) live.Publish("assets");
            }
        }
    }

    /// <summary>The stream, made by whichever replica (or agent) comes first: file storage, duplicate window of 10 minutes.</summary>
    internal static async Task EnsureStreamAsync(INatsJSContext js, CancellationToken ct)
    {
        var config = new StreamConfig(NatsAgentPublisher.Stream, [NatsAgentPublisher.SubjectPrefix + ">"])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(10),
            Retention = StreamConfigRetention.Limits,
        };
        try
        {
            await js.CreateStreamAsync(config, ct).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == 10058) // stream name already in use
        {
        }
    }
}
