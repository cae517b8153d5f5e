using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ZeroDrift.Core.IO;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Sigstore;

public sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string? Checkpoint);

/// <summary>One transparency log entry as the bundle carries it (protobuf-specs TransparencyLogEntry).</summary>
public sealed record TlogEntry(
    long LogIndex, byte[] LogId, string Kind, string KindVersion, long IntegratedTime,
    byte[]? SignedEntryTimestamp, InclusionProof? Proof, byte[] CanonicalizedBody);

/// <summary>A signature over an artifact's bytes, with the digest the signer claims (a hint, checked against the artifact).</summary>
public sealed record MessageSignature(string DigestAlgorithm, byte[] Digest, byte[] Signature);

/// <summary>
/// A Sigstore bundle (v0.1, v0.2, v0.3; https://github.com/sigstore/protobuf-specs), parsed with every field typed
/// and bounded. Parsing checks shape only; <see cref="BundleVerifier"/> decides trust.
/// </summary>
public sealed record SigstoreBundleDocument(
    string MediaType,
    string Version,
    X509Certificate2? Leaf,
    bool ChainHoldsRoot,
    string? PublicKeyHint,
    IReadOnlyList<TlogEntry> TlogEntries,
    IReadOnlyList<byte[]> Rfc3161Timestamps,
    MessageSignature? MessageSignature,
    DsseEnvelope? Dsse)
{
    public const int MaxBytes = 32 << 20;
    private const int MaxCertificates = 10;
    private const int MaxEntries = 32;
    private const int MaxProofHashes = 64;
    private const int MaxTimestamps = 32;
    private const int MaxSignatures = 16;

    public static SigstoreBundleDocument Load(string path)
    {
        if (!File.Exists(path)) throw new SupplyException($"bundle {path} not found");
        return Parse(BoundedFile.ReadAllBytes(path, MaxBytes, "bundle"));
    }

    public static SigstoreBundleDocument Parse(byte[] json)
    {
        const string what = "bundle";
        if (json.Length > MaxBytes) throw new SupplyException($"bundle is larger than {MaxBytes >> 20} MiB");
        using var doc = SigstoreJson.Parse(json, what);
        var root = doc.RootElement;
        var mediaType = SigstoreJson.RequiredString(root, "mediaType", what);
        var version = VersionOf(mediaType);
        var material = SigstoreJson.RequiredObject(root, "verificationMaterial", what);

        X509Certificate2? leaf = null;
        var chainHoldsRoot = false;
        string? hint = null;
        if (SigstoreJson.Object(material, "x509CertificateChain", what) is { } chain)
        {
            var certs = SigstoreJson.Array(chain, "certificates", "bundle certificate chain", MaxCertificates);
            if (certs.Count == 0) throw new SupplyException("bundle: the certificate chain is empty");
            var parsed = certs.Select(c => Certificates.Parse(SigstoreJson.RequiredBase64(c, "rawBytes", "bundle certificate"), "bundle certificate")).ToList();
            leaf = parsed[0];
            chainHoldsRoot = parsed.Any(Certificates.IsSelfSigned);
        }
        else if (SigstoreJson.Object(material, "certificate", what) is { } single)
            leaf = Certificates.Parse(SigstoreJson.RequiredBase64(single, "rawBytes", "bundle certificate"), "bundle certificate");
        else if (SigstoreJson.Object(material, "publicKey", what) is { } key)
            hint = SigstoreJson.String(key, "hint", what) ?? "";
        else
            throw new SupplyException("bundle: verificationMaterial holds no certificate, chain or public key");

        var entries = SigstoreJson.Array(material, "tlogEntries", what, MaxEntries).Select(Entry).ToList();
        var timestamps = SigstoreJson.Object(material, "timestampVerificationData", what) is { } tvd
            ? SigstoreJson.Array(tvd, "rfc3161Timestamps", what, MaxTimestamps).Select(t => SigstoreJson.RequiredBase64(t, "signedTimestamp", "bundle timestamp")).ToList()
            : [];

        var message = SigstoreJson.Object(root, "messageSignature", what) is { } ms ? Message(ms) : null;
        var dsse = SigstoreJson.Object(root, "dsseEnvelope", what) is { } env ? Envelope(env) : null;
        if ((message is null) == (dsse is null)) throw new SupplyException("bundle: it must hold exactly one of messageSignature and dsseEnvelope");
        return new SigstoreBundleDocument(mediaType, version, leaf, chainHoldsRoot, hint, entries, timestamps, message, dsse);
    }

    /// <summary>The two media type spellings protobuf-specs defines; anything else (a future version) is refused.</summary>
    private static string VersionOf(string mediaType) => mediaType switch
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => "0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => "0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3" => "0.3",
        "application/vnd.dev.sigstore.bundle.v0.3+json" => "0.3",
        _ => throw new SupplyException($"bundle: unsupported media type '{mediaType}'"),
    };

    private static TlogEntry Entry(JsonElement e, int i)
    {
        var what = $"bundle tlogEntries[{i}]";
        var logIndex = SigstoreJson.Int64(e, "logIndex", what);
        if (logIndex < 0) throw new SupplyException($"{what}: negative log index {logIndex}");
        var kind = SigstoreJson.RequiredObject(e, "kindVersion", what);
        var set = SigstoreJson.Object(e, "inclusionPromise", what) is { } promise ? SigstoreJson.RequiredBase64(promise, "signedEntryTimestamp", what) : null;
        InclusionProof? proof = null;
        if (SigstoreJson.Object(e, "inclusionProof", what) is { } p)
        {
            var proofIndex = SigstoreJson.Int64(p, "logIndex", what);
            var treeSize = SigstoreJson.Int64(p, "treeSize", what);
            if (proofIndex < 0 || treeSize < 0) throw new SupplyException($"{what}: negative index or size in the inclusion proof");
            var hashes = SigstoreJson.Array(p, "hashes", what, MaxProofHashes).Select(h => h.ValueKind == JsonValueKind.String
                ? SigstoreJson.Base64(h.GetString()!, $"{what}: inclusion proof hash")
                : throw new SupplyException($"{what}: inclusion proof hashes must be strings")).ToList();
            var checkpoint = SigstoreJson.Object(p, "checkpoint", what) is { } cp ? SigstoreJson.String(cp, "envelope", what) : null;
            proof = new InclusionProof(proofIndex, SigstoreJson.RequiredBase64(p, "rootHash", what), treeSize, hashes, checkpoint);
        }
        var integrated = SigstoreJson.Int64(e, "integratedTime", what);
        if (integrated < 0) throw new SupplyException($"{what}: negative integrated time");
        return new TlogEntry(logIndex,
            SigstoreJson.RequiredBase64(SigstoreJson.RequiredObject(e, "logId", what), "keyId", what),
            SigstoreJson.RequiredString(kind, "kind", what), SigstoreJson.RequiredString(kind, "version", what),
            integrated, set, proof, SigstoreJson.RequiredBase64(e, "canonicalizedBody", what));
    }

    private static MessageSignature Message(JsonElement ms)
    {
        const string what = "bundle messageSignature";
        var digest = SigstoreJson.Object(ms, "messageDigest", what);
        return new MessageSignature(
            digest is { } d ? SigstoreJson.String(d, "algorithm", what) ?? "" : "",
            digest is { } d2 ? SigstoreJson.OptionalBase64(d2, "digest", what) ?? [] : [],
            SigstoreJson.RequiredBase64(ms, "signature", what));
    }

    private static DsseEnvelope Envelope(JsonElement env)
    {
        const string what = "bundle dsseEnvelope";
        var signatures = SigstoreJson.Array(env, "signatures", what, MaxSignatures)
            .Select(s => s.ValueKind == JsonValueKind.Object
                ? new DsseSignature(SigstoreJson.String(s, "keyid", what) ?? "", SigstoreJson.RequiredBase64(s, "sig", what))
                : throw new SupplyException($"{what}: signatures must be objects"))
            .ToList();
        return new DsseEnvelope(SigstoreJson.RequiredString(env, "payloadType", what), SigstoreJson.RequiredBase64(env, "payload", what), signatures);
    }
}
