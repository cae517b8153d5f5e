using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroDrift.TestSupport;

/// <summary>
/// A real registry (Debian's <c>docker-registry</c>, the CNCF distribution server) on 127.0.0.1 and a free port,
/// with its own config and storage in a temporary folder; killed and removed on dispose.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public TempDir Dir { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public bool Tls { get; }
    public string StorageRoot => Dir.Combine("storage");

    private RegistryServer(TempDir dir, int port, bool tls, Process process)
    {
        Dir = dir;
        Port = port;
        Tls = tls;
        _process = process;
    }

    /// <param name="extraConfig">YAML appended at the top level (auth, …); <paramref name="tls"/> adds http.tls.</param>
    public static async Task<RegistryServer> StartAsync(string? extraConfig = null, (string Cert, string Key)? tls = null)
    {
        // The free port is found before the registry binds it: another process may take it in between; retry then.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(extraConfig, tls).ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) { }
        }
    }

    private static async Task<RegistryServer> TryStartAsync(string? extraConfig, (string Cert, string Key)? tls)
    {
        var dir = new TempDir();
        var port = FreePort();
        var config = $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {dir.Combine("storage")}
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: zerodrift-test-secret
            """;
        if (tls is { } t)
            config += $"\n  tls:\n    certificate: {t.Cert}\n    key: {t.Key}";
        if (extraConfig is not null) config += "\n" + extraConfig;
        var configPath = dir.File("config.yml", config + "\n");
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException("docker-registry did not start");
        var server = new RegistryServer(dir, port, tls is not null, process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output into the log
                throw new InvalidOperationException($"docker-registry exited ({_process.ExitCode}): {Log}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
        throw new TimeoutException($"docker-registry did not listen on {Port}: {Log}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Where the registry keeps a blob (filesystem driver layout).</summary>
    public string BlobPath(string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(StorageRoot, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        Dir.Dispose();
    }
}
