using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>How a <see cref="RegistryClient"/> reaches registries: transport rules, credentials, trust, timeouts.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>The environment variable naming a PEM file of extra CA certificates trusted for registries.</summary>
    public const string CaVariable = "ZERODRIFT_REGISTRY_CA";

    /// <summary>Registries (host[:port]) reached over plain HTTP; each must be a loopback address.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    public RegistryCredentials Credentials { get; init; } = RegistryCredentials.None;

    /// <summary>A PEM file of CA certificates trusted in addition to the system's store.</summary>
    public string? ExtraCaFile { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for a whole small request (manifest, token, JSON blob).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest wait for the next bytes of a blob download: a stalled transfer fails instead of hanging.</summary>
    public TimeSpan ReadIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest manifest or index accepted (the distribution spec lets registries refuse above 4 MiB).</summary>
    public long MaxManifestBytes { get; init; } = 4 << 20;

    public string UserAgent { get; init; } = "zerodrift/" + (typeof(RegistryClient).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>Credentials from the auth files, the CA from <c>ZERODRIFT_REGISTRY_CA</c>.</summary>
    public static RegistryClientOptions FromEnvironment(IReadOnlyList<string> insecureRegistries) => new()
    {
        InsecureRegistries = insecureRegistries,
        Credentials = RegistryCredentials.FromEnvironment(),
        ExtraCaFile = Environment.GetEnvironmentVariable(CaVariable) is { Length: > 0 } ca ? ca : null,
    };

    /// <summary>
    /// The base URI for a registry: HTTPS, or plain HTTP when the registry is listed as insecure and is a loopback
    /// address. An insecure entry elsewhere is refused before any traffic: credentials and content would cross the
    /// network unprotected.
    /// </summary>
    public Uri BaseUri(string registry)
    {
        var host = registry.Equals(ImageReference.DockerHub, StringComparison.OrdinalIgnoreCase) ? "registry-1.docker.io" : registry;
        var insecure = InsecureRegistries.Any(r => NormalizeRegistry(r).Equals(registry, StringComparison.OrdinalIgnoreCase));
        if (insecure && !IsLoopback(HostOf(registry)))
            throw new RegistryException($"registry {registry}: plain HTTP (--insecure-registry) is only allowed for loopback registries (127.0.0.0/8, ::1, localhost); refusing to connect");
        return new Uri($"{(insecure ? "http" : "https")}://{host}");
    }

    private static string NormalizeRegistry(string entry)
    {
        var e = entry.Trim();
        foreach (var scheme in new[] { "http://", "https://" })
            if (e.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) e = e[scheme.Length..];
        return e.TrimEnd('/');
    }

    /// <summary>The host part of host[:port] or [v6]:port.</summary>
    public static string HostOf(string authority)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? authority[1..close] : authority;
        }
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && authority.IndexOf(':', StringComparison.Ordinal) == colon ? authority[..colon] : authority;
    }

    /// <summary>localhost, 127.0.0.0/8 and ::1 (literally: names other than localhost are not resolved).</summary>
    public static bool IsLoopback(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>The extra CA certificates, read once per client.</summary>
    internal X509Certificate2Collection? LoadExtraCas()
    {
        if (ExtraCaFile is null) return null;
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(ExtraCaFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArtifactException($"{CaVariable}={ExtraCaFile}: cannot read CA certificates ({e.Message})", e);
        }
        if (cas.Count == 0) throw new ArtifactException($"{CaVariable}={ExtraCaFile}: no PEM certificate in the file");
        return cas;
    }

    /// <summary>
    /// Accepts what the system trusts, and otherwise a chain that builds to one of <paramref name="cas"/> with
    /// the host name matching: the system store plus the extra CAs, never "any certificate".
    /// </summary>
    internal static RemoteCertificateValidationCallback TrustWith(X509Certificate2Collection cas) => (_, certificate, chain, errors) =>
    {
        if (errors == SslPolicyErrors.None) return true;
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(cas);
        if (chain is not null)
            foreach (var element in chain.ChainElements.Skip(1))
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    };
}
