using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// Keyless image signatures in a real registry: a private Sigstore made in the test (CA with SCTs, Rekor-like log
/// with SETs and signed checkpoints; real ECDSA throughout) signs, the unchanged verifier decides, both of cosign's
/// layouts. Policy's <c>identities:</c> and <c>provenance:</c> allow the matching signer and deny any other.
/// </summary>
[Collection(SupplyRegistryCollection.Name)]
public sealed class KeylessImageTests(SupplyRegistryFixture fixture) : IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Release = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
    private static readonly TestIdentity ReleaseSigner = new(Release, Issuer, new Dictionary<string, string>
    {
        ["1.3.6.1.4.1.57264.1.12"] = "https://github.com/acme/web",
        ["1.3.6.1.4.1.57264.1.14"] = "refs/heads/main",
        ["1.3.6.1.4.1.57264.1.5"] = "acme/web",
    });

    private readonly TestSigstore _sigstore = new();
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        _sigstore.Dispose();
        _dir.Dispose();
    }

    private TrustedRoot Root => TrustedRoot.Parse(_sigstore.TrustedRootJson(), "test root");

    private KeylessTrust Trust(string subject = Release, string issuer = Issuer) =>
        new(Root, [new TrustedIdentity(subject, new IdentityPolicy(subject, null, issuer, null))]);

    private async Task<(ImageSigning Signing, ResolvedImage Image)> PushAsync(string repo)
    {
        await fixture.PushAsync($"{repo}:1", repo + Guid.NewGuid());
        var signing = new ImageSigning(fixture.Client());
        return (signing, await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/{repo}:1"), CancellationToken.None));
    }

    /// <summary>cosign 3's keyless image signature: a DSSE statement of the cosign sign predicate, as a referrer bundle.</summary>
    private async Task SignBundleAsync(ImageSigning signing, ResolvedImage image, TestIdentity who, TestSigstore? by = null, string predicateType = PredicateTypes.CosignSign, JsonNode? predicate = null)
    {
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, predicateType, predicate ?? new JsonObject());
        await signing.AttachBundleAsync(image, (by ?? _sigstore).SignDsse(DsseEnvelope.InTotoPayloadType, statement, who), predicateType, CancellationToken.None);
    }

    /// <summary>cosign 2's keyless layout: the simple-signing payload in the .sig manifest, certificate and Rekor bundle as annotations.</summary>
    private async Task SignLegacyAsync(ImageSigning signing, ResolvedImage image, TestIdentity who, Func<LegacyKeylessSignature, LegacyKeylessSignature>? tamper = null)
    {
        var payload = SimpleSigning.Payload(image.RepositoryName, image.Digest);
        var signed = _sigstore.SignLegacy(payload, who);
        signed = tamper?.Invoke(signed) ?? signed;
        await signing.AppendLegacyLayerAsync(image, "sig", payload, SimpleSigning.MediaType, new Dictionary<string, string>
        {
            [SimpleSigning.SignatureAnnotation] = signed.SignatureBase64,
            [ImageSigning.CertificateAnnotation] = signed.CertificatePem,
            [ImageSigning.ChainAnnotation] = signed.ChainPem,
            [ImageSigning.RekorBundleAnnotation] = signed.RekorBundle,
        }, CancellationToken.None);
    }

    [Fact]
    public async Task A_keyless_referrer_bundle_verifies_under_its_identity_and_not_another()
    {
        var (signing, image) = await PushAsync("keyless/bundle");
        await SignBundleAsync(signing, image, ReleaseSigner);

        var ok = Assert.Single(await signing.VerifyKeylessSignaturesAsync(image, Trust(), CancellationToken.None));
        Assert.True(ok.Verified, ok.Failure);
        Assert.Equal(SignatureFormat.Bundle, ok.Format);
        Assert.Equal("https://github.com/acme/web", ok.Signer!.Extensions["sourceRepositoryURI"]);

        var other = Assert.Single(await signing.VerifyKeylessSignaturesAsync(image, Trust("https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main"), CancellationToken.None));
        Assert.False(other.Verified);
        Assert.Contains("identity: the certificate names " + Release, other.Failure, StringComparison.Ordinal);

        var otherIssuer = Assert.Single(await signing.VerifyKeylessSignaturesAsync(image, Trust(issuer: "https://accounts.google.com"), CancellationToken.None));
        Assert.Contains("OIDC issuer", otherIssuer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyless_legacy_signature_verifies_and_tampering_is_refused()
    {
        var (signing, image) = await PushAsync("keyless/legacy");
        await SignLegacyAsync(signing, image, ReleaseSigner);
        var check = Assert.Single(await signing.VerifyKeylessSignaturesAsync(image, Trust(), CancellationToken.None));
        Assert.True(check.Verified, check.Failure);
        Assert.Equal(SignatureFormat.Legacy, check.Format);

        // Another layer whose signature is one bit off; and one whose SET was made for another entry.
        var (signing2, image2) = await PushAsync("keyless/legacy-tampered");
        await SignLegacyAsync(signing2, image2, ReleaseSigner, s =>
        {
            var sig = Convert.FromBase64String(s.SignatureBase64);
            sig[^3] ^= 1;
            return s with { SignatureBase64 = Convert.ToBase64String(sig) };
        });
        var other = _sigstore.SignLegacy("{}"u8.ToArray(), ReleaseSigner);
        await SignLegacyAsync(signing2, image2, ReleaseSigner, s => s with { RekorBundle = other.RekorBundle });
        var checks = await signing2.VerifyKeylessSignaturesAsync(image2, Trust(), CancellationToken.None);
        Assert.Equal(2, checks.Count);
        Assert.All(checks, c => Assert.False(c.Verified));
        Assert.Contains(checks, c => c.Failure!.StartsWith("signature:", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Failure!.StartsWith("log entry:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signature_from_another_sigstore_or_for_another_image_does_not_count()
    {
        var (signing, image) = await PushAsync("keyless/foreign");
        using var foreign = new TestSigstore("foreign");
        await SignBundleAsync(signing, image, ReleaseSigner, foreign);
        var check = Assert.Single(await signing.VerifyKeylessSignaturesAsync(image, Trust(), CancellationToken.None));
        Assert.False(check.Verified);
        Assert.StartsWith("log entry: log ", check.Failure, StringComparison.Ordinal);

        // A genuine bundle for image A attached to image B: its statement's subject is A's digest.
        var (signingB, imageB) = await PushAsync("keyless/other");
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, PredicateTypes.CosignSign, new JsonObject());
        await signingB.AttachBundleAsync(imageB, _sigstore.SignDsse(DsseEnvelope.InTotoPayloadType, statement, ReleaseSigner), PredicateTypes.CosignSign, CancellationToken.None);
        var moved = Assert.Single(await signingB.VerifyKeylessSignaturesAsync(imageB, Trust(), CancellationToken.None));
        Assert.False(moved.Verified);
        Assert.Contains("no subject has the artifact's digest", moved.Failure, StringComparison.Ordinal);
    }

    private SupplyPolicy Policy(string rule)
    {
        var root = _sigstore.WriteTrustedRoot(_dir.Path);
        var yaml = $"apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\ntrustedRoot: {Path.GetFileName(root)}\nimages:\n{rule}";
        return SupplyPolicy.Parse(yaml, "policy.yaml", _dir.Path);
    }

    private PolicyEngine Engine(SupplyPolicy policy) => new(policy, new ImageSigning(fixture.Client()), new NoPodSecurity(), TimeSpan.FromMinutes(1));

    private sealed class NoPodSecurity : IPodSecurityEvaluator
    {
        public IReadOnlyList<string> Violations(JsonObject podSpec, JsonObject? podMetadata, PodSecurityLevel level) => [];
    }

    [Fact]
    public async Task Policy_identities_allow_the_matching_signer_and_deny_another()
    {
        var (signing, image) = await PushAsync("keyless/policy");
        await SignBundleAsync(signing, image, ReleaseSigner);
        var text = $"{fixture.Host}/keyless/policy:1";

        var allowed = await Engine(Policy($"""
              - name: web
                match: ["*/keyless/**"]
                identities:
                  - subjectRegExp: ^https://github\.com/acme/web/\.github/workflows/release\.yml@refs/heads/main$
                    issuer: {Issuer}
                    extensions:
                      sourceRepositoryRef: refs/heads/main
            """)).CheckImageAsync(text, CancellationToken.None);
        Assert.True(allowed.Allowed, allowed.FirstFailure?.Reason);
        Assert.Contains(allowed.Verdicts, v => v.Rule == "web: identities" && v.Reason.StartsWith("signed keylessly by ", StringComparison.Ordinal));
        Assert.Equal($"{fixture.Host}/keyless/policy@{image.Digest}", allowed.Pins[text]);

        var denied = await Engine(Policy($"""
              - name: web
                match: ["*/keyless/**"]
                identities:
                  - subject: https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main
                    issuer: {Issuer}
            """)).CheckImageAsync(text, CancellationToken.None);
        Assert.False(denied.Allowed);
        Assert.Equal("web: identities", denied.FirstFailure!.Rule);
        Assert.Contains("none counts: signed by " + Release, denied.FirstFailure.Reason, StringComparison.Ordinal);
        Assert.Empty(denied.Pins);

        var wrongRef = await Engine(Policy($"""
              - name: web
                match: ["*/keyless/**"]
                identities:
                  - subject: {Release}
                    issuer: {Issuer}
                    extensions:
                      sourceRepositoryRef: refs/heads/release
            """)).CheckImageAsync(text, CancellationToken.None);
        Assert.False(wrongRef.Allowed);
        Assert.Contains("sourceRepositoryRef is 'refs/heads/main'", wrongRef.FirstFailure!.Reason, StringComparison.Ordinal);
    }

    private static JsonObject SlsaV1(string builder, string repository, string reference) => new()
    {
        ["buildDefinition"] = new JsonObject
        {
            ["buildType"] = "https://actions.github.io/buildtypes/workflow/v1",
            ["externalParameters"] = new JsonObject { ["workflow"] = new JsonObject { ["ref"] = reference, ["repository"] = repository, ["path"] = ".github/workflows/release.yml" } },
            ["resolvedDependencies"] = new JsonArray(new JsonObject { ["uri"] = $"git+{repository}@{reference}" }),
        },
        ["runDetails"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = builder } },
    };

    private static JsonObject SlsaV02(string builder, string repository, string reference) => new()
    {
        ["builder"] = new JsonObject { ["id"] = builder },
        ["buildType"] = "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
        ["invocation"] = new JsonObject { ["configSource"] = new JsonObject { ["uri"] = $"git+{repository}@{reference}", ["entryPoint"] = ".github/workflows/release.yml" } },
    };

    [Fact]
    public async Task Provenance_v1_and_v02_is_evaluated_for_builder_source_ref_and_build_type()
    {
        const string Builder = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
        var (signing, image) = await PushAsync("keyless/provenance");
        await SignBundleAsync(signing, image, ReleaseSigner);
        await SignBundleAsync(signing, image, ReleaseSigner, predicateType: "https://slsa.dev/provenance/v1", predicate: SlsaV1(Builder, "https://github.com/acme/web", "refs/heads/main"));
        var (signing2, image2) = await PushAsync("keyless/provenance02");
        await SignBundleAsync(signing2, image2, ReleaseSigner);
        await SignBundleAsync(signing2, image2, ReleaseSigner, predicateType: "https://slsa.dev/provenance/v0.2", predicate: SlsaV02("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.9.0", "https://github.com/acme/web", "refs/tags/v2.0.0"));

        string Rule(string provenance) => $"""
              - name: web
                match: ["*/keyless/**"]
                identities:
                  - subject: {Release}
                    issuer: {Issuer}
                provenance:
            {provenance}
            """;
        var v1 = await Engine(Policy(Rule("""
                  builderId: https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main
                  sourceRepository: https://github.com/acme/web
                  ref: refs/heads/main
                  buildType: https://actions.github.io/buildtypes/workflow/v1
            """))).CheckImageAsync($"{fixture.Host}/keyless/provenance:1", CancellationToken.None);
        Assert.True(v1.Allowed, v1.FirstFailure?.Reason);
        Assert.Contains(v1.Verdicts, v => v.Rule == "web: provenance" && v.Reason.Contains("(SLSA v1,", StringComparison.Ordinal));

        var v02 = await Engine(Policy(Rule("""
                  builderIdRegExp: ^https://github\.com/slsa-framework/slsa-github-generator/
                  sourceRepository: https://github.com/acme/web
                  refRegExp: ^refs/tags/v
            """))).CheckImageAsync($"{fixture.Host}/keyless/provenance02:1", CancellationToken.None);
        Assert.True(v02.Allowed, v02.FirstFailure?.Reason);

        var fork = await Engine(Policy(Rule("""
                  sourceRepository: https://github.com/acme/web
                  ref: refs/heads/release
            """))).CheckImageAsync($"{fixture.Host}/keyless/provenance:1", CancellationToken.None);
        Assert.False(fork.Allowed);
        Assert.Equal("no verified provenance matches: ref is 'refs/heads/main', not refs/heads/release", fork.FirstFailure!.Reason);
    }

    [Fact]
    public void Malformed_identities_and_provenance_are_one_clear_error()
    {
        string Error(string rule) => Assert.Throws<SupplyException>(() => Policy(rule)).Message;
        Assert.Contains("needs issuer or issuerRegExp", Error("  - match: [\"x/*\"]\n    identities:\n      - subject: a\n"), StringComparison.Ordinal);
        Assert.Contains("unknown certificate extension 'repo'", Error("  - match: [\"x/*\"]\n    identities:\n      - subject: a\n        issuer: b\n        extensions: {repo: x}\n"), StringComparison.Ordinal);
        Assert.Contains("invalid regular expression", Error("  - match: [\"x/*\"]\n    identities:\n      - subjectRegExp: \"(\"\n        issuer: b\n"), StringComparison.Ordinal);
        Assert.Contains("need signatures.keys or identities", Error("  - match: [\"x/*\"]\n    provenance:\n      ref: main\n"), StringComparison.Ordinal);
        Assert.Contains("name at least one of builderId", Error("  - match: [\"x/*\"]\n    identities:\n      - subject: a\n        issuer: b\n    provenance: {}\n"), StringComparison.Ordinal);
        var bad = Path.Combine(_dir.Path, "bad_root.json");
        File.WriteAllText(bad, "[]");
        var e = Assert.Throws<SupplyException>(() => SupplyPolicy.Parse("apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\ntrustedRoot: bad_root.json\nimages:\n  - match: [\"x/*\"]\n    identities:\n      - subject: a\n        issuer: b\n", "policy.yaml", _dir.Path));
        Assert.StartsWith("policy.yaml: trustedRoot: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_message_signature_bundle_from_the_test_sigstore_verifies_with_verify_bundle_semantics()
    {
        var artifact = Encoding.UTF8.GetBytes("hello keyless");
        var bundle = SigstoreBundleDocument.Parse(_sigstore.SignMessage(artifact, ReleaseSigner));
        var result = new BundleVerifier(Root).VerifyKeyless(bundle, ArtifactInput.FromBytes(artifact), new IdentityPolicy(Release, null, Issuer, null));
        Assert.Equal("0.3", result.BundleVersion);
        Assert.Throws<SupplyException>(() => new BundleVerifier(TrustedRoot.Production()).VerifyKeyless(bundle, ArtifactInput.FromBytes(artifact), new IdentityPolicy(Release, null, Issuer, null)));
    }
}
