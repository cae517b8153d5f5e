using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;

namespace ZeroDrift.Runtime.Alerts;

/// <summary>
/// Alerts POSTed as JSON to a webhook (Falcosidekick's input, a SIEM, a chat relay). A bounded queue decouples
/// the agent from the receiver: when it is full the oldest alert is dropped and counted, never the agent
/// slowed. Failed deliveries are retried with exponential backoff, then counted as failed.
/// </summary>
public sealed class WebhookAlertSink : IAlertSink
{
    private readonly Channel<string> _queue;
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly int _maxAttempts;
    private readonly TimeSpan _firstBackoff;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private long _delivered, _dropped, _failed;

    public WebhookAlertSink(Uri url, HttpClient http, int capacity = 10_000, int maxAttempts = 5, TimeSpan? firstBackoff = null)
    {
        _url = url;
        _http = http;
        _maxAttempts = maxAttempts;
        _firstBackoff = firstBackoff ?? TimeSpan.FromMilliseconds(200);
        _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _sender = Task.Run(SendAllAsync);
    }

    public string Name => $"webhook:{_url}";

    public AlertSinkStats Stats => new(Interlocked.Read(ref _delivered), Interlocked.Read(ref _dropped), Interlocked.Read(ref _failed));

    public bool Publish(string jsonLine) => _queue.Writer.TryWrite(jsonLine);

    private async Task SendAllAsync()
    {
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                await SendAsync(alert).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(string alert)
    {
        var backoff = _firstBackoff;
        for (var attempt = 1; attempt <= _maxAttempts; attempt++)
        {
            try
            {
                using var content = new StringContent(alert, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await _http.PostAsync(_url, content, _stop.Token).ConfigureAwait(false);
                // 4xx other than 408/429 will not get better by retrying.
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _delivered);
                    return;
                }
                if (status is >= 400 and < 500 and not 408 and not 429) break;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
            {
                // A request timeout: retried like a refused connection.
            }
            if (attempt < _maxAttempts)
            {
                await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                backoff *= 2;
            }
        }
        Interlocked.Increment(ref _failed);
    }

    /// <summary>Delivers what is queued (up to <paramref name="drainTimeout"/>), then stops.</summary>
    public async ValueTask DisposeAsync() => await DisposeAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);

    public async ValueTask DisposeAsync(TimeSpan drainTimeout)
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_sender, Task.Delay(drainTimeout)).ConfigureAwait(false) != _sender) await _stop.CancelAsync().ConfigureAwait(false);
        try { await _sender.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
