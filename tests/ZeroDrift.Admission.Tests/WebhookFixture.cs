using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Keys;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Admission.Tests;

[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookFixture>
{
    public const string Name = "webhook";
}

/// <summary>
/// A real registry with a signed and attested image and an unsigned one (pushed with skopeo), a policy, and the webhook
/// serving HTTPS on loopback with a certificate from a CA made here.
/// </summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RegistryServer? _registry;
    private AdmissionServer? _server;

    public RegistryServer Registry => _registry!;
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public string SignedImage { get; private set; } = "";
    public string SignedDigest { get; private set; } = "";
    public string UnsignedImage { get; private set; } = "";
    public string CaPem { get; private set; } = "";
    public Uri BaseUri { get; private set; } = new("https://127.0.0.1/");
    public AdmissionHandler Handler { get; private set; } = null!;
    public string PolicyPath { get; private set; } = "";
    public string CertPath { get; private set; } = "";
    public string KeyPath { get; private set; } = "";
    public TempDir Dir => _dir;

    public async Task InitializeAsync()
    {
        _registry = await RegistryServer.StartAsync();
        SignedDigest = await PushAsync("apps/web:1.0", "signed");
        SignedImage = $"{Registry.Host}/apps/web:1.0";
        await PushAsync("apps/rogue:1.0", "unsigned");
        UnsignedImage = $"{Registry.Host}/apps/rogue:1.0";
        using (var client = Client())
        {
            var signing = new ImageSigning(client);
            var image = await signing.ResolveAsync(ImageReference.Parse(SignedImage), CancellationToken.None);
            await signing.SignAsync(image, Key, SignatureFormat.Bundle, CancellationToken.None);
        }
        _dir.File("release.pub", SigningKeys.Pem("PUBLIC KEY", Key.ExportSubjectPublicKeyInfo()));
        PolicyPath = _dir.File("policy.yaml", $"""
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            allowedRegistries: ["{Registry.Host}", "registry.k8s.io"]
            images:
              - name: pause
                match: ["registry.k8s.io/pause"]
                skip: true
              - name: apps
                match: ["{Registry.Host}/apps/*"]
                signatures:
                  keys: [release.pub]
                podSecurity: baseline
            """);
        (CertPath, KeyPath) = WriteCertificates();
        Handler = NewHandler();
        _server = await AdmissionServer.StartAsync(Handler, $"127.0.0.1:{RegistryServer.FreePort()}", CertPath, KeyPath, CancellationToken.None);
        BaseUri = new Uri(_server.Addresses.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    public RegistryClient Client() => new(new RegistryClientOptions { InsecureRegistries = [Registry.Host] });

    public AdmissionHandler NewHandler(AdmissionOptions? options = null, RegistryClient? client = null, string? policyPath = null) =>
        new(new PolicyEngine(SupplyPolicy.Load(policyPath ?? PolicyPath), new ImageSigning(client ?? Client()), MisconfigPodSecurity.Instance, TimeSpan.FromSeconds(30)), options ?? new AdmissionOptions());

    /// <summary>An HTTPS client that trusts only the test CA, as the API server trusts the caBundle.</summary>
    public HttpClient Https()
    {
        using var ca = X509Certificate2.CreateFromPem(CaPem);
        var caCopy = X509CertificateLoader.LoadCertificate(ca.RawData);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.Add(caCopy);
            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(leaf);
        };
        return new HttpClient(handler) { BaseAddress = BaseUri };
    }

    public async Task<string> PushAsync(string repoTag, string marker)
    {
        var layout = _dir.Combine("layout-" + marker);
        new TestImage().Layer(new TestLayer().File("etc/os-release", "ID=debian\n").File("m", marker)).WriteOciLayout(layout, "x");
        var digestFile = _dir.Combine("digest-" + marker);
        var start = new ProcessStartInfo("skopeo") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile, $"oci:{layout}:x", $"docker://{Registry.Host}/{repoTag}" })
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("skopeo: " + await err);
        return (await File.ReadAllTextAsync(digestFile)).Trim();
    }

    private (string Cert, string Key) WriteCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ZeroDrift Webhook Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=zerodrift-webhook.zerodrift.svc", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("zerodrift-webhook.zerodrift.svc");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(12));
        CaPem = ca.ExportCertificatePem();
        _dir.File("ca.pem", CaPem);
        return (_dir.File("tls.crt", server.ExportCertificatePem()), _dir.File("tls.key", serverKey.ExportPkcs8PrivateKeyPem()));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_registry is not null) await _registry.DisposeAsync();
        Key.Dispose();
        _dir.Dispose();
    }
}
