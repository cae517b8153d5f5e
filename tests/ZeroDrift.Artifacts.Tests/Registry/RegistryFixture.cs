using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ZeroDrift.Artifacts.Tests.Registry;

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}

/// <summary>
/// Two real registries started once for the registry tests: <see cref="Plain"/> (HTTP, anonymous, reached with
/// --insecure-registry) and <see cref="Secure"/> (TLS with a CA made here, htpasswd Basic auth). Images are built
/// with <see cref="TestImage"/> and pushed with skopeo, as a user would.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public const string User = "zerodrift";
    public const string Password = "s3cret-pass";

    private readonly TempDir _dir = new();
    private RegistryServer? _plain;
    private RegistryServer? _secure;
    private RegistryServer? _token;
    private TokenServer? _tokenServer;

    public RegistryServer Plain => _plain ?? throw new InvalidOperationException("not started");
    public RegistryServer Secure => _secure ?? throw new InvalidOperationException("not started");

    /// <summary>A plain-HTTP registry in token mode: Bearer tokens from <see cref="Tokens"/>.</summary>
    public RegistryServer Token => _token ?? throw new InvalidOperationException("not started");
    public TokenServer Tokens => _tokenServer ?? throw new InvalidOperationException("not started");

    /// <summary>PEM of the CA that signed <see cref="Secure"/>'s certificate.</summary>
    public string CaPem { get; private set; } = "";

    /// <summary>A docker config.json holding the right credentials for <see cref="Secure"/>.</summary>
    public string AuthFile { get; private set; } = "";

    public async Task InitializeAsync()
    {
        foreach (var tool in new[] { RegistryServer.Binary, "/usr/bin/skopeo", "/usr/bin/htpasswd" })
            if (!File.Exists(tool))
                throw new InvalidOperationException($"{tool} is missing: apt-get install docker-registry skopeo apache2-utils");

        var (cert, key) = WriteCertificates();
        var htpasswd = _dir.File("htpasswd", await RunAsync("htpasswd", "-Bbn", User, Password).ConfigureAwait(false));
        var plain = RegistryServer.StartAsync();
        var secure = RegistryServer.StartAsync($"""
            auth:
              htpasswd:
                realm: zerodrift-test
                path: {htpasswd}
            """, (cert, key));
        _tokenServer = new TokenServer(User, Password);
        var rootBundle = _dir.File("token-root.pem", _tokenServer.RootCertificatePem);
        var token = RegistryServer.StartAsync($"""
            auth:
              token:
                realm: {_tokenServer.Realm}
                service: {TokenServer.Service}
                issuer: {TokenServer.Issuer}
                rootcertbundle: {rootBundle}
            """);
        _plain = await plain.ConfigureAwait(false);
        _secure = await secure.ConfigureAwait(false);
        _token = await token.ConfigureAwait(false);
        AuthFile = WriteAuthFile("auth.json", User, Password);
    }

    /// <summary>A docker config.json with these credentials for <see cref="Secure"/>.</summary>
    public string WriteAuthFile(string name, string user, string password, RegistryServer? server = null)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var host = (server ?? Secure).Host;
        return _dir.File(name, new System.Text.Json.Nodes.JsonObject
        {
            ["auths"] = new System.Text.Json.Nodes.JsonObject { [host] = new System.Text.Json.Nodes.JsonObject { ["auth"] = auth } },
        }.ToJsonString());
    }

    public string CaFile => _dir.Combine("ca.pem");

    /// <summary>A CA and a server certificate for 127.0.0.1/localhost, signed by it, as PEM files.</summary>
    private (string Cert, string Key) WriteCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ZeroDrift Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(12));

        CaPem = ca.ExportCertificatePem();
        _dir.File("ca.pem", CaPem);
        var certPath = _dir.File("server.crt", server.ExportCertificatePem() + "\n" + CaPem);
        var keyPath = _dir.File("server.key", serverKey.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    /// <summary>Pushes an image to <paramref name="server"/> as <c>repo:tag</c> with skopeo; returns the manifest digest.</summary>
    public async Task<string> PushAsync(TestImage image, RegistryServer server, string repoTag, bool withCredentials = false)
    {
        using var layout = new TempDir();
        image.WriteOciLayout(layout.Path, "pushed");
        return await PushLayoutAsync(layout.Path, "pushed", server, repoTag, withCredentials).ConfigureAwait(false);
    }

    /// <summary>Pushes the image tagged <paramref name="layoutTag"/> of an OCI layout folder, byte for byte.</summary>
    public static async Task<string> PushLayoutAsync(string layout, string layoutTag, RegistryServer server, string repoTag, bool withCredentials = false)
    {
        using var scratch = new TempDir();
        var digestFile = scratch.Combine("digest.txt");
        var args = new List<string> { "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile };
        if (withCredentials) args.AddRange(["--dest-creds", $"{User}:{Password}"]);
        args.Add($"oci:{layout}:{layoutTag}");
        args.Add($"docker://{server.Host}/{repoTag}");
        await RunAsync("skopeo", [.. args]).ConfigureAwait(false);
        return (await File.ReadAllTextAsync(digestFile).ConfigureAwait(false)).Trim();
    }

    public static async Task<string> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
        return await stdout.ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_plain is not null) await _plain.DisposeAsync().ConfigureAwait(false);
        if (_secure is not null) await _secure.DisposeAsync().ConfigureAwait(false);
        if (_token is not null) await _token.DisposeAsync().ConfigureAwait(false);
        if (_tokenServer is not null) await _tokenServer.DisposeAsync().ConfigureAwait(false);
        _dir.Dispose();
    }
}
