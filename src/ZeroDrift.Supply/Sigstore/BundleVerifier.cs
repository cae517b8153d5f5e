using System.Security.Cryptography;
using System.Text.Json;
using ZeroDrift.Core.IO;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>The artifact a bundle is verified against: its bytes (a file) or only its digest. <see cref="Sha512"/> is
/// known for files and bytes (in-toto subjects may name only a SHA-512, as GitHub's and npm's attestations can); a
/// <c>sha512:</c> digest leaves <see cref="Sha256"/> empty, which no message signature or sha256 subject matches.</summary>
public sealed record ArtifactInput(byte[] Sha256, byte[]? Bytes, byte[]? Sha512 = null)
{
    public static ArtifactInput FromBytes(byte[] bytes) => new(SHA256.HashData(bytes), bytes, SHA512.HashData(bytes));

    public static ArtifactInput FromDigest(byte[] sha256) => new(sha256, null);

    public static ArtifactInput FromSha512(byte[] sha512) => new([], null, sha512);

    /// <summary>A file hashed as it streams, so an artifact of any size costs no memory (its bytes are not kept:
    /// ECDSA and RSA message signatures verify against the digest).</summary>
    public static ArtifactInput FromFile(string path)
    {
        using var stream = BoundedFile.OpenRead(path, long.MaxValue, "artifact");
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            sha512.AppendData(buffer, 0, read);
        }
        return new ArtifactInput(sha256.GetHashAndReset(), null, sha512.GetHashAndReset());
    }

    /// <summary>cosign's FILE_OR_DIGEST: <c>sha256:</c> and 64 hex digits that is not a file on disk is a digest; anything else a path.</summary>
    public static ArtifactInput Parse(string fileOrDigest)
    {
        if (fileOrDigest.StartsWith("sha256:", StringComparison.Ordinal) && fileOrDigest.Length == 71 && !File.Exists(fileOrDigest)
            && fileOrDigest.AsSpan(7).ContainsAnyExcept("0123456789abcdefABCDEF") == false)
            return FromDigest(Convert.FromHexString(fileOrDigest.AsSpan(7)));
        if (fileOrDigest.StartsWith("sha512:", StringComparison.Ordinal) && fileOrDigest.Length == 135 && !File.Exists(fileOrDigest)
            && fileOrDigest.AsSpan(7).ContainsAnyExcept("0123456789abcdefABCDEF") == false)
            return FromSha512(Convert.FromHexString(fileOrDigest.AsSpan(7)));
        if (!File.Exists(fileOrDigest)) throw new SupplyException($"artifact {fileOrDigest} not found (give a file, sha256:<64 hex digits> or sha512:<128 hex digits>)");
        return FromFile(fileOrDigest);
    }
}

/// <summary>What a successful verification established.</summary>
public sealed record BundleVerification(string BundleVersion, FulcioIdentity? Identity, IReadOnlyList<long> LogIndexes, IReadOnlyList<DateTimeOffset> VerifiedTimes);

/// <summary>
/// Verifies a Sigstore bundle offline, in the order sigstore-go and sigstore-python do: the signed content against
/// the artifact, each transparency log entry (body bound to the bundle, inclusion proof and checkpoint or SET), each
/// RFC 3161 timestamp; then, for a keyless bundle, the certificate chain at every verified time, its SCT and the
/// identity policy. Any failure is one <see cref="SupplyException"/> naming the reason.
/// </summary>
public sealed class BundleVerifier(TrustedRoot root)
{
    private const string InTotoStatementV01 = "https://in-toto.io/Statement/v0.1";
    private const string InTotoStatementV1 = "https://in-toto.io/Statement/v1";

    /// <summary>Keyless: the certificate must match <paramref name="policy"/>.</summary>
    public BundleVerification VerifyKeyless(SigstoreBundleDocument bundle, ArtifactInput artifact, IdentityPolicy policy)
    {
        var result = VerifyKeylessSigner(bundle, artifact);
        policy.Require(result.Identity!);
        return result;
    }

    /// <summary>Keyless, everything but the identity policy: the caller matches <see cref="BundleVerification.Identity"/>
    /// against its own alternatives (a policy's list of trusted identities).</summary>
    public BundleVerification VerifyKeylessSigner(SigstoreBundleDocument bundle, ArtifactInput artifact)
    {
        var leaf = bundle.Leaf ?? throw new SupplyException("bundle: signed with a key, not a certificate (verify it with --key)");
        if (bundle.ChainHoldsRoot) throw new SupplyException("bundle: the certificate chain holds a root certificate (roots come from the trusted root, never the bundle)");
        if (CertificateChainVerifier.IsCertificateAuthority(leaf)) throw new SupplyException("certificate: the signing certificate is a CA certificate");
        var key = SigstorePublicKey.FromCertificate(leaf, "certificate");
        var (indexes, times) = VerifyCommon(bundle, artifact, key, new SignedContent(leaf.RawData, null, artifact.Sha256, bundle.MessageSignature, bundle.Dsse));
        if (times.Count == 0) throw new SupplyException("bundle: no verified time (no signed entry timestamp nor RFC 3161 timestamp) to check the certificate at");
        System.Security.Cryptography.X509Certificates.X509Certificate2? issuer = null;
        foreach (var time in times)
        {
            var chained = CertificateChainVerifier.Chain(leaf, root.CertificateAuthorities, time, CertificateChainVerifier.CodeSigning)
                ?? throw new SupplyException($"certificate: it does not chain to a certificate authority of the trusted root valid at {time:O} (or was not valid then)");
            issuer = chained.Issuer;
        }
        SignedCertificateTimestamps.Verify(leaf, issuer!, root);
        var identity = FulcioIdentity.Of(leaf);
        return new BundleVerification(bundle.Version, identity, indexes, times);
    }

