using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ZeroDrift.Server.Client;

/// <summary>
/// The agent's side of the agent channel (docs/server.md, "Agent channel"): records (events, alerts, profiles,
/// container and host inventory as JSON objects with a <c>type</c>) wait in a bounded local queue and leave in
/// NDJSON batches to <c>POST /api/v1/agent/batches</c>. Each batch carries an id; a batch whose answer was lost is
/// sent again with the same id and the server stores it once, so a server that goes away loses nothing and
/// duplicates nothing. When the queue is full, <see cref="TryEnqueue"/> refuses (and counts) rather than grow
/// without bound; <see cref="EnqueueAsync"/> waits for room.
/// </summary>
public sealed class AgentChannel : IAsyncDisposable
{
    private readonly ServerConnection _connection;
    private readonly string _agent;
    private readonly Channel<JsonObject> _queue;
    private readonly int _batchSize;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private long _refused;
    private long _sent;
    private long _retries;

    public AgentChannel(ServerConnection connection, string agentName, int capacity = 100_000, int batchSize = 2_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _connection = connection;
        _agent = agentName;
        _batchSize = batchSize;
        _queue = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _http = connection.CreateHttpClient(TimeSpan.FromSeconds(30));
        _sender = Task.Run(SendLoopAsync);
    }

    public long Refused => Interlocked.Read(ref _refused);
    public long Sent => Interlocked.Read(ref _sent);
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Commands the server dispatched to this agent (kill, pause, set-mode, quarantine), seen on each batch answer.</summary>
    public event Action<JsonObject>? CommandReceived;

    public bool TryEnqueue(JsonObject record)
    {
        Validate(record);
        if (_queue.Writer.TryWrite(record)) return true;
        Interlocked.Increment(ref _refused);
        return false;
    }

    public ValueTask EnqueueAsync(JsonObject record, CancellationToken cancellationToken = default)
    {
        Validate(record);
        return _queue.Writer.WriteAsync(record, cancellationToken);
    }

    private static void Validate(JsonObject record)
    {
        if (record["type"]?.GetValue<string>() is not ("event" or "alert" or "profile" or "container" or "host"))
            throw new ArgumentException("an agent record needs \"type\": event, alert, profile, container or host", nameof(record));
    }

    /// <summary>Sends what is queued, then stops; waits at most <paramref name="timeout"/> for a server that is away.</summary>
    public async Task FlushAndStopAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        var finished = await Task.WhenAny(_sender, Task.Delay(timeout)).ConfigureAwait(false);
        if (finished != _sender) await _stop.CancelAsync().ConfigureAwait(false);
        try { await _sender.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    /// <summary>A refusal that retrying cannot fix (a revoked token, a record the server rejects) stops the channel:
    /// the error comes out of <see cref="FlushAndStopAsync"/>, and enqueueing throws instead of waiting forever.</summary>
    private async Task SendLoopAsync()
    {
        try
        {
            await SendBatchesAsync().ConfigureAwait(false);
        }
        catch (ServerClientException e)
        {
            _queue.Writer.TryComplete(e);
            throw;
        }
    }

    private async Task SendBatchesAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<JsonObject>(_batchSize);
        while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
        {
            while (batch.Count < _batchSize && reader.TryRead(out var record)) batch.Add(record);
            var body = Serialize(batch);
            var batchId = Guid.NewGuid().ToString("N");
            await SendWithRetryAsync(batchId, body).ConfigureAwait(false);
            Interlocked.Add(ref _sent, batch.Count);
            batch.Clear();
        }
    }

    /// <summary>Straight to UTF-8 (no intermediate strings): the agent's CPU belongs to the workloads it watches.</summary>
    private static byte[] Serialize(List<JsonObject> batch)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(batch.Count * 256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            foreach (var record in batch)
            {
                record.WriteTo(writer);
                writer.Flush();
                System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
                writer.Reset();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Retries with capped exponential backoff until the server takes the batch; 4xx other than 408/429 is final.</summary>
    private async Task SendWithRetryAsync(string batchId, byte[] body)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            _stop.Token.ThrowIfCancellationRequested();
            try
            {
                // HTTP/2 when the server offers it (ALPN): the agent's batches share one long-lived, multiplexed connection.
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/agent/batches") { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
                request.Headers.Add("X-ZeroDrift-Agent", _agent);
                request.Headers.Add("X-ZeroDrift-Batch", batchId);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await _http.SendAsync(request, _stop.Token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(_stop.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    DeliverCommands(text);
                    return;
                }
                var code = (int)response.StatusCode;
                if (code is >= 400 and < 500 and not 408 and not 429)
                    throw new ServerClientException($"the server refused a batch: {ScanUploader.Describe(response.StatusCode, text)}");
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested) { }
            Interlocked.Increment(ref _retries);
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
        }
    }

    private void DeliverCommands(string text)
    {
        if (CommandReceived is null || text.Length == 0) return;
        if (JsonNode.Parse(text) is JsonObject answer && answer["commands"] is JsonArray commands)
            foreach (var command in commands.OfType<JsonObject>()) CommandReceived(command);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _sender.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (ServerClientException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
