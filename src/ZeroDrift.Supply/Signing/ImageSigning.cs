using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Supply.Signing;

/// <summary>Which of cosign's two layouts a signature or attestation is stored in.</summary>
public enum SignatureFormat
{
    /// <summary>Sigstore bundle v0.3 attached through the OCI 1.1 referrers API (cosign 3's default).</summary>
    Bundle,
    /// <summary>Tag-based <c>sha256-&lt;hex&gt;.sig</c> / <c>.att</c> manifests (cosign 2).</summary>
    Legacy,
}

/// <summary>An image as signed: its reference and the descriptor of the manifest (or index) the reference resolved to.</summary>
public sealed record ResolvedImage(ImageReference Reference, Descriptor Descriptor)
{
    public string Digest => Descriptor.Digest;

    /// <summary>The repository name cosign puts in <c>docker-reference</c> and statement subjects (go-containerregistry's
    /// <c>Context().Name()</c>, which spells Docker Hub <c>index.docker.io</c>).</summary>
    public string RepositoryName => (Reference.Registry == ImageReference.DockerHub ? "index.docker.io" : Reference.Registry) + "/" + Reference.Repository;
}

/// <summary>A public key a verifier trusts, with the name it is reported under (usually its file).</summary>
public sealed record TrustedKey(string Name, ECDsa Key);

/// <summary>What a signing or attesting wrote to the registry.</summary>
public sealed record SignResult(ResolvedImage Image, SignatureFormat Format, string Location, string ManifestDigest);

/// <summary>One signature or attestation found for an image, and whether (and by which key) it verified.</summary>
/// <param name="Location">Where it was found: the <c>.sig</c>/<c>.att</c> tag and layer, or the referrer manifest digest.</param>
/// <param name="VerifiedBy">The name of the key that verified it, or null.</param>
/// <param name="Failure">Why it does not count, when it does not.</param>
/// <param name="Statement">For DSSE content, the statement (predicate type and predicate).</param>
/// <param name="Signer">For a keyless signature whose certificate verified, who the certificate names.</param>
public sealed record SignatureCheck(SignatureFormat Format, string Location, string? VerifiedBy, string? Failure, InTotoStatement? Statement, Sigstore.FulcioIdentity? Signer = null)
{
    public bool Verified => VerifiedBy is not null && Failure is null;
}

/// <summary>
/// Signs images and attaches attestations in a registry the way cosign's key-pair mode does, and finds and verifies
/// both layouts. Everything read back is digest-verified by the registry client; a signature counts only when its key
/// verifies it and its payload names the image's digest and repository.
/// </summary>
public sealed partial class ImageSigning(RegistryClient client)
{
    private const long MaxBlobBytes = 16 << 20;

    /// <summary>Most signatures or attestations read per layout: a registry cannot make verification unbounded.</summary>
    private const int MaxEntries = 256;
    private const string EmptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    private const string EmptyMediaType = "application/vnd.oci.empty.v1+json";
    public const string PredicateTypeAnnotation = "predicateType";
    public const string BundleContentAnnotation = "dev.sigstore.bundle.content";
    public const string BundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    public RegistryClient Client => client;

