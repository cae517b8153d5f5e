using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroDrift.TestSupport;

/// <summary>Debian's nats-server with JetStream on 127.0.0.1 and a free port, its store in a temporary folder; killed and removed on dispose.</summary>
public sealed class NatsServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nats-server";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TempDir _dir;

    public int Port { get; }
    public string Url => $"nats://127.0.0.1:{Port}";

    private NatsServer(Process process, TempDir dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public static async Task<NatsServer> StartAsync()
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException("nats-server is not installed (apt-get install nats-server)");
        var dir = new TempDir();
        var port = RegistryServer.FreePort();
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-js", "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", dir.Combine("js"), "--http_port", "0" })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
        var server = new NatsServer(process, dir, port);
        process.OutputDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"nats-server exited ({process.ExitCode}): {server.Log}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
        _dir.Dispose();
    }
}