    /// <summary>Managed key: the bundle names a public key and <paramref name="key"/> must verify it.</summary>
    public BundleVerification VerifyWithKey(SigstoreBundleDocument bundle, ArtifactInput artifact, SigstorePublicKey key)
    {
        if (bundle.Leaf is not null) throw new SupplyException("bundle: signed with a certificate, not a key (verify it with --certificate-identity and --certificate-oidc-issuer)");
        var (indexes, times) = VerifyCommon(bundle, artifact, key, new SignedContent(null, key.Spki, artifact.Sha256, bundle.MessageSignature, bundle.Dsse));
        return new BundleVerification(bundle.Version, null, indexes, times);
    }

    private (List<long> Indexes, List<DateTimeOffset> Times) VerifyCommon(SigstoreBundleDocument bundle, ArtifactInput artifact, SigstorePublicKey key, SignedContent content)
    {
        byte[] signature;
        if (bundle.MessageSignature is { } message)
        {
            VerifyMessage(message, artifact, key);
            signature = message.Signature;
        }
        else
        {
            signature = VerifyDsse(bundle.Dsse!, artifact, key);
        }

        if (bundle.TlogEntries.Count == 0 && bundle.Leaf is not null) throw new SupplyException("bundle: no transparency log entry");
        var indexes = new List<long>();
        var times = new List<DateTimeOffset>();
        foreach (var entry in bundle.TlogEntries)
        {
            RekorEntryBody.Bind(entry, content);
            if (TransparencyLogVerifier.Verify(entry, root, bundle.Version) is { } integrated) times.Add(integrated);
            indexes.Add(entry.LogIndex);
        }
        foreach (var timestamp in bundle.Rfc3161Timestamps) times.Add(TimestampVerifier.Verify(timestamp, signature, root));
        return (indexes, times);
    }

    private static void VerifyMessage(MessageSignature message, ArtifactInput artifact, SigstorePublicKey key)
    {
        // The bundle's digest is an unauthenticated hint; it must still agree with the artifact.
        if (message.Digest.Length > 0)
        {
            if (message.DigestAlgorithm != "SHA2_256") throw new SupplyException($"bundle: unsupported message digest algorithm '{message.DigestAlgorithm}'");
            if (!message.Digest.AsSpan().SequenceEqual(artifact.Sha256)) throw new SupplyException("bundle: the message digest is not the artifact's");
        }
        var verified = artifact.Bytes is { } bytes && key.IsEd25519 ? key.VerifyMessage(bytes, message.Signature) : key.VerifyDigest(artifact.Sha256, message.Signature);
        if (!verified) throw new SupplyException("signature: it does not verify over the artifact with the signer's key");
    }

    private static byte[] VerifyDsse(DsseEnvelope envelope, ArtifactInput artifact, SigstorePublicKey key)
    {
        if (envelope.Signatures.Count != 1) throw new SupplyException($"bundle: the DSSE envelope must hold exactly one signature, not {envelope.Signatures.Count}");
        var signature = envelope.Signatures[0].Sig;
        if (!key.VerifyMessage(DsseEnvelope.Pae(envelope.PayloadType, envelope.Payload), signature))
            throw new SupplyException("signature: the DSSE envelope's signature does not verify with the signer's key");
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType) throw new SupplyException($"bundle: unsupported DSSE payload type '{envelope.PayloadType}'");
        RequireSubject(envelope.Payload, artifact);
        return signature;
    }

    /// <summary>An in-toto statement's subjects must include the artifact's SHA-256 or SHA-512 (whichever is known; a
    /// subject naming both must match in both, so one right digest cannot carry a wrong other).</summary>
    private static void RequireSubject(byte[] payload, ArtifactInput artifact)
    {
        using var doc = SigstoreJson.Parse(payload, "in-toto statement");
        var statement = doc.RootElement;
        var type = SigstoreJson.String(statement, "_type", "in-toto statement");
        if (type is not (InTotoStatementV01 or InTotoStatementV1)) throw new SupplyException($"in-toto statement: unsupported type '{type}'");
        var hex256 = artifact.Sha256.Length == 0 ? null : Convert.ToHexStringLower(artifact.Sha256);
        var hex512 = artifact.Sha512 is { Length: > 0 } s512 ? Convert.ToHexStringLower(s512) : null;
        foreach (var subject in SigstoreJson.Array(statement, "subject", "in-toto statement", 10_000))
        {
            if (subject.ValueKind != JsonValueKind.Object) throw new SupplyException("in-toto statement: a subject is not an object");
            if (SigstoreJson.Object(subject, "digest", "in-toto statement subject") is not { } digest) continue;
            var v256 = SigstoreJson.String(digest, "sha256", "in-toto statement subject");
            var v512 = SigstoreJson.String(digest, "sha512", "in-toto statement subject");
            bool? Match(string? stated, string? known) => stated is null || known is null ? null : stated.Equals(known, StringComparison.OrdinalIgnoreCase);
            var m256 = Match(v256, hex256);
            var m512 = Match(v512, hex512);
            if ((m256 ?? m512) is true && m256 is not false && m512 is not false) return;
        }
        throw new SupplyException("in-toto statement: no subject has the artifact's digest");
    }
}
