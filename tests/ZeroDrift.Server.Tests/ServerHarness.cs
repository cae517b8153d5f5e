using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;

namespace ZeroDrift.Server.Tests;

/// <summary>A real <c>zerodrift server</c> on 127.0.0.1 over HTTPS with its generated certificate, a fresh data directory (or one the test keeps across restarts), and helpers to act as people and agents.</summary>
public sealed class ServerHarness : IAsyncDisposable
{
    public const string AdminPassword = "correct-horse-battery-staple";

    public TempDir Dir { get; }
    public ZeroDriftServer Server { get; }
    public Uri Address => Server.Addresses[0];
    public string CertificatePem => File.ReadAllText(Path.Combine(Dir.Path, "tls", "server.crt"));

    private readonly bool _ownsDir;

    private ServerHarness(TempDir dir, ZeroDriftServer server, bool ownsDir)
    {
        Dir = dir;
        Server = server;
        _ownsDir = ownsDir;
    }

    public static async Task<ServerHarness> StartAsync(string? db = null, int port = 0, TempDir? dir = null, ZeroDrift.Admission.AdmissionHandler? admission = null,
        ZeroDrift.Runtime.Audit.AuditJudge? audit = null, ZeroDrift.Server.Remediation.ImagePatchSettings? imagePatch = null,
        string? cloudTrailDirectory = null)
    {
        var owns = dir is null;
        dir ??= new TempDir();
        var server = await ZeroDriftServer.StartAsync(new ServerOptions(Listen: $"https://127.0.0.1:{port}", Db: db, DataDirectory: dir.Path, AdminPassword: AdminPassword, Admission: admission, Audit: audit,
            ImagePatch: imagePatch, CloudTrailDirectory: cloudTrailDirectory), default);
        return new ServerHarness(dir, server, owns);
    }

    /// <summary>An HTTP client that trusts exactly the server's certificate and keeps cookies.</summary>
    public HttpClient Client(CookieContainer? cookies = null)
    {
        var pem = CertificatePem;
        using var pinned = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
        var thumbprint = pinned.GetCertHashString();
        var handler = new SocketsHttpHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == thumbprint;
        return new HttpClient(handler) { BaseAddress = Address };
    }

    /// <summary>Logs in and returns a client whose state-changing requests carry the CSRF header.</summary>
    public async Task<HttpClient> LoginAsync(string name = "admin", string password = AdminPassword)
    {
        var client = Client();
        using var response = await client.PostAsJsonAsync("/api/v1/login", new { name, password });
        response.EnsureSuccessStatusCode();
        var csrf = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrf").GetString()!;
        client.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
        return client;
    }

    public async Task<string> CreateTokenAsync(HttpClient admin, string name, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { name, role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    public HttpClient TokenClient(string token)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public ServerConnection Connection(string token) => new(Address, token, CertificatePem);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (_ownsDir) Dir.Dispose();
    }
}
