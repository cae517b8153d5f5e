using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Chains a certificate to one authority of the trusted root, at a given time: .NET's X509Chain with only that
/// authority's root trusted (CustomRootTrust), its intermediates as the only extra certificates, no revocation
/// (offline), and the extended key usage required (code signing for Fulcio, time stamping for a TSA).
/// </summary>
public static class CertificateChainVerifier
{
    public const string CodeSigning = "1.3.6.1.5.5.7.3.3";
    public const string TimeStamping = "1.3.6.1.5.5.7.3.8";

    /// <summary>The authority and the certificate's issuer, or null when no authority valid at <paramref name="time"/> chains it.</summary>
    public static (TrustedAuthority Authority, X509Certificate2 Issuer)? Chain(X509Certificate2 cert, IReadOnlyList<TrustedAuthority> authorities, DateTimeOffset time, string usage)
    {
        foreach (var authority in authorities.Where(a => a.Validity.Contains(time)))
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority.Root);
            foreach (var intermediate in authority.Chain.Take(authority.Chain.Count - 1)) chain.ChainPolicy.ExtraStore.Add(intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
            // A self-signed TSA leaf is its own root: the chain is one element.
            var built = chain.Build(cert);
            if (!built || chain.ChainElements.Count == 0) continue;
            var issuer = chain.ChainElements.Count > 1 ? chain.ChainElements[1].Certificate : chain.ChainElements[0].Certificate;
            if (!chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(authority.Root.RawData)) continue;
            return (authority, issuer);
        }
        return null;
    }

    public static bool IsCertificateAuthority(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}
