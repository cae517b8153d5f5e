using System.Diagnostics;
using System.Text;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>The real <c>zerodrift server</c> as a child process on a free loopback port, with its own data directory.</summary>
internal sealed class ServerProcess : IDisposable
{
    public const string Password = "end-to-end-admin-password";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    public TempDir Dir { get; } = new();
    public int Port { get; } = RegistryServer.FreePort();
    public string Url => $"https://127.0.0.1:{Port}";
    public string Certificate => Dir.Combine("tls/server.crt");

    public ServerProcess(params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"), "server", "--listen", Url, "--data-dir", Dir.Path }.Concat(extra)) start.ArgumentList.Add(a);
        start.Environment["ZERODRIFT_ADMIN_PASSWORD"] = Password;
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public void WaitHealthy() => Client().Dispose();

    public HttpClient Client()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(Certificate) && DateTime.UtcNow < deadline && !_process.HasExited) Thread.Sleep(100);
        using var pinned = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Certificate));
        var thumbprint = pinned.GetCertHashString();
        var handler = new SocketsHttpHandler { UseCookies = true };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == thumbprint;
        var client = new HttpClient(handler) { BaseAddress = new Uri(Url) };
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if (client.GetAsync("/healthz").Result.IsSuccessStatusCode) return client;
            }
            catch (AggregateException) { }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"zerodrift server did not become healthy: {Log}");
    }

    /// <summary>SIGKILL: no shutdown, no flush, no acknowledgement of what it holds.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        Dir.Dispose();
    }
}
