using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace ZeroDrift.Server.Client;

/// <summary>
/// The agent's side of the agent channel (docs/server.md, "Agent channel"): records (<see cref="AgentRecord"/>: events,
/// alerts, profiles, container and host inventory) wait in a bounded local queue and leave in NDJSON batches to <c>POST /api/v1/agent/batches</c>. Each batch carries an id; a batch whose answer was lost is
/// sent again with the same id and the server stores it once, so a server that goes away loses nothing and
/// duplicates nothing. When the queue is full, <see cref="TryEnqueue"/> refuses (and counts) rather than grow
/// without bound; <see cref="EnqueueAsync"/> waits for room.
/// </summary>
public sealed class AgentChannel : IAsyncDisposable
{
    private readonly ServerConnection _connection;
    private readonly string _agent;
    private readonly Channel<AgentRecord> _queue;
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
        _queue = Channel.CreateBounded<AgentRecord>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _http = connection.CreateHttpClient(TimeSpan.FromSeconds(30));
        _sender = Task.Run(SendLoopAsync);
    }

    public long Refused => Interlocked.Read(ref _refused);
    public long Sent => Interlocked.Read(ref _sent);
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Commands the server dispatched to this agent (kill, pause, set-mode, quarantine), seen on each batch answer.</summary>
    public event Action<ServerCommand>? CommandReceived;

    public bool TryEnqueue(AgentRecord record)
    {
        if (_queue.Writer.TryWrite(record)) return true;
        Interlocked.Increment(ref _refused);
        return false;
    }

    public ValueTask EnqueueAsync(AgentRecord record, CancellationToken cancellationToken = default) => _queue.Writer.WriteAsync(record, cancellationToken);

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
        var batch = new List<AgentRecord>(_batchSize);
        while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
        {
            while (batch.Count < _batchSize && reader.TryRead(out var record)) batch.Add(record);
            var body = AgentRecordCodec.ToNdjson(batch);
            var batchId = Guid.NewGuid().ToString("N");
            await SendWithRetryAsync(batchId, body).ConfigureAwait(false);
            Interlocked.Add(ref _sent, batch.Count);
            batch.Clear();
        }
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
        BatchAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize(text, AgentRecordJson.Default.BatchAnswer);
        }
        catch (JsonException e)
        {
            // The batch landed (2xx); an answer this agent cannot read loses its commands, which are handed out again.
            throw new ServerClientException($"the server's answer to a batch is not a batch answer: {e.Message}");
        }
        foreach (var command in answer?.Commands ?? []) CommandReceived(command);
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
