using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Signing;

public sealed record DsseSignature(string KeyId, byte[] Sig);

/// <summary>
/// A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). Signatures cover the
/// pre-authentication encoding <see cref="Pae"/> of type and payload, never the raw payload.
/// </summary>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    public const string InTotoPayloadType = "application/vnd.in-toto+json";
    public const string MediaType = "application/vnd.dsse.envelope.v1+json";

    /// <summary><c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, lengths as ASCII decimal byte counts.</summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"DSSEv1 {type.Length} "));
        var middle = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" {payload.Length} "));
        var pae = new byte[head.Length + type.Length + middle.Length + payload.Length];
        head.CopyTo(pae, 0);
        type.CopyTo(pae, head.Length);
        middle.CopyTo(pae, head.Length + type.Length);
        payload.CopyTo(pae.AsSpan(head.Length + type.Length + middle.Length));
        return pae;
    }

    public static DsseEnvelope Sign(string payloadType, byte[] payload, ECDsa key) =>
        new(payloadType, payload, [new DsseSignature("", key.SignData(Pae(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))]);

    /// <summary>True when one of the signatures verifies with <paramref name="key"/> over the PAE.</summary>
    public bool VerifiedBy(ECDsa key)
    {
        var pae = Pae(PayloadType, Payload);
        return Signatures.Any(s => Ecdsa.Verify(key, pae, s.Sig));
    }

    /// <summary>The envelope as cosign writes it: payloadType, payload, signatures [{keyid, sig}].</summary>
    public JsonObject ToJson() => new()
    {
        ["payloadType"] = PayloadType,
        ["payload"] = Convert.ToBase64String(Payload),
        ["signatures"] = new JsonArray(Signatures.Select(s => (JsonNode)new JsonObject { ["keyid"] = s.KeyId, ["sig"] = Convert.ToBase64String(s.Sig) }).ToArray()),
    };

    public static DsseEnvelope FromJson(JsonNode? node, string what)
    {
        try
        {
            if (node is not JsonObject o) throw new SupplyException($"{what}: a DSSE envelope must be a JSON object");
            var type = o["payloadType"]?.GetValue<string>() ?? throw new SupplyException($"{what}: DSSE envelope without payloadType");
            var payload = Convert.FromBase64String(o["payload"]?.GetValue<string>() ?? throw new SupplyException($"{what}: DSSE envelope without payload"));
            var signatures = (o["signatures"] as JsonArray ?? throw new SupplyException($"{what}: DSSE envelope without signatures"))
                .OfType<JsonObject>()
                .Select(s => new DsseSignature(s["keyid"]?.GetValue<string>() ?? "", Convert.FromBase64String(s["sig"]?.GetValue<string>() ?? "")))
                .ToList();
            return new DsseEnvelope(type, payload, signatures);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException)
        {
            throw new SupplyException($"{what}: malformed DSSE envelope ({e.Message})", e);
        }
    }
}

/// <summary>ECDSA over SHA-256 with ASN.1 DER signatures, the form cosign and Go's crypto/ecdsa use.</summary>
public static class Ecdsa
{
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> data) =>
        key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static bool Verify(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
