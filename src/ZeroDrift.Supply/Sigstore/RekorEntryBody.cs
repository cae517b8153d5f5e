using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>What the log entry must record: the signer (certificate DER or key SPKI) and the signed content.</summary>
public sealed record SignedContent(byte[]? CertificateDer, byte[]? KeySpki, byte[] ArtifactSha256, MessageSignature? Message, DsseEnvelope? Dsse);

/// <summary>
/// Binds a Rekor entry's canonicalized body to the bundle: the entry must record this signature, this signer and
/// this artifact (or envelope). Kinds: hashedrekord 0.0.1 (Rekor v1) and 0.0.2 (Rekor v2, also over a DSSE
/// envelope's PAE), intoto 0.0.2 and dsse 0.0.1 (Rekor v1 attestations).
/// </summary>
public static class RekorEntryBody
{
    public static void Bind(TlogEntry entry, SignedContent content)
    {
        const string what = "log entry body";
        using var doc = SigstoreJson.Parse(entry.CanonicalizedBody, what);
        var body = doc.RootElement;
        var kind = SigstoreJson.RequiredString(body, "kind", what);
        var version = SigstoreJson.RequiredString(body, "apiVersion", what);
        if (kind != entry.Kind || version != entry.KindVersion)
            throw new SupplyException($"log entry: the body is {kind} {version} but the bundle says {entry.Kind} {entry.KindVersion}");
        var spec = SigstoreJson.RequiredObject(body, "spec", what);
        switch (kind, version)
        {
            case ("hashedrekord", "0.0.1"): HashedRekordV001(spec, content); break;
            case ("hashedrekord", "0.0.2"): HashedRekordV002(spec, content); break;
            case ("intoto", "0.0.2"): IntotoV002(spec, content); break;
            case ("dsse", "0.0.1"): DsseV001(spec, content); break;
            default: throw new SupplyException($"log entry: unsupported kind {kind} {version}");
        }
    }

    private static void HashedRekordV001(JsonElement spec, SignedContent content)
    {
        const string what = "hashedrekord entry";
        var message = content.Message ?? throw new SupplyException("log entry: a hashedrekord 0.0.1 entry cannot record a DSSE envelope");
        var hash = SigstoreJson.RequiredObject(SigstoreJson.RequiredObject(spec, "data", what), "hash", what);
        if (SigstoreJson.String(hash, "algorithm", what) != "sha256") throw new SupplyException("log entry: the recorded digest is not SHA-256");
        if (!Convert.ToHexStringLower(content.ArtifactSha256).Equals(SigstoreJson.RequiredString(hash, "value", what), StringComparison.OrdinalIgnoreCase))
            throw new SupplyException("log entry: it records another artifact's digest");
        var signature = SigstoreJson.RequiredObject(spec, "signature", what);
        if (!SigstoreJson.RequiredBase64(signature, "content", what).AsSpan().SequenceEqual(message.Signature))
            throw new SupplyException("log entry: it records another signature");
        var pem = Encoding.UTF8.GetString(SigstoreJson.RequiredBase64(SigstoreJson.RequiredObject(signature, "publicKey", what), "content", what));
        RequireSigner(pem, content);
    }

    private static void HashedRekordV002(JsonElement spec, SignedContent content)
    {
        const string what = "hashedrekord entry";
        var v2 = SigstoreJson.RequiredObject(spec, "hashedRekordV002", what);
        var data = SigstoreJson.RequiredObject(v2, "data", what);
        if (SigstoreJson.String(data, "algorithm", what) != "SHA2_256") throw new SupplyException("log entry: the recorded digest is not SHA-256");
        var digest = SigstoreJson.RequiredBase64(data, "digest", what);
        // Rekor v2 logs a DSSE envelope as a hashedrekord over SHA-256(PAE(type, payload)) (rekor-v2 spec §6.1.4).
        var expected = content.Dsse is { } env ? SHA256.HashData(DsseEnvelope.Pae(env.PayloadType, env.Payload)) : content.ArtifactSha256;
        if (!digest.AsSpan().SequenceEqual(expected))
            throw new SupplyException(content.Dsse is null ? "log entry: it records another artifact's digest" : "log entry: it records another DSSE envelope");
        var signature = SigstoreJson.RequiredObject(v2, "signature", what);
        var recorded = SigstoreJson.RequiredBase64(signature, "content", what);
        var signatures = content.Dsse is { } e ? e.Signatures.Select(s => s.Sig) : [content.Message!.Signature];
        if (!signatures.Any(s => s.AsSpan().SequenceEqual(recorded))) throw new SupplyException("log entry: it records another signature");
        var verifier = SigstoreJson.RequiredObject(signature, "verifier", what);
        if (SigstoreJson.Object(verifier, "x509Certificate", what) is { } cert)
        {
            if (content.CertificateDer is null || !SigstoreJson.RequiredBase64(cert, "rawBytes", what).AsSpan().SequenceEqual(content.CertificateDer))
                throw new SupplyException("log entry: it records another signing certificate");
        }
        else if (SigstoreJson.Object(verifier, "publicKey", what) is { } key)
        {
            if (content.KeySpki is null || !SigstoreJson.RequiredBase64(key, "rawBytes", what).AsSpan().SequenceEqual(content.KeySpki))
                throw new SupplyException("log entry: it records another public key");
        }
        else throw new SupplyException("log entry: the verifier is neither a certificate nor a public key");
    }

