using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

/// <summary>Sign → verify → tamper → verify fails, in both of cosign's layouts, against a real registry.</summary>
[Collection(SupplyRegistryCollection.Name)]
public sealed class SigningRegistryTests(SupplyRegistryFixture fixture)
{
    private static TrustedKey Trusted(ECDsa key, string name = "test.pub") => new(name, key);

    private async Task<(ImageSigning Signing, ResolvedImage Image)> PushAndResolveAsync(string repo, string marker)
    {
        await fixture.PushAsync($"{repo}:v1", marker);
        var signing = new ImageSigning(fixture.Client());
        var image = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/{repo}:v1"), CancellationToken.None);
        return (signing, image);
    }

    [Theory]
    [InlineData(SignatureFormat.Legacy)]
    [InlineData(SignatureFormat.Bundle)]
    public async Task Sign_verify_then_a_retagged_image_fails(SignatureFormat format)
    {
        var repo = $"sign/{format.ToString().ToLowerInvariant()}";
        var (signing, image) = await PushAndResolveAsync(repo, "original");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await signing.SignAsync(image, key, format, CancellationToken.None);
        var checks = await signing.VerifySignaturesAsync(image, [Trusted(key)], CancellationToken.None);
        var check = Assert.Single(checks);
        Assert.True(check.Verified, check.Failure);
        Assert.Equal(format, check.Format);
        Assert.Equal("test.pub", check.VerifiedBy);

        // Another key does not verify it.
        Assert.DoesNotContain(await signing.VerifySignaturesAsync(image, [Trusted(other, "other.pub")], CancellationToken.None), c => c.Verified);

        // Tamper: push a different image under the same tag. The tag now resolves to a digest nobody signed.
        await fixture.PushAsync($"{repo}:v1", "replaced");
        var replaced = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/{repo}:v1"), CancellationToken.None);
        Assert.NotEqual(image.Digest, replaced.Digest);
        Assert.DoesNotContain(await signing.VerifySignaturesAsync(replaced, [Trusted(key)], CancellationToken.None), c => c.Verified);
    }

