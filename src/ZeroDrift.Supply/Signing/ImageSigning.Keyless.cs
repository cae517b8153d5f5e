using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Signing;

/// <summary>An identity a verifier trusts for keyless signatures, with the name it is reported under.</summary>
public sealed record TrustedIdentity(string Name, IdentityPolicy Policy);

/// <summary>What keyless verification trusts: a Sigstore root (Fulcio, Rekor, CT logs) and the identities accepted.</summary>
public sealed record KeylessTrust(TrustedRoot Root, IReadOnlyList<TrustedIdentity> Identities);

/// <summary>
/// Keyless (Fulcio certificate) signatures and attestations of an image, in both of cosign's layouts: a Sigstore
/// bundle attached as an OCI referrer (cosign 3), and a <c>sha256-&lt;hex&gt;.sig</c>/<c>.att</c> layer whose
/// annotations carry the certificate (<c>dev.sigstore.cosign/certificate</c>) and the Rekor entry
/// (<c>dev.sigstore.cosign/bundle</c>: SET and body, cosign 2). Both go through the same <see cref="BundleVerifier"/>
/// as <c>verify-bundle</c>: the legacy layer is read as the v0.1 bundle it is equivalent to.
/// </summary>
public sealed partial class ImageSigning
{
    public const string CertificateAnnotation = "dev.sigstore.cosign/certificate";
    public const string ChainAnnotation = "dev.sigstore.cosign/chain";
    public const string RekorBundleAnnotation = "dev.sigstore.cosign/bundle";

    public async Task<IReadOnlyList<SignatureCheck>> VerifyKeylessSignaturesAsync(ResolvedImage image, KeylessTrust trust, CancellationToken cancellationToken)
    {
        var legacy = LegacyLayersAsync(image, "sig", SimpleSigning.MediaType, cancellationToken);
        var bundles = BundlesAsync(image, (location, blob) => CheckKeylessBundle(location, blob, image, trust), cancellationToken);
        await Task.WhenAll(legacy, bundles).ConfigureAwait(false);
        var checks = new List<SignatureCheck>();
        foreach (var (location, layer, blob) in await legacy.ConfigureAwait(false))
        {
            var check = CheckKeylessLayer(location, layer, blob, image, trust, dsse: false);
            checks.Add(check.Failure is null && check.VerifiedBy is not null && SimpleSigningFailure(image, blob, location) is { } failure ? check with { Failure = failure } : check);
        }
        checks.AddRange((await bundles.ConfigureAwait(false)).Where(c => c.Statement is null || c.Statement.PredicateType == PredicateTypes.CosignSign));
        return checks;
    }

    public async Task<IReadOnlyList<SignatureCheck>> VerifyKeylessAttestationsAsync(ResolvedImage image, KeylessTrust trust, string? predicateType, CancellationToken cancellationToken)
    {
        var legacy = LegacyLayersAsync(image, "att", DsseEnvelope.MediaType, cancellationToken);
        var bundles = BundlesAsync(image, (location, blob) => CheckKeylessBundle(location, blob, image, trust), cancellationToken);
        await Task.WhenAll(legacy, bundles).ConfigureAwait(false);
        var checks = (await legacy.ConfigureAwait(false)).Select(l => CheckKeylessLayer(l.Location, l.Layer, l.Blob, image, trust, dsse: true)).ToList();
        checks.AddRange((await bundles.ConfigureAwait(false)).Where(c => c.Statement is not null && c.Statement.PredicateType != PredicateTypes.CosignSign));
        return predicateType is null ? checks : checks.Where(c => c.Statement?.PredicateType == predicateType).ToList();
    }

    private static SignatureCheck CheckKeylessBundle(string location, byte[] blob, ResolvedImage image, KeylessTrust trust)
    {
        SigstoreBundleDocument bundle;
        try { bundle = SigstoreBundleDocument.Parse(blob); }
        catch (SupplyException e) { return new(SignatureFormat.Bundle, location, null, e.Message, null); }
        return Judge(SignatureFormat.Bundle, location, bundle, ImageDigest(image), trust);
    }

