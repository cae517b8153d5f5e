using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Server.Client;

/// <summary>
/// Where a ZeroDrift server is and how to prove who we are: the base URL, an API token (sent as a bearer token,
/// never logged) and, for a server with its own self-signed certificate, that certificate pinned from a PEM file.
/// </summary>
public sealed record ServerConnection(Uri BaseAddress, string Token, string? TrustedCertificatePem = null)
{
    public static ServerConnection Parse(string url, string? token, string? trustedCertificatePath)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new ServerClientException($"--server {url}: expected an https:// (or http://) URL");
        if (string.IsNullOrWhiteSpace(token))
            throw new ServerClientException("uploading to a server needs an API token: --token or ZERODRIFT_TOKEN");
        string? pem = null;
        if (trustedCertificatePath is not null)
        {
            if (!File.Exists(trustedCertificatePath)) throw new ServerClientException($"{trustedCertificatePath}: no such certificate file");
            pem = File.ReadAllText(trustedCertificatePath);
        }
        return new ServerConnection(uri, token.Trim(), pem);
    }

    /// <summary>An HttpClient that sends the token and trusts the system roots, or exactly the pinned certificate.</summary>
    public HttpClient CreateHttpClient(TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = System.Net.DecompressionMethods.All };
        if (TrustedCertificatePem is not null)
        {
            using var pinned = X509Certificate2.CreateFromPem(TrustedCertificatePem);
            var thumbprint = pinned.GetCertHashString();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || (certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase));
        }
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("zerodrift", "0.1"));
        return client;
    }
}

/// <summary>The server refused or could not be reached; the message is one line a user can act on.</summary>
public sealed class ServerClientException(string message, Exception? inner = null) : Exception(message, inner);