    private static void IntotoV002(JsonElement spec, SignedContent content)
    {
        const string what = "intoto entry";
        var dsse = content.Dsse ?? throw new SupplyException("log entry: an intoto entry cannot record a message signature");
        var inner = SigstoreJson.RequiredObject(spec, "content", what);
        var envelope = SigstoreJson.RequiredObject(inner, "envelope", what);
        if (SigstoreJson.String(envelope, "payloadType", what) != dsse.PayloadType) throw new SupplyException("log entry: it records another payload type");
        RequirePayloadHash(SigstoreJson.RequiredObject(inner, "payloadHash", what), dsse.Payload, what);
        // intoto 0.0.2 stores the payload and each signature base64-encoded once more than the envelope does (some
        // Rekor versions stored signatures encoded once: both forms are read, and must then equal the envelope's).
        if (SigstoreJson.OptionalBase64(envelope, "payload", what) is { } payload
            && !Unwrap(payload).AsSpan().SequenceEqual(dsse.Payload))
            throw new SupplyException("log entry: it records another DSSE payload");
        RequireSameSignatures(SigstoreJson.Array(envelope, "signatures", what, 16).Select(s =>
            (Unwrap(SigstoreJson.RequiredBase64(s, "sig", what)),
             Encoding.UTF8.GetString(SigstoreJson.RequiredBase64(s, "publicKey", what)))).ToList(), content);
    }

    /// <summary>The bytes under a second base64 layer when there is one, else the bytes themselves.</summary>
    private static byte[] Unwrap(byte[] once)
    {
        var text = Encoding.ASCII.GetString(once);
        var buffer = new byte[once.Length];
        return once.All(b => b < 0x80) && Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : once;
    }

    private static void DsseV001(JsonElement spec, SignedContent content)
    {
        const string what = "dsse entry";
        var dsse = content.Dsse ?? throw new SupplyException("log entry: a dsse entry cannot record a message signature");
        RequirePayloadHash(SigstoreJson.RequiredObject(spec, "payloadHash", what), dsse.Payload, what);
        RequireSameSignatures(SigstoreJson.Array(spec, "signatures", what, 16).Select(s =>
            (SigstoreJson.RequiredBase64(s, "signature", what), Encoding.UTF8.GetString(SigstoreJson.RequiredBase64(s, "verifier", what)))).ToList(), content);
    }

    private static void RequirePayloadHash(JsonElement hash, byte[] payload, string what)
    {
        if (SigstoreJson.String(hash, "algorithm", what) != "sha256"
            || !Convert.ToHexStringLower(SHA256.HashData(payload)).Equals(SigstoreJson.RequiredString(hash, "value", what), StringComparison.OrdinalIgnoreCase))
            throw new SupplyException("log entry: it records another DSSE payload");
    }

    /// <summary>The entry's signatures must be exactly the envelope's, each by the bundle's signer.</summary>
    private static void RequireSameSignatures(IReadOnlyList<(byte[] Sig, string Pem)> recorded, SignedContent content)
    {
        var envelope = content.Dsse!.Signatures;
        if (recorded.Count != envelope.Count || !recorded.All(r => envelope.Any(s => s.Sig.AsSpan().SequenceEqual(r.Sig))))
            throw new SupplyException("log entry: it records other DSSE signatures");
        foreach (var (_, pem) in recorded) RequireSigner(pem, content);
    }

    private static void RequireSigner(string pem, SignedContent content)
    {
        if (content.CertificateDer is { } der)
        {
            if (!pem.Contains("CERTIFICATE", StringComparison.Ordinal) || !PemBody(pem, "log entry").AsSpan().SequenceEqual(der))
                throw new SupplyException("log entry: it records another signing certificate");
        }
        else if (content.KeySpki is { } spki)
        {
            if (!SigstorePublicKey.FromPem(pem, "log entry").Spki.AsSpan().SequenceEqual(spki))
                throw new SupplyException("log entry: it records another public key");
        }
    }

    private static byte[] PemBody(string pem, string what)
    {
        var lines = pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal));
        return SigstoreJson.Base64(string.Concat(lines), what);
    }
}
