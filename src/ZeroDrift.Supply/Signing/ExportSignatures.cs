using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Signing;

/// <summary>How a signed file (a vulnerability database export, a rule bundle) must be verified.</summary>
/// <param name="Key">A managed key whose bundles count, or null.</param>
/// <param name="Identity">A keyless signer whose bundles count (with <paramref name="Root"/>), or null.</param>
public sealed record FileTrust(SigstorePublicKey? Key, IdentityPolicy? Identity, TrustedRoot Root);

/// <summary>
/// Signatures over ZeroDrift's own inputs: a Sigstore bundle <c>FILE.sigstore.json</c> beside the file, made with a key
/// (<see cref="Sign"/>, a v0.3 bundle with a message signature, as cosign's sign-blob --new-bundle-format) or keylessly
/// elsewhere; verified with <see cref="BundleVerifier"/> over the file's bytes before the file is used.
/// </summary>
public static class ExportSignatures
{
    public const string Suffix = ".sigstore.json";
    private const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    public static string Sign(string file, ECDsa key)
    {
        var digest = ArtifactInput.FromFile(file).Sha256;
        var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var bundle = new JsonObject
        {
            ["mediaType"] = MediaType,
            ["verificationMaterial"] = new JsonObject { ["publicKey"] = new JsonObject { ["hint"] = Keys.SigningKeys.Hint(key) } },
            ["messageSignature"] = new JsonObject
            {
                ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(digest) },
                ["signature"] = Convert.ToBase64String(signature),
            },
        };
        var path = file + Suffix;
        File.WriteAllBytes(path, Json.Bytes(bundle));
        return path;
    }

    /// <summary>Verifies <c>FILE.sigstore.json</c> over the file; throws a <see cref="SupplyException"/> naming why not.</summary>
    public static BundleVerification Verify(string file, FileTrust trust)
    {
        var bundlePath = file + Suffix;
        if (!File.Exists(bundlePath)) throw new SupplyException($"unsigned: no {Path.GetFileName(bundlePath)} beside it");
        var bundle = SigstoreBundleDocument.Load(bundlePath);
        var verifier = new BundleVerifier(trust.Root);
        var artifact = ArtifactInput.FromFile(file);
        if (trust.Key is { } key && bundle.Leaf is null) return verifier.VerifyWithKey(bundle, artifact, key);
        if (trust.Identity is { } identity && bundle.Leaf is not null) return verifier.VerifyKeyless(bundle, artifact, identity);
        throw new SupplyException(bundle.Leaf is null ? "signed with a key, but no key is trusted (--key)" : "signed keylessly, but no identity is trusted (--certificate-identity/--certificate-oidc-issuer)");
    }
}