    /// <summary>A cosign 2 keyless layer: its annotations hold what a v0.1 bundle holds, so it is verified as one.</summary>
    private static SignatureCheck CheckKeylessLayer(string location, Descriptor layer, byte[] blob, ResolvedImage image, KeylessTrust trust, bool dsse)
    {
        try
        {
            var annotations = layer.Annotations ?? new Dictionary<string, string>();
            if (!annotations.TryGetValue(CertificateAnnotation, out var pem) || pem.Length == 0)
                return new(SignatureFormat.Legacy, location, null, "no certificate (not a keyless signature)", null);
            var leaf = Sigstore.Certificates.Parse(PemDer(pem, location), $"{location}: certificate");
            if (!annotations.TryGetValue(RekorBundleAnnotation, out var rekor))
                return new(SignatureFormat.Legacy, location, null, "no transparency log entry (dev.sigstore.cosign/bundle)", null);
            var entry = RekorEntry(rekor, location);
            SigstoreBundleDocument bundle;
            ArtifactInput artifact;
            if (dsse)
            {
                var envelope = DsseEnvelope.FromJson(JsonNode.Parse(blob, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }), location);
                bundle = new SigstoreBundleDocument("cosign legacy attestation", "0.1", leaf, false, null, [entry], [], null, envelope);
                artifact = ImageDigest(image);
            }
            else
            {
                var signature = Convert.FromBase64String(annotations.GetValueOrDefault(SimpleSigning.SignatureAnnotation) ?? "");
                bundle = new SigstoreBundleDocument("cosign legacy signature", "0.1", leaf, false, null, [entry], [],
                    new MessageSignature("SHA2_256", SHA256.HashData(blob), signature), null);
                artifact = ArtifactInput.FromBytes(blob);
            }
            return Judge(SignatureFormat.Legacy, location, bundle, artifact, trust);
        }
        catch (Exception e) when (e is SupplyException or JsonException or FormatException)
        {
            return new(SignatureFormat.Legacy, location, null, e is SupplyException ? e.Message : $"malformed keyless signature ({e.Message})", null);
        }
    }

    /// <summary>Verifies the bundle against the trusted root, then names the first trusted identity that accepts its signer.</summary>
    private static SignatureCheck Judge(SignatureFormat format, string location, SigstoreBundleDocument bundle, ArtifactInput artifact, KeylessTrust trust)
    {
        InTotoStatement? statement = null;
        try
        {
            if (bundle.Dsse is { } envelope) statement = InTotoStatement.Parse(envelope.Payload, location);
            if (bundle.Leaf is null) return new(format, location, null, "signed with a key, not keylessly", statement);
            var verified = new BundleVerifier(trust.Root).VerifyKeylessSigner(bundle, artifact);
            var signer = verified.Identity!;
            var match = trust.Identities.FirstOrDefault(i => i.Policy.Accepts(signer));
            if (match is null)
            {
                var why = trust.Identities.Count == 1 && trust.Identities[0].Policy.Problem() is null ? WhyNot(trust.Identities[0].Policy, signer) : "no trusted identity accepts it";
                return new(format, location, null, $"signed by {string.Join(", ", signer.SubjectAlternativeNames.Take(2))} (issuer {signer.Issuer ?? "none"}): {why}", statement, signer);
            }
            return new(format, location, match.Name, null, statement, signer);
        }
        catch (SupplyException e)
        {
            return new(format, location, null, e.Message, statement);
        }
    }

    private static string WhyNot(IdentityPolicy policy, FulcioIdentity signer)
    {
        try
        {
            policy.Require(signer);
            return "no trusted identity accepts it";
        }
        catch (SupplyException e)
        {
            return e.Message;
        }
    }

    private static ArtifactInput ImageDigest(ResolvedImage image)
    {
        var digest = image.Digest;
        if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71)
            throw new SupplyException($"keyless verification needs a sha256 manifest digest, not {digest}");
        return ArtifactInput.FromDigest(Convert.FromHexString(digest.AsSpan(7)));
    }

    /// <summary>cosign's <c>dev.sigstore.cosign/bundle</c>: <c>{"SignedEntryTimestamp": b64, "Payload": {"body": b64,
    /// "integratedTime": n, "logIndex": n, "logID": hex}}</c>; the kind and version come from the body itself.</summary>
    private static TlogEntry RekorEntry(string json, string location)
    {
        var what = $"{location}: {RekorBundleAnnotation}";
        using var doc = SigstoreJson.Parse(Encoding.UTF8.GetBytes(json), what);
        var root = doc.RootElement;
        var payload = SigstoreJson.RequiredObject(root, "Payload", what);
        var body = SigstoreJson.RequiredBase64(payload, "body", what);
        using var bodyDoc = SigstoreJson.Parse(body, what + " body");
        var logIdHex = SigstoreJson.RequiredString(payload, "logID", what);
        byte[] logId;
        try { logId = Convert.FromHexString(logIdHex); }
        catch (FormatException e) { throw new SupplyException($"{what}: logID is not hex", e); }
        var index = SigstoreJson.Int64(payload, "logIndex", what);
        var integrated = SigstoreJson.Int64(payload, "integratedTime", what);
        if (index < 0 || integrated < 0) throw new SupplyException($"{what}: negative log index or time");
        return new TlogEntry(index, logId,
            SigstoreJson.RequiredString(bodyDoc.RootElement, "kind", what), SigstoreJson.RequiredString(bodyDoc.RootElement, "apiVersion", what),
            integrated, SigstoreJson.RequiredBase64(root, "SignedEntryTimestamp", what), null, body);
    }

    private static byte[] PemDer(string pem, string location)
    {
        var lines = pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal));
        return SigstoreJson.Base64(string.Concat(lines), $"{location}: certificate");
    }
}
