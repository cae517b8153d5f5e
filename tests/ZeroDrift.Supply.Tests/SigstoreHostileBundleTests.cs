using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// Bundles are attacker-controlled: a real bundle (sigstore-conformance's happy-path-v0.3, public-good instance)
/// verifies, and every tampered or hostile variant is refused with one line, never accepted and never a crash.
/// </summary>
public sealed class SigstoreHostileBundleTests
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private static readonly string Cases = Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");
    private static readonly byte[] Artifact = File.ReadAllBytes(Path.Combine(Cases, "a.txt"));
    private static readonly IdentityPolicy Policy = new(Identity, null, Issuer, null);

    private static JsonObject Happy() => JsonNode.Parse(File.ReadAllText(Path.Combine(Cases, "happy-path-v0.3", "bundle.sigstore.json")))!.AsObject();

    private static string Refusal(byte[] bundle, byte[]? artifact = null, IdentityPolicy? policy = null)
    {
        var e = Assert.Throws<SupplyException>(() => Verify(bundle, artifact, policy));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    private static BundleVerification Verify(byte[] bundle, byte[]? artifact = null, IdentityPolicy? policy = null) =>
        new BundleVerifier(TrustedRoot.Production()).VerifyKeyless(SigstoreBundleDocument.Parse(bundle), ArtifactInput.FromBytes(artifact ?? Artifact), policy ?? Policy);

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>Flips one bit of a base64 field and re-encodes it.</summary>
    private static string Flip(string base64, int index)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[index % bytes.Length] ^= 0x01;
        return Convert.ToBase64String(bytes);
    }

    [Fact]
    public void The_real_bundle_verifies_with_its_identity_and_log_entry()
    {
        var result = Verify(Bytes(Happy()));
        Assert.Equal("0.3", result.BundleVersion);
        Assert.Contains(Identity, result.Identity!.SubjectAlternativeNames);
        Assert.Equal(Issuer, result.Identity.Issuer);
        Assert.Single(result.LogIndexes);
    }

    [Fact]
    public void A_changed_artifact_signature_certificate_or_proof_is_refused()
    {
        Assert.Contains("digest", Refusal(Bytes(Happy()), [.. Artifact, (byte)'!']), StringComparison.Ordinal);

        var sig = Happy();
        sig["messageSignature"]!["signature"] = Flip(sig["messageSignature"]!["signature"]!.GetValue<string>(), 20);
        Refusal(Bytes(sig));

        var cert = Happy();
        // A byte inside the certificate's signature: still DER, no longer the certificate Fulcio issued and Rekor logged.
        var raw = cert["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>();
        cert["verificationMaterial"]!["certificate"]!["rawBytes"] = Flip(raw, Convert.FromBase64String(raw).Length - 5);
        Refusal(Bytes(cert));

        var proof = Happy();
        var hashes = proof["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]!.AsArray();
        hashes[0] = Flip(hashes[0]!.GetValue<string>(), 3);
        Assert.Contains("inclusion proof", Refusal(Bytes(proof)), StringComparison.Ordinal);

        var body = Happy();
        var entry = body["verificationMaterial"]!["tlogEntries"]![0]!;
        entry["canonicalizedBody"] = Flip(entry["canonicalizedBody"]!.GetValue<string>(), 40);
        Refusal(Bytes(body));

        var set = Happy();
        set["verificationMaterial"]!["tlogEntries"]![0]!["integratedTime"] = "1700000000";
        Assert.Contains("signed entry timestamp", Refusal(Bytes(set)), StringComparison.Ordinal);
    }

    [Fact]
    public void GitHub_workflow_extensions_are_read_and_matched_exactly_or_by_regexp()
    {
        var identity = Verify(Bytes(Happy())).Identity!;
        // The real Fulcio certificate carries both the legacy (raw text) and the v2 (DER UTF8String) extensions.
        Assert.Equal("sigstore-conformance/extremely-dangerous-public-oidc-beacon", identity.Extensions["githubWorkflowRepository"]);
        Assert.Equal("refs/heads/main", identity.Extensions["githubWorkflowRef"]);
        Assert.Equal("workflow_dispatch", identity.Extensions["githubWorkflowTrigger"]);
        Assert.Equal("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon", identity.Extensions["sourceRepositoryURI"]);
        Assert.Equal("refs/heads/main", identity.Extensions["sourceRepositoryRef"]);
        Assert.Equal("github-hosted", identity.Extensions["runnerEnvironment"]);
        Assert.Equal("workflow_dispatch", identity.Extensions["buildTrigger"]);
        Assert.Equal("public", identity.Extensions["sourceRepositoryVisibilityAtSigning"]);
        Assert.StartsWith("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/", identity.Extensions["buildSignerURI"], StringComparison.Ordinal);

        IdentityPolicy With(params ExtensionRequirement[] e) => new(Identity, null, Issuer, null, e);
        Verify(Bytes(Happy()), policy: With(new ExtensionRequirement("sourceRepositoryURI", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon", null),
            new ExtensionRequirement("sourceRepositoryRef", null, "^refs/heads/"), new ExtensionRequirement("githubWorkflowRepository", "sigstore-conformance/extremely-dangerous-public-oidc-beacon", null)));
        Assert.Equal("identity: the certificate's sourceRepositoryRef is 'refs/heads/main', not refs/heads/release",
            Refusal(Bytes(Happy()), policy: With(new ExtensionRequirement("sourceRepositoryRef", "refs/heads/release", null))));
        Assert.Contains("runnerEnvironment", Refusal(Bytes(Happy()), policy: With(new ExtensionRequirement("runnerEnvironment", null, "^self-hosted$"))), StringComparison.Ordinal);
        Assert.Contains("unknown certificate extension", Refusal(Bytes(Happy()), policy: With(new ExtensionRequirement("repo", "x", null))), StringComparison.Ordinal);
    }

    [Fact]
    public void Another_identity_or_issuer_is_refused_and_regular_expressions_match_as_cosigns()
    {
        Assert.Contains("identity:", Refusal(Bytes(Happy()), policy: new IdentityPolicy("https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main", null, Issuer, null)), StringComparison.Ordinal);
        Assert.Contains("OIDC issuer", Refusal(Bytes(Happy()), policy: new IdentityPolicy(Identity, null, "https://accounts.google.com", null)), StringComparison.Ordinal);
        Verify(Bytes(Happy()), policy: new IdentityPolicy(null, "^https://github.com/sigstore-conformance/", null, "^https://token\\.actions\\.githubusercontent\\.com$"));
        Refusal(Bytes(Happy()), policy: new IdentityPolicy(null, "^https://github.com/other/", Issuer, null));
    }

    public static TheoryData<string, string> Hostile() => new()
    {
        { "not json", "{\"mediaType\": " },
        { "an array", "[1,2,3]" },
        { "wrong type for tlogEntries", "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAA\"},\"tlogEntries\":\"x\"},\"messageSignature\":{\"signature\":\"AAAA\"}}" },
        { "wrong type for mediaType", "{\"mediaType\":7}" },
        { "a number as a certificate", "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":12}}}" },
        { "garbage DER as a certificate", "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAAAAAA\"}},\"messageSignature\":{\"signature\":\"AAAA\"}}" },
        { "deep nesting", "{\"mediaType\":" + new string('[', 100_000) + new string(']', 100_000) + "}" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_documents_are_refused_with_one_line(string name, string json)
    {
        Assert.NotEmpty(name);
        Refusal(Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void A_huge_bundle_a_long_chain_and_a_long_proof_are_refused_before_any_work()
    {
        Refusal(new byte[SigstoreBundleDocument.MaxBytes + 1]);

        var chain = Happy();
        var leaf = chain["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>();
        chain["verificationMaterial"]!.AsObject().Remove("certificate");
        chain["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2";
        // A chain that loops (the same certificate again and again) and is longer than any real one.
        chain["verificationMaterial"]!["x509CertificateChain"] = new JsonObject
        {
            ["certificates"] = new JsonArray(Enumerable.Range(0, 11).Select(_ => (JsonNode)new JsonObject { ["rawBytes"] = leaf }).ToArray()),
        };
        Assert.Contains("more than", Refusal(Bytes(chain)), StringComparison.Ordinal);

        var proof = Happy();
        var hashes = proof["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]!.AsArray();
        for (var i = 0; i < 70; i++) hashes.Add(hashes[0]!.GetValue<string>());
        Refusal(Bytes(proof));
    }

    [Fact]
    public void A_checkpoint_from_another_log_is_refused()
    {
        var other = Happy();
        var checkpoint = other["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!;
        var text = checkpoint["envelope"]!.GetValue<string>();
        checkpoint["envelope"] = text.Replace("\u2014 rekor.sigstore.dev ", "\u2014 rekor.example.org ", StringComparison.Ordinal);
        Assert.Contains("checkpoint", Refusal(Bytes(other)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_proof_for_another_entry_is_refused()
    {
        // happy-path-v0.2's inclusion proof and checkpoint are genuine, signed by the same log, but for another entry.
        var other = JsonNode.Parse(File.ReadAllText(Path.Combine(Cases, "happy-path-v0.2", "bundle.sigstore.json")))!;
        var bundle = Happy();
        bundle["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"] = other["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!.DeepClone();
        Assert.Contains("inclusion proof", Refusal(Bytes(bundle)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_trusted_root_is_refused_with_one_line()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Conformance("sigstore"), "production", "trusted_root.json")))!;
        var certs = root["certificateAuthorities"]![0]!["certChain"]!["certificates"]!.AsArray();
        for (var i = 0; i < 10; i++) certs.Add(certs[0]!.DeepClone());
        var e = Assert.Throws<SupplyException>(() => TrustedRoot.Parse(Bytes(root), "trusted root"));
        Assert.Contains("more than", e.Message, StringComparison.Ordinal);
        Assert.Throws<SupplyException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":{}}"), "trusted root"));
        Assert.Throws<SupplyException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes("{\"mediaType\":\"something else\"}"), "trusted root"));
    }

    [Fact]
    public void The_shipped_trusted_root_is_sigstores_production_root()
    {
        var shipped = TrustedRoot.Production();
        Assert.Contains(shipped.TransparencyLogs, l => l.BaseUrl == "https://rekor.sigstore.dev");
        Assert.Contains(shipped.CertificateAuthorities, a => a.Uri == "https://fulcio.sigstore.dev");
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Conformance("sigstore"), "production", "trusted_root.json")),
            File.ReadAllBytes(Path.Combine(RepoPaths.Root, "src", "ZeroDrift.Supply", "Sigstore", "Resources", "trusted_root.json")));
    }
}
