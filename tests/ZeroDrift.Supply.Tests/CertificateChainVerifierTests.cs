using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// The direct chain verifier's refusals (what X509Chain refused before): a wrong signature, a certificate outside its
/// validity, an issuer that is not a CA or may not sign certificates, a path length exceeded, a missing or foreign
/// extended key usage, an unknown critical extension; and the Fulcio-shaped chain root → intermediate → leaf verifies.
/// </summary>
public sealed class CertificateChainVerifierTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private sealed record Ca(X509Certificate2 Cert, ECDsa Key);

    private static Ca MakeCa(string name, Ca? parent, bool isCa = true, int? pathLength = null, X509KeyUsageFlags usage = X509KeyUsageFlags.KeyCertSign, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, pathLength is not null, pathLength ?? 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var from = Now.AddHours(-1);
        var to = notAfter ?? Now.AddHours(1);
        var cert = parent is null
            ? request.CreateSelfSigned(from, to)
            : request.Create(parent.Cert, from, to, RandomNumberGenerator.GetBytes(8)).CopyWithPrivateKey(key);
        return new Ca(cert, key);
    }

    private static X509Certificate2 Leaf(Ca issuer, string eku = CertificateChainVerifier.CodeSigning, string? criticalOid = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=leaf", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], true));
        if (criticalOid is not null) request.CertificateExtensions.Add(new X509Extension(criticalOid, [0x05, 0x00], true));
        // Signed with the issuer's key under its name, not Create(issuerCert, …), which itself refuses a non-CA issuer.
        return request.Create(issuer.Cert.SubjectName, X509SignatureGenerator.CreateForECDsa(issuer.Key), Now.AddMinutes(-10), notAfter ?? Now.AddMinutes(10), RandomNumberGenerator.GetBytes(8));
    }

    private static TrustedAuthority Authority(params Ca[] chainRootLast) =>
        new("https://ca.test", chainRootLast.Select(c => X509CertificateLoader.LoadCertificate(c.Cert.RawData)).ToList(), new ValidityPeriod(Now.AddDays(-1), null));

    private static bool Chains(X509Certificate2 leaf, TrustedAuthority authority, DateTimeOffset? at = null) =>
        CertificateChainVerifier.Chain(leaf, [authority], at ?? Now, CertificateChainVerifier.CodeSigning) is not null;

    [Fact]
    public void Root_intermediate_leaf_verifies_and_names_the_intermediate_as_issuer()
    {
        var root = MakeCa("root", null, pathLength: 1);
        var intermediate = MakeCa("intermediate", root, pathLength: 0);
        var leaf = Leaf(intermediate);
        var result = CertificateChainVerifier.Chain(leaf, [Authority(intermediate, root)], Now, CertificateChainVerifier.CodeSigning);
        Assert.NotNull(result);
        Assert.Equal(intermediate.Cert.RawData, result.Value.Issuer.RawData);
    }

    [Fact]
    public void Each_broken_constraint_is_refused()
    {
        var root = MakeCa("root", null, pathLength: 1);
        var intermediate = MakeCa("intermediate", root, pathLength: 0);
        var authority = Authority(intermediate, root);

        // Another CA with the same name signs the leaf: the signature does not verify with the trusted intermediate's key.
        Assert.False(Chains(Leaf(MakeCa("intermediate", root)), authority));
        Assert.False(Chains(Leaf(intermediate, eku: CertificateChainVerifier.TimeStamping), authority));
        Assert.False(Chains(Leaf(intermediate, criticalOid: "1.2.3.4.5"), authority));
        Assert.False(Chains(Leaf(intermediate), authority, Now.AddMinutes(30)));  // leaf expired
        Assert.False(Chains(Leaf(intermediate), authority, Now.AddMinutes(-30))); // leaf not yet valid

        var notCa = MakeCa("not-a-ca", root, isCa: false);
        Assert.False(Chains(Leaf(notCa), Authority(notCa, root)));
        var noCertSign = MakeCa("no-cert-sign", root, usage: X509KeyUsageFlags.DigitalSignature);
        Assert.False(Chains(Leaf(noCertSign), Authority(noCertSign, root)));
        var expiring = MakeCa("expiring", root, notAfter: Now.AddMinutes(5));
        Assert.False(Chains(Leaf(expiring), Authority(expiring, root), Now.AddMinutes(7)));

        // root (path length 0) → intermediate → second intermediate → leaf: two CAs below a root that allows none; path length 2 allows them.
        var strictRoot = MakeCa("strict-root", null, pathLength: 0);
        var first = MakeCa("first", strictRoot);
        var second = MakeCa("second", first);
        Assert.False(Chains(Leaf(second), Authority(second, first, strictRoot)));
        var looseRoot = MakeCa("loose-root", null, pathLength: 2);
        var first2 = MakeCa("first2", looseRoot);
        var second2 = MakeCa("second2", first2);
        Assert.True(Chains(Leaf(second2), Authority(second2, first2, looseRoot)));
    }
}
