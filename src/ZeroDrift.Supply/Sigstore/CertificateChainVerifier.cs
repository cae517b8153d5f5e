using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Chains a certificate to one authority of the trusted root, at a given time, directly rather than through
/// .NET's X509Chain (whose set-up and policy engine cost most of a first keyless verification): each certificate's
/// signature is checked with its issuer's public key over the TBS bytes, every certificate must be valid at the time,
/// each issuer must be a CA (basic constraints) allowed to sign certificates (key usage, when present) within its path
/// length, the leaf must carry the extended key usage asked for (code signing for Fulcio, time stamping for a TSA) and
/// any issuer that restricts extended key usages must allow it; an unknown critical extension is refused, as RFC 5280
/// §6.1.4 asks. The chain is the authority's own certificates only (intermediates, then its root), no revocation
/// (offline).
/// </summary>
public static class CertificateChainVerifier
{
    public const string CodeSigning = "1.3.6.1.5.5.7.3.3";
    public const string TimeStamping = "1.3.6.1.5.5.7.3.8";
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>Critical extensions this verifier understands (and checks, or which constrain nothing it relies on).</summary>
    private static readonly HashSet<string> UnderstoodCritical = new(StringComparer.Ordinal)
    {
        BasicConstraintsOid, KeyUsageOid, ExtendedKeyUsageOid, SubjectAltNameOid,
    };

    /// <summary>The authority and the certificate's issuer, or null when no authority valid at <paramref name="time"/> chains it.</summary>
    public static (TrustedAuthority Authority, X509Certificate2 Issuer)? Chain(X509Certificate2 cert, IReadOnlyList<TrustedAuthority> authorities, DateTimeOffset time, string usage)
    {
        foreach (var authority in authorities.Where(a => a.Validity.Contains(time)))
        {
            if (ChainsTo(cert, authority, time.UtcDateTime, usage) is { } issuer) return (authority, issuer);
        }
        return null;
    }

    public static bool IsCertificateAuthority(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static X509Certificate2? ChainsTo(X509Certificate2 leaf, TrustedAuthority authority, DateTime time, string usage)
    {
        if (!ValidAt(leaf, time) || !UnderstandsCriticalExtensions(leaf) || !AllowsUsage(leaf, usage, requireEku: true)) return null;
        // A self-signed TSA leaf is its own root: the chain is one element.
        if (leaf.RawData.AsSpan().SequenceEqual(authority.Root.RawData)) return SignedBy(leaf, leaf) ? leaf : null;
        var current = leaf;
        X509Certificate2? firstIssuer = null;
        var below = 0; // CA certificates below the next issuer (RFC 5280's path length counts intermediates, not the leaf).
        for (var depth = 0; depth < authority.Chain.Count; depth++)
        {
            var issuer = authority.Chain.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && SignedBy(current, c));
            if (issuer is null || !ValidAt(issuer, time) || !UnderstandsCriticalExtensions(issuer) || !MaySignCertificates(issuer, below)
                || !AllowsUsage(issuer, usage, requireEku: false)) return null;
            firstIssuer ??= issuer;
            if (issuer.RawData.AsSpan().SequenceEqual(authority.Root.RawData)) return firstIssuer;
            if (ReferenceEquals(issuer, current)) return null; // a self-signed certificate that is not the root: a loop
            below++;
            current = issuer;
        }
        return null;
    }

    private static bool ValidAt(X509Certificate2 cert, DateTime time) => cert.NotBefore.ToUniversalTime() <= time && time <= cert.NotAfter.ToUniversalTime();

    private static bool UnderstandsCriticalExtensions(X509Certificate2 cert) =>
        cert.Extensions.All(e => !e.Critical || UnderstoodCritical.Contains(e.Oid?.Value ?? ""));

    /// <summary>Basic constraints CA, key usage keyCertSign when the extension is present, and a path length that admits the certificates below.</summary>
    private static bool MaySignCertificates(X509Certificate2 issuer, int caCertificatesBelow)
    {
        var basic = issuer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is null || !basic.CertificateAuthority) return false;
        if (basic.HasPathLengthConstraint && caCertificatesBelow > basic.PathLengthConstraint) return false;
        var keyUsage = issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return keyUsage is null || keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
    }

    /// <summary>The leaf must name the usage; an issuer restricting extended key usages must include it (or anyExtendedKeyUsage).</summary>
    private static bool AllowsUsage(X509Certificate2 cert, string usage, bool requireEku)
    {
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null) return !requireEku;
        return eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage || o.Value == "2.5.29.37.0");
    }

    /// <summary>The certificate's signature over its TBS bytes, by the issuer's ECDSA or RSA (PKCS#1 v1.5) key.</summary>
    private static bool SignedBy(X509Certificate2 cert, X509Certificate2 issuer)
    {
        try
        {
            var outer = new AsnReader(cert.RawData, AsnEncodingRules.DER).ReadSequence();
            var tbs = outer.ReadEncodedValue();
            var algorithm = outer.ReadSequence().ReadObjectIdentifier();
            var signature = outer.ReadBitString(out var unused);
            if (unused != 0) return false;
            var (hash, rsa) = algorithm switch
            {
                "1.2.840.10045.4.3.2" => (HashAlgorithmName.SHA256, false),
                "1.2.840.10045.4.3.3" => (HashAlgorithmName.SHA384, false),
                "1.2.840.10045.4.3.4" => (HashAlgorithmName.SHA512, false),
                "1.2.840.113549.1.1.11" => (HashAlgorithmName.SHA256, true),
                "1.2.840.113549.1.1.12" => (HashAlgorithmName.SHA384, true),
                "1.2.840.113549.1.1.13" => (HashAlgorithmName.SHA512, true),
                _ => (default(HashAlgorithmName), false),
            };
            if (hash.Name is null) return false;
            if (rsa)
            {
                using var rsaKey = issuer.GetRSAPublicKey();
                return rsaKey is not null && rsaKey.VerifyData(tbs.Span, signature, hash, RSASignaturePadding.Pkcs1);
            }
            using var ecKey = issuer.GetECDsaPublicKey();
            return ecKey is not null && ecKey.VerifyData(tbs.Span, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return false;
        }
    }
}