    [Fact]
    public async Task Legacy_layout_is_cosigns_byte_for_byte_and_signatures_accumulate()
    {
        var (signing, image) = await PushAndResolveAsync("sign/layout", "layout");
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var b = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await signing.SignAsync(image, a, SignatureFormat.Legacy, CancellationToken.None);
        await signing.SignAsync(image, b, SignatureFormat.Legacy, CancellationToken.None);

        var tag = "sha256-" + image.Digest["sha256:".Length..] + ".sig";
        Assert.Equal(tag, result.Location);
        var client = signing.Client;
        var manifest = await client.GetManifestAsync(image.Reference.RepositoryRef, tag, CancellationToken.None);
        var root = JsonNode.Parse(manifest.Content)!;
        Assert.Equal(MediaTypes.OciManifest, root["mediaType"]!.GetValue<string>());
        Assert.Equal(MediaTypes.OciConfig, root["config"]!["mediaType"]!.GetValue<string>());
        var layers = root["layers"]!.AsArray();
        Assert.Equal(2, layers.Count);
        foreach (var layer in layers)
        {
            Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layer!["mediaType"]!.GetValue<string>());
            var signature = Convert.FromBase64String(layer["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>());
            Assert.Equal(0x30, signature[0]); // DER
            var payload = await client.GetBlobAsync(image.Reference.RepositoryRef, new Descriptor("", layer["digest"]!.GetValue<string>(), layer["size"]!.GetValue<long>()), 1 << 20, CancellationToken.None);
            Assert.Equal(
                $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{fixture.Host}/sign/layout\"}},\"image\":{{\"docker-manifest-digest\":\"{image.Digest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}",
                Encoding.UTF8.GetString(payload));
        }
        var checks = await signing.VerifySignaturesAsync(image, [Trusted(a, "a.pub"), Trusted(b, "b.pub")], CancellationToken.None);
        Assert.Equal(["a.pub", "b.pub"], checks.Select(c => c.VerifiedBy));
    }

    [Fact]
    public async Task An_altered_signature_annotation_fails()
    {
        var (signing, image) = await PushAndResolveAsync("sign/altered", "altered");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await signing.SignAsync(image, key, SignatureFormat.Legacy, CancellationToken.None);
        var client = signing.Client;
        var repo = image.Reference.RepositoryRef;
        var tag = ImageSigning.LegacyTag(image.Digest, "sig");
        var manifest = JsonNode.Parse((await client.GetManifestAsync(repo, tag, CancellationToken.None)).Content)!;
        // A valid signature, but over another image's payload: the layer's blob no longer matches it.
        var forged = Ecdsa.Sign(key, SimpleSigning.Payload($"{fixture.Host}/sign/altered", Digest.Sha256("another"u8)));
        manifest["layers"]![0]!["annotations"]!["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(forged);
        await client.PushManifestAsync(repo, tag, Encoding.UTF8.GetBytes(manifest.ToJsonString()), MediaTypes.OciManifest, CancellationToken.None);

        var check = Assert.Single(await signing.VerifySignaturesAsync(image, [Trusted(key)], CancellationToken.None));
        Assert.False(check.Verified);
        Assert.Equal("no trusted key verifies the signature", check.Failure);
    }

    [Fact]
    public async Task A_signature_copied_from_another_image_names_the_wrong_digest()
    {
        var (signing, image) = await PushAndResolveAsync("sign/copied", "copied");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var victim = await fixture.PushAsync("sign/copied:other", "other");
        var otherImage = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/sign/copied@{victim}"), CancellationToken.None);
        await signing.SignAsync(otherImage, key, SignatureFormat.Legacy, CancellationToken.None);
        // Copy the other image's .sig manifest under this image's .sig tag: a valid signature, for the wrong digest.
        var client = signing.Client;
        var repo = image.Reference.RepositoryRef;
        var sig = await client.GetManifestAsync(repo, ImageSigning.LegacyTag(victim, "sig"), CancellationToken.None);
        await client.PushManifestAsync(repo, ImageSigning.LegacyTag(image.Digest, "sig"), sig.Content, MediaTypes.OciManifest, CancellationToken.None);

        var check = Assert.Single(await signing.VerifySignaturesAsync(image, [Trusted(key)], CancellationToken.None));
        Assert.False(check.Verified);
        Assert.Contains($"names digest {victim}", check.Failure);
    }

    [Fact]
    public async Task Bundle_referrer_has_cosign_3s_layout()
    {
        var (signing, image) = await PushAndResolveAsync("sign/bundle-layout", "bundle");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await signing.SignAsync(image, key, SignatureFormat.Bundle, CancellationToken.None);
        var client = signing.Client;
        var repo = image.Reference.RepositoryRef;
        var manifest = JsonNode.Parse((await client.GetManifestAsync(repo, result.ManifestDigest, CancellationToken.None)).Content)!;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", manifest["artifactType"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.empty.v1+json", manifest["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", manifest["config"]!["digest"]!.GetValue<string>());
        Assert.Equal(image.Digest, manifest["subject"]!["digest"]!.GetValue<string>());
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", manifest["annotations"]!["dev.sigstore.bundle.predicateType"]!.GetValue<string>());
        var layer = manifest["layers"]![0]!;
        var bundle = JsonNode.Parse(await client.GetBlobAsync(repo, new Descriptor("", layer["digest"]!.GetValue<string>(), layer["size"]!.GetValue<long>()), 1 << 20, CancellationToken.None))!;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", bundle["mediaType"]!.GetValue<string>());
        Assert.Equal(Keys.SigningKeys.Hint(key), bundle["verificationMaterial"]!["publicKey"]!["hint"]!.GetValue<string>());
        var envelope = DsseEnvelope.FromJson(bundle["dsseEnvelope"], "bundle");
        Assert.Equal("application/vnd.in-toto+json", envelope.PayloadType);
        var statement = InTotoStatement.Parse(envelope.Payload, "statement");
        Assert.Equal(InTotoStatement.V1, statement.Type);
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", statement.PredicateType);
        Assert.True(statement.HasSubject(image.Digest));
        // The registry has no referrers API: the fallback index tag lists the referrer.
        var index = await client.GetManifestAsync(repo, RegistryClient.ReferrersTag(image.Digest), CancellationToken.None);
        Assert.Equal(result.ManifestDigest, RegistryClient.ParseIndex(index.Content, "index").Single().Digest);
    }

    [Theory]
    [InlineData(SignatureFormat.Legacy)]
    [InlineData(SignatureFormat.Bundle)]
    public async Task Attestations_round_trip_and_are_filtered_by_type(SignatureFormat format)
    {
        var (signing, image) = await PushAndResolveAsync($"attest/{format.ToString().ToLowerInvariant()}", "attest");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var sbom = new JsonObject { ["bomFormat"] = "CycloneDX", ["specVersion"] = "1.6" };
        await signing.AttestAsync(image, key, PredicateTypes.CycloneDx, sbom, format, CancellationToken.None);
        await signing.AttestAsync(image, key, PredicateTypes.Vuln, new JsonObject { ["scanner"] = new JsonObject { ["uri"] = "zerodrift" } }, format, CancellationToken.None);
        // A signature of the same image must not be mistaken for an attestation, nor the reverse.
        await signing.SignAsync(image, key, format, CancellationToken.None);

        var all = await signing.VerifyAttestationsAsync(image, [Trusted(key)], null, CancellationToken.None);
        Assert.Equal(2, all.Count);
        Assert.All(all, c => Assert.True(c.Verified, c.Failure));
        var cdx = Assert.Single(await signing.VerifyAttestationsAsync(image, [Trusted(key)], PredicateTypes.CycloneDx, CancellationToken.None));
        Assert.Equal("CycloneDX", cdx.Statement!.Predicate!["bomFormat"]!.GetValue<string>());
        Assert.Single(await signing.VerifySignaturesAsync(image, [Trusted(key)], CancellationToken.None));

        if (format == SignatureFormat.Legacy)
        {
            var manifest = JsonNode.Parse((await signing.Client.GetManifestAsync(image.Reference.RepositoryRef, ImageSigning.LegacyTag(image.Digest, "att"), CancellationToken.None)).Content)!;
            var layer = manifest["layers"]![0]!;
            Assert.Equal("application/vnd.dsse.envelope.v1+json", layer["mediaType"]!.GetValue<string>());
            Assert.Equal(PredicateTypes.CycloneDx, layer["annotations"]!["predicateType"]!.GetValue<string>());
        }
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.All(await signing.VerifyAttestationsAsync(image, [Trusted(other)], null, CancellationToken.None), c => Assert.False(c.Verified));
    }
}
