using System.Text.Json.Nodes;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// Real production bundles (sigstore-conformance's happy paths, signed by its public beacon workflow on Sigstore
/// public-good, verified against the production trusted root): they verify, and one byte changed in each class —
/// signature, certificate, inclusion proof (a sibling hash, the root hash), the artifact — is refused.
/// </summary>
public sealed class RealBundleTamperTests
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private static readonly string Cases = Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");
    private static readonly byte[] Artifact = File.ReadAllBytes(Path.Combine(Cases, "a.txt"));

    public static TheoryData<string, string> Tampers() => new()
    {
        { "happy-path-v0.3", "signature" }, { "happy-path-v0.3", "certificate" }, { "happy-path-v0.3", "proof-hash" },
        { "happy-path-v0.3", "root-hash" }, { "happy-path-v0.3", "artifact" },
        { "happy-path-intoto-in-dsse-v3", "signature" }, { "happy-path-intoto-in-dsse-v3", "certificate" },
        { "happy-path-intoto-in-dsse-v3", "proof-hash" }, { "happy-path-intoto-in-dsse-v3", "root-hash" },
        { "happy-path-intoto-in-dsse-v3", "payload" },
    };

    private static JsonObject Load(string name) => JsonNode.Parse(File.ReadAllBytes(Path.Combine(Cases, name, "bundle.sigstore.json")))!.AsObject();

    /// <summary>The artifact for a case: a.txt for the message signature; for the DSSE one, its statement's subject digest.</summary>
    private static ArtifactInput ArtifactFor(string name, JsonObject bundle)
    {
        if (bundle["dsseEnvelope"] is not JsonObject envelope) return ArtifactInput.FromBytes(Artifact);
        var statement = JsonNode.Parse(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()))!;
        return ArtifactInput.FromDigest(Convert.FromHexString(statement["subject"]![0]!["digest"]!["sha256"]!.GetValue<string>()));
    }

    private static void Verify(JsonObject bundle, ArtifactInput artifact) =>
        new BundleVerifier(TrustedRoot.Production()).VerifyKeyless(SigstoreBundleDocument.Parse(System.Text.Encoding.UTF8.GetBytes(bundle.ToJsonString())), artifact, new IdentityPolicy(Identity, null, Issuer, null));

    private static void Flip(JsonNode parent, string property)
    {
        var bytes = Convert.FromBase64String(parent[property]!.GetValue<string>());
        bytes[bytes.Length / 2] ^= 0x01;
        parent[property] = Convert.ToBase64String(bytes);
    }

    [Theory]
    [InlineData("happy-path-v0.3")]
    [InlineData("happy-path-intoto-in-dsse-v3")]
    public void The_real_bundle_verifies(string name)
    {
        var bundle = Load(name);
        Verify(bundle, ArtifactFor(name, bundle));
    }

    [Theory]
    [MemberData(nameof(Tampers))]
    public void One_changed_byte_is_refused_in_one_line(string name, string what)
    {
        var bundle = Load(name);
        var artifact = ArtifactFor(name, bundle);
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        switch (what)
        {
            case "signature" when bundle["messageSignature"] is JsonObject message: Flip(message, "signature"); break;
            case "signature": Flip(bundle["dsseEnvelope"]!["signatures"]![0]!, "sig"); break;
            case "certificate": Flip(bundle["verificationMaterial"]!["certificate"]!, "rawBytes"); break;
            case "proof-hash":
                var hashes = entry["inclusionProof"]!["hashes"]!.AsArray();
                var hash = Convert.FromBase64String(hashes[0]!.GetValue<string>());
                hash[0] ^= 0x01;
                hashes[0] = Convert.ToBase64String(hash);
                break;
            case "root-hash": Flip(entry["inclusionProof"]!, "rootHash"); break;
            case "payload": Flip(bundle["dsseEnvelope"]!, "payload"); break;
            case "artifact":
                var changed = (byte[])Artifact.Clone();
                changed[0] ^= 0x01;
                artifact = ArtifactInput.FromBytes(changed);
                break;
        }
        var e = Assert.Throws<SupplyException>(() => Verify(bundle, artifact));
        Assert.DoesNotContain('\n', e.Message);
    }
}
