using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>A closed time interval, as Sigstore's TimeRange: a missing end is open-ended, a missing start is refused.</summary>
public sealed record ValidityPeriod(DateTimeOffset Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset time) => time >= Start && (End is null || time <= End);

    internal static ValidityPeriod Read(JsonElement owner, string what)
    {
        var validFor = SigstoreJson.RequiredObject(owner, "validFor", what);
        // A missing start is not "since forever": a trusted root that forgets it is malformed (conformance case
        // trust-root-tlog-missing-validity-start_fail).
        var start = SigstoreJson.Time(validFor, "start", what) ?? throw new SupplyException($"{what}: validFor has no start");
        return new ValidityPeriod(start, SigstoreJson.Time(validFor, "end", what));
    }
}

/// <summary>A transparency log (Rekor) or certificate transparency log (CT) the root trusts.</summary>
public sealed record TrustedLog(string BaseUrl, byte[] LogId, SigstorePublicKey Key, ValidityPeriod Validity)
{
    /// <summary>The host of the base URL: the name a Rekor checkpoint's signature line carries.</summary>
    public string Host => Uri.TryCreate(BaseUrl, UriKind.Absolute, out var u) ? u.Host : BaseUrl;
}

/// <summary>A certificate authority (Fulcio) or timestamp authority: a chain, leaf first, root last.</summary>
public sealed record TrustedAuthority(string Uri, IReadOnlyList<X509Certificate2> Chain, ValidityPeriod Validity)
{
    public X509Certificate2 Root => Chain[^1];
}

/// <summary>
/// Sigstore's trusted_root.json (protobuf-specs dev.sigstore.trustroot.v1.TrustedRoot): what a verifier trusts, and
/// for how long. The production root ships inside ZeroDrift; <c>--trusted-root</c> names another.
/// </summary>
public sealed record TrustedRoot(
    IReadOnlyList<TrustedLog> TransparencyLogs,
    IReadOnlyList<TrustedAuthority> CertificateAuthorities,
    IReadOnlyList<TrustedLog> CtLogs,
    IReadOnlyList<TrustedAuthority> TimestampAuthorities)
{
    public const int MaxBytes = 4 << 20;
    private const int MaxEntries = 256;
    private const int MaxChain = 10;

    /// <summary>The Sigstore public-good instance's root, embedded at build time (sigstore/root-signing).</summary>
    public static TrustedRoot Production()
    {
        using var stream = typeof(TrustedRoot).Assembly.GetManifestResourceStream("ZeroDrift.Supply.Sigstore.trusted_root.json")
            ?? throw new InvalidOperationException("the embedded Sigstore trusted root is missing from the build");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Parse(memory.ToArray(), "embedded trusted root");
    }

    public static TrustedRoot Load(string path)
    {
        if (!File.Exists(path)) throw new SupplyException($"trusted root {path} not found");
        return Parse(BoundedFile.ReadAllBytes(path, MaxBytes, "trusted root"), $"trusted root {path}");
    }

    public static TrustedRoot Parse(byte[] json, string what)
    {
        using var doc = SigstoreJson.Parse(json, what);
        var root = doc.RootElement;
        var mediaType = SigstoreJson.String(root, "mediaType", what) ?? "";
        if (!mediaType.StartsWith("application/vnd.dev.sigstore.trustedroot", StringComparison.Ordinal))
            throw new SupplyException($"{what}: not a Sigstore trusted root (mediaType '{mediaType}')");
        return new TrustedRoot(
            SigstoreJson.Array(root, "tlogs", what, MaxEntries).Select((e, i) => Log(e, $"{what}: tlogs[{i}]")).ToList(),
            SigstoreJson.Array(root, "certificateAuthorities", what, MaxEntries).Select((e, i) => Authority(e, $"{what}: certificateAuthorities[{i}]")).ToList(),
            SigstoreJson.Array(root, "ctlogs", what, MaxEntries).Select((e, i) => Log(e, $"{what}: ctlogs[{i}]")).ToList(),
            SigstoreJson.Array(root, "timestampAuthorities", what, MaxEntries).Select((e, i) => Authority(e, $"{what}: timestampAuthorities[{i}]")).ToList());
    }

    private static TrustedLog Log(JsonElement e, string what)
    {
        var key = SigstoreJson.RequiredObject(e, "publicKey", what);
        var logId = SigstoreJson.RequiredBase64(SigstoreJson.RequiredObject(e, "logId", what), "keyId", what);
        var publicKey = SigstorePublicKey.FromSpki(SigstoreJson.RequiredBase64(key, "rawBytes", what), SigstoreJson.String(key, "keyDetails", what) ?? "", what);
        return new TrustedLog(SigstoreJson.String(e, "baseUrl", what) ?? "", logId, publicKey, ValidityPeriod.Read(key, what));
    }

    private static TrustedAuthority Authority(JsonElement e, string what)
    {
        var certs = SigstoreJson.Array(SigstoreJson.RequiredObject(e, "certChain", what), "certificates", what, MaxChain);
        if (certs.Count == 0) throw new SupplyException($"{what}: empty certificate chain");
        var chain = certs.Select(c => Certificates.Parse(SigstoreJson.RequiredBase64(c, "rawBytes", what), what)).ToList();
        return new TrustedAuthority(SigstoreJson.String(e, "uri", what) ?? "", chain, ValidityPeriod.Read(e, what));
    }
}

internal static class Certificates
{
    public static X509Certificate2 Parse(byte[] der, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new SupplyException($"{what}: not a DER X.509 certificate", e);
        }
    }

    public static bool IsSelfSigned(X509Certificate2 cert) =>
        cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData);
}
