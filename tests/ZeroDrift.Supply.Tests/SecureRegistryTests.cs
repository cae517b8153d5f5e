using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

/// <summary>Sign and verify against docker-registry with TLS (a CA made here) and htpasswd Basic auth.</summary>
public sealed class SecureRegistryTests
{
    [Fact]
    public async Task Sign_and_verify_over_TLS_with_basic_auth()
    {
        using var dir = new TempDir();
        var (cert, tlsKey, caFile) = Certificates(dir);
        var htpasswd = dir.File("htpasswd", await SupplyRegistryFixture.RunAsync("htpasswd", "-Bbn", "signer", "s3cret"));
        await using var registry = await RegistryServer.StartAsync($"auth:\n  htpasswd:\n    realm: zerodrift\n    path: {htpasswd}", (cert, tlsKey));
        using (var layout = new TempDir())
        {
            SupplyRegistryFixture.Image("secure").WriteOciLayout(layout.Path, "x");
            await SupplyRegistryFixture.RunAsync("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "signer:s3cret",
                $"oci:{layout.Path}:x", $"docker://{registry.Host}/secure/app:1");
        }
        var auth = dir.File("auth.json", new JsonObject
        {
            ["auths"] = new JsonObject { [registry.Host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("signer:s3cret")) } },
        }.ToJsonString());
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = RegistryCredentials.FromFiles([auth]), ExtraCaFile = caFile });
        var signing = new ImageSigning(client);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var image = await signing.ResolveAsync(ImageReference.Parse($"{registry.Host}/secure/app:1"), CancellationToken.None);
        foreach (var format in new[] { SignatureFormat.Bundle, SignatureFormat.Legacy })
            await signing.SignAsync(image, key, format, CancellationToken.None);
        var checks = await signing.VerifySignaturesAsync(image, [new TrustedKey("k", key)], CancellationToken.None);
        Assert.Equal(2, checks.Count(c => c.Verified));

        // Without credentials the registry refuses even the lookup: verification cannot pass by accident.
        using var anonymous = new RegistryClient(new RegistryClientOptions { ExtraCaFile = caFile });
        var e = await Assert.ThrowsAsync<RegistryException>(() => new ImageSigning(anonymous).ResolveAsync(image.Reference, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
    }

    private static (string Cert, string Key, string Ca) Certificates(TempDir dir)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=supply test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        var caPem = ca.ExportCertificatePem();
        return (dir.File("server.crt", server.ExportCertificatePem() + "\n" + caPem), dir.File("server.key", serverKey.ExportPkcs8PrivateKeyPem()), dir.File("ca.pem", caPem));
    }
}
