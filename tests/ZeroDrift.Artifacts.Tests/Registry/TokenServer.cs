using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>
/// A token service for docker-registry's <c>auth: token</c> mode (https://distribution.github.io/distribution/spec/auth/token/):
/// it checks Basic credentials, then issues an ES256 JWT whose <c>x5c</c> certificate the registry trusts through its
/// <c>rootcertbundle</c>. Anonymous callers may pull <c>public/*</c> only; every request is recorded.
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "zerodrift-test-registry";
    public const string Issuer = "zerodrift-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _certificate;
    private readonly string _user;
    private readonly string _password;
    private readonly Task _loop;

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";

    /// <summary>The query string of every token request, with the user name it authenticated as ("" when anonymous).</summary>
    public ConcurrentQueue<(string User, string Query)> Requests { get; } = new();

    public TokenServer(string user, string password)
    {
        _user = user;
        _password = password;
        var request = new CertificateRequest("CN=ZeroDrift test token signer", _key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Port = RegistryServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The PEM the registry verifies tokens with.</summary>
    public string RootCertificatePem => _certificate.ExportCertificatePem();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(context); }
            finally { context.Response.Close(); }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var user = "";
        if (context.Request.Headers["Authorization"] is { } header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
            if (decoded != $"{_user}:{_password}")
            {
                Requests.Enqueue(("<rejected>", context.Request.Url!.Query));
                context.Response.StatusCode = 401;
                return;
            }
            user = _user;
        }
        Requests.Enqueue((user, context.Request.Url!.Query));
        var access = new JsonArray();
        foreach (var scope in context.Request.QueryString.GetValues("scope") ?? [])
        {
            var parts = scope.Split(':');
            if (parts.Length != 3 || parts[0] != "repository") continue;
            var actions = parts[2].Split(',').Where(a => user.Length > 0 || (a == "pull" && parts[1].StartsWith("public/", StringComparison.Ordinal))).ToArray();
            access.Add(new JsonObject { ["type"] = "repository", ["name"] = parts[1], ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a).ToArray()) });
        }
        var token = Jwt(user, access);
        // Both field names occur in the wild: docker's "token" and OAuth2's "access_token".
        var body = user.Length > 0
            ? new JsonObject { ["token"] = token, ["expires_in"] = 300 }
            : new JsonObject { ["access_token"] = token, ["expires_in"] = 300 };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.ContentType = "application/json";
        context.Response.OutputStream.Write(bytes);
    }

    private string Jwt(string subject, JsonArray access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = subject, ["aud"] = Service,
            ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256); // r||s, as JWS wants
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
        _certificate.Dispose();
        _key.Dispose();
    }
}
