using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Server.Hosting;

/// <summary>
/// TLS when no --tls-cert is given: a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1, ::1 and the
/// listen host, made once into DATA/tls/server.crt + server.key (key mode 0600) and reused. Clients pin it
/// (<c>zerodrift scan --server-ca DATA/tls/server.crt</c>); production puts a real certificate in --tls-cert/--tls-key.
/// </summary>
public static class DevCertificate
{
    public static (string Cert, string Key) Ensure(string dataDirectory, string host)
    {
        var dir = Path.Combine(dataDirectory, "tls");
        var cert = Path.Combine(dir, "server.crt");
        var key = Path.Combine(dir, "server.key");
        if (File.Exists(cert) && File.Exists(key)) return (cert, key);
        Directory.CreateDirectory(dir);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=zerodrift-server", ecdsa, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (IPAddress.TryParse(host, out var ip)) { if (!IPAddress.IsLoopback(ip) && !ip.Equals(IPAddress.Any)) san.AddIpAddress(ip); }
        else if (host is not ("localhost" or "*" or "+")) san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(2));
        File.WriteAllText(key + ".tmp", ecdsa.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(key + ".tmp", key, overwrite: true);
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        return (cert, key);
    }
}
