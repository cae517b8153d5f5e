using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// RFC 6962 signed certificate timestamps embedded in a Fulcio certificate: at least one must be signed by a CT log
/// of the trusted root over the precertificate (the certificate's TBS without the SCT list) and its issuer's key.
/// </summary>
public static class SignedCertificateTimestamps
{
    private const string SctListOid = "1.3.6.1.4.1.11129.2.4.2";

    public static void Verify(X509Certificate2 leaf, X509Certificate2 issuer, TrustedRoot root)
    {
        var extension = leaf.Extensions.FirstOrDefault(e => e.Oid?.Value == SctListOid)
            ?? throw new SupplyException("certificate: no signed certificate timestamp (SCT)");
        byte[] list;
        try
        {
            list = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadOctetString();
        }
        catch (AsnContentException e)
        {
            throw new SupplyException("certificate: malformed SCT list", e);
        }
        var tbs = PrecertificateTbs(leaf);
        var issuerKeyHash = SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo());
        string? reason = null;
        foreach (var sct in Split(list))
        {
            if (sct.Length < 1 + 32 + 8 + 2) { reason = "a truncated SCT"; continue; }
            if (sct[0] != 0) { reason = "an SCT of unknown version"; continue; }
            var logId = sct[1..33];
            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(sct.AsSpan(33, 8));
            var extLength = BinaryPrimitives.ReadUInt16BigEndian(sct.AsSpan(41, 2));
            if (sct.Length < 43 + extLength + 4) { reason = "a truncated SCT"; continue; }
            var extensions = sct.AsSpan(43, extLength);
            var sigLength = BinaryPrimitives.ReadUInt16BigEndian(sct.AsSpan(43 + extLength + 2, 2));
            if (sct.Length != 43 + extLength + 4 + sigLength) { reason = "a malformed SCT"; continue; }
            var signature = sct.AsSpan(43 + extLength + 4, sigLength);
            var log = root.CtLogs.FirstOrDefault(l => l.LogId.AsSpan().SequenceEqual(logId));
            if (log is null) { reason = "SCTs from no CT log of the trusted root"; continue; }
            if (!log.Validity.Contains(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(timestamp, long.MaxValue / 2)))) { reason = "an SCT outside its CT log's validity"; continue; }
            if (log.Key.VerifyMessage(SignedData(sct.AsSpan(33, 8), issuerKeyHash, tbs, extensions), signature)) return;
            reason = "an SCT whose signature does not verify with its CT log's key";
        }
        throw new SupplyException($"certificate: no valid SCT ({reason ?? "the SCT list is empty"})");
    }

    private static List<byte[]> Split(byte[] list)
    {
        var result = new List<byte[]>();
        if (list.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(list) != list.Length - 2) return result;
        for (var offset = 2; offset + 2 <= list.Length && result.Count < 64;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(list.AsSpan(offset));
            if (offset + 2 + length > list.Length) break;
            result.Add(list.AsSpan(offset + 2, length).ToArray());
            offset += 2 + length;
        }
        return result;
    }

    /// <summary>digitally-signed struct: version, certificate_timestamp, timestamp, precert_entry, issuer_key_hash, TBS, extensions.</summary>
    private static byte[] SignedData(ReadOnlySpan<byte> timestamp, byte[] issuerKeyHash, byte[] tbs, ReadOnlySpan<byte> extensions)
    {
        var buffer = new List<byte>(tbs.Length + 64) { 0, 0 };
        buffer.AddRange(timestamp.ToArray());
        buffer.AddRange([0, 1]);
        buffer.AddRange(issuerKeyHash);
        buffer.AddRange([(byte)(tbs.Length >> 16), (byte)(tbs.Length >> 8), (byte)tbs.Length]);
        buffer.AddRange(tbs);
        buffer.AddRange([(byte)(extensions.Length >> 8), (byte)extensions.Length]);
        buffer.AddRange(extensions.ToArray());
        return buffer.ToArray();
    }

    /// <summary>The leaf's TBSCertificate re-encoded without the SCT list extension: what the CT log signed.</summary>
    private static byte[] PrecertificateTbs(X509Certificate2 leaf)
    {
        try
        {
            var tbs = new AsnReader(leaf.RawData, AsnEncodingRules.DER).ReadSequence().ReadSequence();
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
                while (tbs.HasData)
                {
                    if (tbs.PeekTag() == extensionsTag)
                    {
                        var extensions = tbs.ReadSequence(extensionsTag).ReadSequence();
                        using (writer.PushSequence(extensionsTag))
                        using (writer.PushSequence())
                        {
                            while (extensions.HasData)
                            {
                                var encoded = extensions.ReadEncodedValue();
                                var oid = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
                                if (oid != SctListOid) writer.WriteEncodedValue(encoded.Span);
                            }
                        }
                    }
                    else writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                }
            }
            return writer.Encode();
        }
        catch (AsnContentException e)
        {
            throw new SupplyException("certificate: malformed TBSCertificate", e);
        }
    }
}