    public async Task<ResolvedImage> ResolveAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var manifest = await client.GetManifestAsync(reference.RepositoryRef, reference.ManifestReference, cancellationToken).ConfigureAwait(false);
        return new ResolvedImage(reference, manifest.Descriptor);
    }

    public static string LegacyTag(string digest, string suffix) => RegistryClient.ReferrersTag(digest) + "." + suffix;

    public async Task<SignResult> SignAsync(ResolvedImage image, ECDsa key, SignatureFormat format, CancellationToken cancellationToken)
    {
        if (format == SignatureFormat.Legacy)
        {
            var payload = SimpleSigning.Payload(image.RepositoryName, image.Digest);
            var signature = Ecdsa.Sign(key, payload);
            return await AppendLegacyLayerAsync(image, "sig", payload, SimpleSigning.MediaType,
                new Dictionary<string, string> { [SimpleSigning.SignatureAnnotation] = Convert.ToBase64String(signature) }, cancellationToken).ConfigureAwait(false);
        }
        return await AttachBundleAsync(image, key, PredicateTypes.CosignSign, new JsonObject(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<SignResult> AttestAsync(ResolvedImage image, ECDsa key, string predicateType, JsonNode predicate, SignatureFormat format, CancellationToken cancellationToken)
    {
        if (format == SignatureFormat.Bundle)
            return await AttachBundleAsync(image, key, predicateType, predicate, cancellationToken).ConfigureAwait(false);
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, predicateType, predicate);
        var envelope = DsseEnvelope.Sign(DsseEnvelope.InTotoPayloadType, statement, key);
        var blob = Json.Bytes(envelope.ToJson());
        return await AppendLegacyLayerAsync(image, "att", blob, DsseEnvelope.MediaType, new Dictionary<string, string>
        {
            [SimpleSigning.SignatureAnnotation] = "",
            [PredicateTypeAnnotation] = predicateType,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A referrer manifest as cosign 3 writes one: the bundle as its only layer, the empty config, the image as subject.</summary>
    private async Task<SignResult> AttachBundleAsync(ResolvedImage image, ECDsa key, string predicateType, JsonNode predicate, CancellationToken cancellationToken)
    {
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, predicateType, predicate);
        var envelope = DsseEnvelope.Sign(DsseEnvelope.InTotoPayloadType, statement, key);
        return await AttachBundleAsync(image, SigstoreBundle.Create(envelope, Keys.SigningKeys.Hint(key)), predicateType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Attaches a Sigstore bundle (made here or by a keyless signer) to the image as an OCI referrer.</summary>
    public async Task<SignResult> AttachBundleAsync(ResolvedImage image, byte[] bundle, string predicateType, CancellationToken cancellationToken)
    {
        var repository = image.Reference.RepositoryRef;
        var layer = await client.PushBlobAsync(repository, bundle, SigstoreBundle.MediaType, cancellationToken).ConfigureAwait(false);
        await client.PushBlobAsync(repository, "{}"u8.ToArray(), EmptyMediaType, cancellationToken).ConfigureAwait(false);
        var annotations = new Dictionary<string, string>
        {
            [BundleContentAnnotation] = "dsse-envelope",
            [BundlePredicateTypeAnnotation] = predicateType,
            ["org.opencontainers.image.created"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["artifactType"] = SigstoreBundle.MediaType,
            ["config"] = new JsonObject { ["mediaType"] = EmptyMediaType, ["digest"] = EmptyDigest, ["size"] = 2 },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = SigstoreBundle.MediaType, ["digest"] = layer.Digest, ["size"] = layer.Size }),
            ["subject"] = new JsonObject { ["mediaType"] = image.Descriptor.MediaType, ["digest"] = image.Digest, ["size"] = image.Descriptor.Size },
            ["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))),
        };
        var bytes = Json.Bytes(manifest);
        var pushed = await client.PushReferrerAsync(repository, image.Digest, bytes, SigstoreBundle.MediaType, annotations, cancellationToken).ConfigureAwait(false);
        return new SignResult(image, SignatureFormat.Bundle, pushed.SubjectAccepted ? "referrers API" : RegistryClient.ReferrersTag(image.Digest) + " (referrers tag schema)", pushed.Descriptor.Digest);
    }

    /// <summary>Adds a layer to the <c>sha256-&lt;hex&gt;.sig</c> or <c>.att</c> manifest, keeping the layers already there (signatures accumulate).</summary>
    public async Task<SignResult> AppendLegacyLayerAsync(ResolvedImage image, string suffix, byte[] blob, string mediaType,
        Dictionary<string, string> annotations, CancellationToken cancellationToken)
    {
        var repository = image.Reference.RepositoryRef;
        var tag = LegacyTag(image.Digest, suffix);
        var layers = new JsonArray();
        try
        {
            var existing = await client.GetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            if (JsonNode.Parse(existing.Content) is JsonObject old && old["layers"] is JsonArray list) layers = (JsonArray)list.DeepClone();
        }
        catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound) { }
        var descriptor = await client.PushBlobAsync(repository, blob, mediaType, cancellationToken).ConfigureAwait(false);
        var layer = new JsonObject
        {
            ["mediaType"] = mediaType,
            ["size"] = descriptor.Size,
            ["digest"] = descriptor.Digest,
            ["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))),
        };
        if (!layers.Any(l => JsonNode.DeepEquals(l, layer))) layers.Add(layer);

        // The config go-containerregistry gives an empty image with these layers appended, as cosign pushes it.
        var diffIds = layers.Select(l => (JsonNode?)JsonValue.Create(l?["digest"]?.GetValue<string>())).ToArray();
        var config = new JsonObject
        {
            ["architecture"] = "",
            ["created"] = "0001-01-01T00:00:00Z",
            ["history"] = new JsonArray(layers.Select(_ => (JsonNode?)new JsonObject { ["created"] = "0001-01-01T00:00:00Z" }).ToArray()),
            ["os"] = "",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds) },
            ["config"] = new JsonObject(),
        };
        var configBlob = await client.PushBlobAsync(repository, Json.Bytes(config), MediaTypes.OciConfig, cancellationToken).ConfigureAwait(false);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = MediaTypes.OciConfig, ["size"] = configBlob.Size, ["digest"] = configBlob.Digest },
            ["layers"] = layers,
        };
        var pushed = await client.PushManifestAsync(repository, tag, Json.Bytes(manifest), MediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
        return new SignResult(image, SignatureFormat.Legacy, tag, pushed.Descriptor.Digest);
    }

    /// <summary>Every signature of the image in both layouts, each checked against every trusted key.</summary>
    public async Task<IReadOnlyList<SignatureCheck>> VerifySignaturesAsync(ResolvedImage image, IReadOnlyList<TrustedKey> keys, CancellationToken cancellationToken)
    {
        // Both layouts are looked up at once: verification latency is one lookup chain, not two.
        var legacy = LegacyLayersAsync(image, "sig", SimpleSigning.MediaType, cancellationToken);
        var bundles = BundlesAsync(image, keys, cancellationToken);
        await Task.WhenAll(legacy, bundles).ConfigureAwait(false);
        var checks = new List<SignatureCheck>();
        foreach (var (location, layer, blob) in await legacy.ConfigureAwait(false))
            checks.Add(CheckSimpleSigning(image, keys, location, layer, blob));
        checks.AddRange((await bundles.ConfigureAwait(false)).Where(c => c.Statement is null || c.Statement.PredicateType == PredicateTypes.CosignSign));
        return checks;
    }

    private static SignatureCheck CheckSimpleSigning(ResolvedImage image, IReadOnlyList<TrustedKey> keys, string location, Descriptor layer, byte[] blob)
    {
        var encoded = layer.Annotations?.GetValueOrDefault(SimpleSigning.SignatureAnnotation);
        byte[] signature;
        try { signature = Convert.FromBase64String(encoded ?? ""); }
        catch (FormatException) { return new(SignatureFormat.Legacy, location, null, "the signature annotation is not base64", null); }
        var key = keys.FirstOrDefault(k => Ecdsa.Verify(k.Key, blob, signature));
        if (key is null) return new(SignatureFormat.Legacy, location, null, signature.Length == 0 ? "no signature" : "no trusted key verifies the signature", null);
        return new(SignatureFormat.Legacy, location, key.Name, SimpleSigningFailure(image, blob, location), null);
    }

    /// <summary>Why a verified simple-signing payload does not count for this image, or null when it names it.</summary>
    private static string? SimpleSigningFailure(ResolvedImage image, byte[] blob, string location)
    {
        SimpleSigning.Claims claims;
        try { claims = SimpleSigning.Parse(blob, location); }
        catch (SupplyException e) { return e.Message; }
        return claims.Digest != image.Digest ? $"the payload names digest {claims.Digest}, not {image.Digest}"
            : claims.Type != SimpleSigning.Type ? $"the payload type is '{claims.Type}'"
            : !SameRepository(claims.DockerReference, image) ? $"the payload names repository {claims.DockerReference}, not {image.RepositoryName}"
            : null;
    }

    /// <summary>Every attestation of the image in both layouts (optionally of one predicate type), each checked.</summary>
    public async Task<IReadOnlyList<SignatureCheck>> VerifyAttestationsAsync(ResolvedImage image, IReadOnlyList<TrustedKey> keys, string? predicateType, CancellationToken cancellationToken)
    {
        var legacy = LegacyLayersAsync(image, "att", DsseEnvelope.MediaType, cancellationToken);
        var bundles = BundlesAsync(image, keys, cancellationToken);
        await Task.WhenAll(legacy, bundles).ConfigureAwait(false);
        var checks = new List<SignatureCheck>();
        foreach (var (location, _, blob) in await legacy.ConfigureAwait(false))
        {
            try
            {
                var envelope = DsseEnvelope.FromJson(JsonNode.Parse(blob, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }), location);
                checks.Add(CheckEnvelope(SignatureFormat.Legacy, location, envelope, image, keys));
            }
            catch (Exception e) when (e is SupplyException or JsonException)
            {
                checks.Add(new(SignatureFormat.Legacy, location, null, e.Message, null));
            }
        }
        checks.AddRange((await bundles.ConfigureAwait(false)).Where(c => c.Statement?.PredicateType != PredicateTypes.CosignSign));
        return predicateType is null ? checks : checks.Where(c => c.Statement?.PredicateType == predicateType).ToList();
    }

    private static SignatureCheck CheckEnvelope(SignatureFormat format, string location, DsseEnvelope envelope, ResolvedImage image, IReadOnlyList<TrustedKey> keys)
    {
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType)
            return new(format, location, null, $"payload type '{envelope.PayloadType}' is not in-toto", null);
        var key = keys.FirstOrDefault(k => envelope.VerifiedBy(k.Key));
        InTotoStatement statement;
        try { statement = InTotoStatement.Parse(envelope.Payload, location); }
        catch (SupplyException e) { return new(format, location, key?.Name, e.Message, null); }
        if (key is null) return new(format, location, null, "no trusted key verifies the DSSE signature", statement);
        if (!statement.HasSubject(image.Digest))
            return new(format, location, key.Name, $"the statement's subject is not {image.Digest}", statement);
        return new(format, location, key.Name, null, statement);
    }

    private async Task<List<(string Location, Descriptor Layer, byte[] Blob)>> LegacyLayersAsync(ResolvedImage image, string suffix, string mediaType, CancellationToken cancellationToken)
    {
        var repository = image.Reference.RepositoryRef;
        var tag = LegacyTag(image.Digest, suffix);
        RegistryManifest manifest;
        try
        {
            manifest = await client.GetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return [];
        }
        var layers = Layers(manifest.Content, tag).Select((layer, i) => (Layer: layer, Index: i + 1)).Where(l => l.Layer.MediaType == mediaType).Take(MaxEntries).ToList();
        var blobs = await Task.WhenAll(layers.Select(l => client.GetBlobAsync(repository, l.Layer, MaxBlobBytes, cancellationToken))).ConfigureAwait(false);
        return layers.Select((l, i) => ($"{tag} layer {l.Index}", l.Layer, blobs[i])).ToList();
    }

    private Task<List<SignatureCheck>> BundlesAsync(ResolvedImage image, IReadOnlyList<TrustedKey> keys, CancellationToken cancellationToken) =>
        BundlesAsync(image, (location, blob) => CheckEnvelope(SignatureFormat.Bundle, location, SigstoreBundle.Envelope(blob, location), image, keys), cancellationToken);

    /// <summary>Every Sigstore bundle attached to the image as an OCI referrer, each judged by <paramref name="check"/>.</summary>
    private async Task<List<SignatureCheck>> BundlesAsync(ResolvedImage image, Func<string, byte[], SignatureCheck> check, CancellationToken cancellationToken)
    {
        var referrers = await client.GetReferrersAsync(image.Reference.RepositoryRef, image.Digest, SigstoreBundle.MediaType, cancellationToken).ConfigureAwait(false);
        var checks = await Task.WhenAll(referrers.Referrers.Take(MaxEntries).Select(r => CheckBundleAsync(image, check, r, cancellationToken))).ConfigureAwait(false);
        return [.. checks];
    }

    private async Task<SignatureCheck> CheckBundleAsync(ResolvedImage image, Func<string, byte[], SignatureCheck> check, Descriptor referrer, CancellationToken cancellationToken)
    {
        var repository = image.Reference.RepositoryRef;
        var location = $"referrer {referrer.Digest}";
        try
        {
            var manifest = await client.GetManifestAsync(repository, referrer.Digest, cancellationToken).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(manifest.Content, new JsonDocumentOptions { MaxDepth = 32 });
            var subject = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.Object
                && s.TryGetProperty("digest", out var sd) && sd.ValueKind == JsonValueKind.String ? sd.GetString() : null;
            if (subject != image.Digest) return new(SignatureFormat.Bundle, location, null, $"its subject is {subject ?? "missing"}, not {image.Digest}", null);
            var layer = Layers(manifest.Content, location).FirstOrDefault(l => l.MediaType == SigstoreBundle.MediaType);
            if (layer is null) return new(SignatureFormat.Bundle, location, null, "no bundle layer", null);
            var blob = await client.GetBlobAsync(repository, layer, MaxBlobBytes, cancellationToken).ConfigureAwait(false);
            return check(location, blob);
        }
        catch (Exception e) when (e is Artifacts.ArtifactException or JsonException)
        {
            // One unreadable referrer (deleted, malformed) does not hide the others.
            return new(SignatureFormat.Bundle, location, null, e.Message, null);
        }
    }

    private static List<Descriptor> Layers(byte[] manifest, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(manifest, new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new SupplyException($"{what}: not an image manifest");
            return layers.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.Object).Select(l => DescriptorOf(l, what)).ToList();
        }
        catch (JsonException e)
        {
            throw new SupplyException($"{what}: malformed manifest ({e.Message})", e);
        }
    }

    private static Descriptor DescriptorOf(JsonElement e, string what)
    {
        var digest = e.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : throw new SupplyException($"{what}: layer without a digest");
        Artifacts.Images.Oci.Digest.Parse(digest);
        var annotations = e.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
            ? a.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.String).ToDictionary(x => x.Name, x => x.Value.GetString()!)
            : null;
        return new Descriptor(
            e.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "",
            digest,
            e.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1,
            Annotations: annotations);
    }

    private static bool SameRepository(string dockerReference, ResolvedImage image)
    {
        if (dockerReference.Length == 0) return false;
        try
        {
            var named = ImageReference.Parse(dockerReference);
            return named.Registry == image.Reference.Registry && named.Repository == image.Reference.Repository;
        }
        catch (Artifacts.ArtifactException)
        {
            return false;
        }
    }

    public static string Describe(SignatureCheck check) => check.Verified
        ? $"{check.Location}: verified by {check.VerifiedBy}"
        : $"{check.Location}: {check.Failure}";
}
