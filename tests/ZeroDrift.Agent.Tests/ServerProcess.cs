using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// The real <c>zerodrift server</c> on SQLite in a temp data dir, on a free loopback port with its self-signed
/// certificate; clients pin that certificate. Killed with its process tree on dispose.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    public const string AdminPassword = "agent-tests-admin-password";
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public string Url { get; }

    /// <summary>The self-signed certificate the server wrote into its data dir (for --server-cert / --server-ca).</summary>
    public string Certificate { get; }

    private ServerProcess(string dll, string dataDir)
    {
        Url = $"https://127.0.0.1:{RegistryServer.FreePort()}";
        Certificate = Path.Combine(dataDir, "tls", "server.crt");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "server", "--listen", Url, "--data-dir", dataDir }) start.ArgumentList.Add(a);
        start.Environment["ZERODRIFT_ADMIN_PASSWORD"] = AdminPassword;
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>Starts the server and waits (up to 60 s) until its certificate exists and /healthz answers.</summary>
    public static ServerProcess Start(string dll, string dataDir)
    {
        var server = new ServerProcess(dll, dataDir);
        try
        {
            using var client = server.WaitHealthy();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>An HTTP client that trusts exactly the server's certificate, with a cookie jar for a session.</summary>
    public HttpClient Client()
    {
        using var pinned = X509Certificate2.CreateFromPem(File.ReadAllText(Certificate));
        var thumbprint = pinned.GetCertHashString();
        var handler = new SocketsHttpHandler { UseCookies = true };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == thumbprint;
        return new HttpClient(handler) { BaseAddress = new Uri(Url) };
    }

    /// <summary>A client signed in as the admin, sending the session's CSRF token.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        var client = Client();
        using var response = await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = AdminPassword });
        Assert.True(response.IsSuccessStatusCode, $"login: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var login = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", login.GetProperty("csrf").GetString());
        return client;
    }

    /// <summary>A new token (shown once) with this name and role.</summary>
    public static async Task<string> CreateTokenAsync(HttpClient admin, string name, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { name, role });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private HttpClient WaitHealthy()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(Certificate) && DateTime.UtcNow < deadline && !_process.HasExited) Thread.Sleep(100);
        if (!File.Exists(Certificate)) throw new InvalidOperationException($"zerodrift server wrote no certificate: {Log}");
        var client = Client();
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if (client.GetAsync("/healthz").Result.IsSuccessStatusCode) return client;
            }
            catch (AggregateException) { }
            Thread.Sleep(100);
        }
        client.Dispose();
        throw new InvalidOperationException($"zerodrift server did not become healthy: {Log}");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
