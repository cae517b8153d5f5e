using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZeroDrift.Runtime.Alerts;

namespace ZeroDrift.Runtime.Tests.Alerts;

public sealed class AlertSinkTests
{
    private const string Alert = """{"time":"2026-11-29T05:00:00.000000000Z","rule":"Terminal shell in container","priority":"Warning","output":"shell","output_fields":{},"source":"syscall","tags":["T1059"],"hostname":"h"}""";

    [Fact]
    public async Task A_file_sink_appends_json_lines_readable_only_by_its_owner()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "alerts.jsonl");
        await using (var sink = WriterAlertSink.File(path))
        {
            sink.Publish(Alert);
            sink.Publish(Alert.Replace("Warning", "Critical", StringComparison.Ordinal));
            // Visible before the sink closes: a tail -f sees alerts as they come.
            Assert.Equal(2, File.ReadAllLines(path).Length);
            Assert.Equal(2, sink.Stats.Delivered);
        }
        await using (var again = WriterAlertSink.File(path)) again.Publish(Alert);
        Assert.Equal(3, File.ReadAllLines(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_webhook_receives_each_alert_and_a_failing_receiver_is_retried()
    {
        using var server = new LocalHttpServer(failFirst: 2);
        using var http = new HttpClient();
        var sink = new WebhookAlertSink(server.Url, http, firstBackoff: TimeSpan.FromMilliseconds(20));
        Assert.True(sink.Publish(Alert));
        Assert.True(sink.Publish(Alert.Replace("shell", "second", StringComparison.Ordinal)));
        await sink.DisposeAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(new AlertSinkStats(2, 0, 0), sink.Stats);
        Assert.Equal(2, server.Bodies.Count);
        Assert.Contains(server.Bodies, b => b.Contains("second", StringComparison.Ordinal));
        Assert.All(server.ContentTypes, t => Assert.StartsWith("application/json", t));
        Assert.True(server.Requests >= 4, $"{server.Requests} requests: the two 503s were not retried");
    }

    [Fact]
    public async Task A_full_queue_drops_the_oldest_and_counts_it_and_an_unreachable_receiver_counts_failures()
    {
        // A port nothing listens on: every attempt is refused.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var http = new HttpClient();
        var sink = new WebhookAlertSink(new Uri($"http://127.0.0.1:{port}/alerts"), http, capacity: 2, maxAttempts: 2, firstBackoff: TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 20; i++) sink.Publish(Alert);
        await sink.DisposeAsync(TimeSpan.FromSeconds(10));
        var stats = sink.Stats;
        Assert.Equal(0, stats.Delivered);
        Assert.True(stats.Dropped >= 15, $"dropped {stats.Dropped}");
        Assert.True(stats.Failed >= 1, $"failed {stats.Failed}");
    }

    [Fact]
    public async Task Syslog_gets_rfc5424_with_the_alerts_priority()
    {
        using var collector = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var sink = SyslogAlertSink.Udp((IPEndPoint)collector.Client.LocalEndPoint!);
        sink.Publish(Alert.Replace("Warning", "Critical", StringComparison.Ordinal));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await collector.ReceiveAsync(timeout.Token);
        var message = Encoding.UTF8.GetString(received.Buffer);
        // local0 (16) * 8 + critical (2) = 130, version 1.
        Assert.StartsWith("<130>1 ", message);
        Assert.Contains(" zerodrift ", message);
        Assert.EndsWith(Alert.Replace("Warning", "Critical", StringComparison.Ordinal), message);
        Assert.Equal(4, SyslogAlertSink.Severity("not json"));
    }

    /// <summary>A real HTTP listener on loopback that answers 503 to its first requests.</summary>
    private sealed class LocalHttpServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly int _failFirst;
        private int _requests;

        public LocalHttpServer(int failFirst)
        {
            _failFirst = failFirst;
            var port = FreePort();
            Url = new Uri($"http://127.0.0.1:{port}/alerts/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public Uri Url { get; }
        public ConcurrentBag<string> Bodies { get; } = [];
        public ConcurrentBag<string> ContentTypes { get; } = [];
        public int Requests => Volatile.Read(ref _requests);

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var n = Interlocked.Increment(ref _requests);
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                if (n <= _failFirst)
                {
                    context.Response.StatusCode = 503;
                }
                else
                {
                    Bodies.Add(body);
                    ContentTypes.Add(context.Request.ContentType ?? "");
                    context.Response.StatusCode = 204;
                }
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }
}
