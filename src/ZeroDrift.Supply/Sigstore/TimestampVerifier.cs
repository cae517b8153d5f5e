using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// RFC 3161 signed timestamps from a timestamp authority of the trusted root: the token's message imprint is the
/// hash of the bundle's signature, its CMS signature verifies with a TSA certificate, that certificate chains to
/// the authority at the token's time, and the time is inside the authority's validity (a closed interval).
/// </summary>
public static class TimestampVerifier
{
    public static DateTimeOffset Verify(byte[] signedTimestamp, byte[] signature, TrustedRoot root)
    {
        if (root.TimestampAuthorities.Count == 0) throw new SupplyException("timestamp: the trusted root has no timestamp authority");
        if (!Rfc3161TimestampToken.TryDecode(TokenOf(signedTimestamp), out var token, out _) || token is null)
            // TryDecode also refuses a token whose embedded signer certificate does not match its ESS signing-certificate
            // attribute or was not valid at the token's own time.
            throw new SupplyException("timestamp: not a valid RFC 3161 token (malformed, or its embedded signer certificate was not valid at its time)");
        var candidates = new X509Certificate2Collection();
        foreach (var authority in root.TimestampAuthorities) candidates.AddRange(authority.Chain.ToArray());
        X509Certificate2? signer;
        try
        {
            if (!token.TokenInfo.GetMessageHash().Span.SequenceEqual(Imprint(token.TokenInfo.HashAlgorithmId.Value, signature))) throw new SupplyException("timestamp: it covers another signature (message imprint mismatch)");
            if (!token.VerifySignatureForData(signature, out signer, candidates) || signer is null)
                throw new SupplyException("timestamp: its signature does not verify with any timestamp authority's certificate of the trusted root or the token");
        }
        catch (CryptographicException e)
        {
            throw new SupplyException("timestamp: its signature does not verify", e);
        }
        var time = token.TokenInfo.Timestamp;
        if (CertificateChainVerifier.Chain(signer, root.TimestampAuthorities, time, CertificateChainVerifier.TimeStamping) is null)
            throw new SupplyException($"timestamp: its signer does not chain to a timestamp authority of the trusted root valid at {time:O}");
        return time;
    }

    private static byte[] Imprint(string? oid, byte[] data) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => SHA256.HashData(data),
        "2.16.840.1.101.3.4.2.2" => SHA384.HashData(data),
        "2.16.840.1.101.3.4.2.3" => SHA512.HashData(data),
        _ => throw new SupplyException($"timestamp: unsupported imprint hash {oid}"),
    };

    /// <summary>Bundles carry a TimeStampResp (status, then the token) or the bare token (a CMS ContentInfo).</summary>
    private static byte[] TokenOf(byte[] der)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            if (outer.PeekTag() == Asn1Tag.ObjectIdentifier) return der;
            var status = outer.ReadSequence();
            if (!status.TryReadInt32(out var code) || code is not (0 or 1))
                throw new SupplyException("timestamp: the authority's response is not 'granted'");
            return outer.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException e)
        {
            throw new SupplyException("timestamp: malformed DER", e);
        }
    }
}
