using Xunit.Abstractions;
using NATS.Client.Core;
using Npgsql;
using ZeroDrift.Server.Client;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// Two <c>zerodrift server --nats</c> replicas behind one JetStream stream, sharing one PostgreSQL: one is killed
/// (SIGKILL) mid-stream, an agent resends some batches, and every event is stored exactly once.
/// </summary>
public sealed class NatsReplicaTests(ITestOutputHelper output)
{
    private const int Batches = 240, EventsPerBatch = 250;

    [Fact]
    public async Task Two_replicas_lose_and_duplicate_nothing_when_one_is_killed_mid_stream()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PostgresServer.StartAsync();
        var db = await postgres.CreateDatabaseAsync();
        // The first replica makes the stream and the durable consumer, then goes: the whole stream is published
        // with no replica running, so that the next one starts with a backlog it cannot have stored already.
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url });
        var js = new NATS.Client.JetStream.NatsJSContext(connection);
        using (var first = new ServerProcess("--db", db, "--nats", nats.Url))
        {
            var madeDeadline = DateTime.UtcNow.AddSeconds(60);
            while (!await ConsumerExistsAsync(js) && DateTime.UtcNow < madeDeadline) await Task.Delay(50);
            first.Kill();
        }
        await using var publisher = new NatsAgentPublisher(connection, "node-1");
        await using var data = NpgsqlDataSource.Create(db);
        async Task<long> Count(string table) { await using var c = data.CreateCommand($"SELECT COUNT(*) FROM {table}"); return (long)(await c.ExecuteScalarAsync())!; }
        for (var i = 0; i < Batches; i++) Assert.True(await PublishAsync(publisher, i));

        // Replica A is SIGKILLed as soon as storing has begun: it dies holding fetched, unacknowledged batches,
        // which JetStream must redeliver to B.
        using var a = new ServerProcess("--db", db, "--nats", nats.Url);
        var killDeadline = DateTime.UtcNow.AddSeconds(60);
        while (await Count("agent_batches") == 0 && DateTime.UtcNow < killDeadline) await Task.Delay(5);
        a.Kill();
        var storedAtKill = await Count("agent_batches");
        Assert.InRange(storedAtKill, 1, Batches - 1);
        using var b = new ServerProcess("--db", db, "--nats", nats.Url);
        b.WaitHealthy();
        // An agent that did not hear back resends: JetStream's duplicate window drops these; the store would too.
        for (var i = 0; i < 20; i++) Assert.False(await PublishAsync(publisher, i));

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (await Count("agent_batches") < Batches && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(Batches, await Count("agent_batches"));
        Assert.Equal((long)Batches * EventsPerBatch, await Count("events"));
        await using var distinct = data.CreateCommand("SELECT COUNT(DISTINCT detail) FROM events");
        Assert.Equal((long)Batches * EventsPerBatch, (long)(await distinct.ExecuteScalarAsync())!);
        var consumer = await js.GetConsumerAsync(NatsAgentPublisher.Stream, "zerodrift-server");
        output.WriteLine($"stored when A was killed: {storedAtKill} of {Batches}; pending: {consumer.Info.NumPending}, ack pending: {consumer.Info.NumAckPending}");
        Assert.Equal(0, consumer.Info.NumAckPending);
        // Replica B received batches A had fetched and never acknowledged: the kill really was mid-stream.
        using var client = b.Client();
        var login = await (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, "/api/v1/login", new { name = "admin", password = ServerProcess.Password })).Content.ReadAsStringAsync();
        Assert.Contains("csrf", login, StringComparison.Ordinal);
        var metrics = await client.GetStringAsync("/metrics");
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("zerodrift_ingested_total{kind=\"redelivered_batches\"}", StringComparison.Ordinal));
        output.WriteLine(line ?? "no redelivered batches");
        Assert.NotNull(line);
        Assert.True(long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    private static async Task<bool> ConsumerExistsAsync(NATS.Client.JetStream.NatsJSContext js)
    {
        try
        {
            await js.GetConsumerAsync(NatsAgentPublisher.Stream, "zerodrift-server");
            return true;
        }
        catch (NATS.Client.JetStream.NatsJSApiException)
        {
            return false;
        }
    }

    private static Task<bool> PublishAsync(NatsAgentPublisher publisher, int batch) =>
        publisher.PublishAsync($"batch-{batch}", [.. Enumerable.Range(0, EventsPerBatch).Select(e => new EventRecord
        {
            Kind = "exec", Time = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000 + batch * EventsPerBatch + e), ContainerId = "c1", Workload = "shop/web",
            Path = "/usr/bin/node", Pid = batch * EventsPerBatch + e,
        })]);
}
