using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// Keyless signing with sigstore-js as the oracle, both ways, against @sigstore/mock's Fulcio and Rekor on loopback:
/// what ZeroDrift signs verifies with @sigstore/verify given only the mock's trusted root, and what sigstore-js signs
/// verifies with ZeroDrift's verifier (what <c>verify-bundle</c> runs). Each direction also shows the oracle refusing.
/// </summary>
public sealed class KeylessSigningOracleTests : IDisposable
{
    private const string Email = "alice@example.test";
    private const string Issuer = "https://issuer.example.test";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] content)
    {
        var path = _dir.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static KeylessSigner Signer(MockSigstore mock, HttpClient http) => new(http, new KeylessServices(mock.Url, mock.Url));

    [SigstoreJsFact]
    public async Task A_blob_ZeroDrift_signs_verifies_with_sigstore_js_and_a_changed_artifact_or_identity_does_not()
    {
        using var mock = new MockSigstore(_dir.Path);
        using var http = new HttpClient();
        var artifact = Write("artifact.txt", "release 1.2.3\n"u8.ToArray());
        var bundle = await Signer(mock, http).SignBlobAsync(File.ReadAllBytes(artifact), SigstoreJsOracle.Token(Email, Issuer), CancellationToken.None);
        var bundlePath = Write("zd.sigstore.json", bundle);
        Assert.Contains("application/vnd.dev.sigstore.bundle.v0.3+json", Encoding.UTF8.GetString(bundle), StringComparison.Ordinal);

        var (code, output) = SigstoreJsOracle.Node("verify.js", mock.TrustedRootPath, bundlePath, artifact, Email, Issuer);
        Assert.True(code == 0, $"sigstore-js refused ZeroDrift's bundle: {output}");

        var other = Write("other.txt", "release 1.2.4\n"u8.ToArray());
        Assert.NotEqual(0, SigstoreJsOracle.Node("verify.js", mock.TrustedRootPath, bundlePath, other, Email, Issuer).Code);
        Assert.NotEqual(0, SigstoreJsOracle.Node("verify.js", mock.TrustedRootPath, bundlePath, artifact, "mallory@example.test", Issuer).Code);

        // ZeroDrift's own verifier agrees.
        var result = new BundleVerifier(TrustedRoot.Load(mock.TrustedRootPath)).VerifyKeyless(
            SigstoreBundleDocument.Parse(bundle), ArtifactInput.FromBytes(File.ReadAllBytes(artifact)), new IdentityPolicy(Email, null, Issuer, null));
        Assert.Equal("0.3", result.BundleVersion);
    }

    [SigstoreJsFact]
    public async Task An_attestation_ZeroDrift_signs_verifies_with_sigstore_js()
    {
        using var mock = new MockSigstore(_dir.Path);
        using var http = new HttpClient();
        var digest = SHA256.HashData("artifact"u8.ToArray());
        var statement = Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact","digest":{"sha256":"{{{Convert.ToHexStringLower(digest)}}}"}}],"predicateType":"https://example.test/p","predicate":{}}""");
        var bundle = await Signer(mock, http).SignDsseAsync(DsseEnvelope.InTotoPayloadType, statement, SigstoreJsOracle.Token(Email, Issuer), CancellationToken.None);
        var bundlePath = Write("att.sigstore.json", bundle);
        var (code, output) = SigstoreJsOracle.Node("verify.js", mock.TrustedRootPath, bundlePath, "-", Email, Issuer);
        Assert.True(code == 0, $"sigstore-js refused ZeroDrift's DSSE bundle: {output}");
        Assert.NotEqual(0, SigstoreJsOracle.Node("verify.js", mock.TrustedRootPath, bundlePath, "-", Email, "https://other-issuer.test").Code);
        new BundleVerifier(TrustedRoot.Load(mock.TrustedRootPath)).VerifyKeyless(
            SigstoreBundleDocument.Parse(bundle), ArtifactInput.FromDigest(digest), new IdentityPolicy(Email, null, Issuer, null));
    }

    [SigstoreJsFact]
    public void A_blob_sigstore_js_signs_verifies_with_ZeroDrift_and_is_refused_for_another_artifact_or_identity()
    {
        using var mock = new MockSigstore(_dir.Path);
        var artifact = Write("artifact.bin", RandomNumberGenerator.GetBytes(4096));
        var bundlePath = _dir.Combine("js.sigstore.json");
        var (code, output) = SigstoreJsOracle.Node("sign.js", mock.Url.ToString().TrimEnd('/'), SigstoreJsOracle.Token(Email, Issuer), artifact, bundlePath);
        Assert.True(code == 0, $"sigstore-js could not sign: {output}");

        var verifier = new BundleVerifier(TrustedRoot.Load(mock.TrustedRootPath));
        var bundle = SigstoreBundleDocument.Load(bundlePath);
        var result = verifier.VerifyKeyless(bundle, ArtifactInput.FromFile(artifact), new IdentityPolicy(Email, null, Issuer, null));
        Assert.Equal(Email, result.Identity!.SubjectAlternativeNames.Single());
        Assert.NotEmpty(result.LogIndexes);

        Assert.Throws<SupplyException>(() => verifier.VerifyKeyless(bundle, ArtifactInput.FromBytes(new byte[4096]), new IdentityPolicy(Email, null, Issuer, null)));
        Assert.Throws<SupplyException>(() => verifier.VerifyKeyless(bundle, ArtifactInput.FromFile(artifact), new IdentityPolicy("mallory@example.test", null, Issuer, null)));
        // The production root does not trust the mock's CA.
        Assert.Throws<SupplyException>(() => new BundleVerifier(TrustedRoot.Production()).VerifyKeyless(bundle, ArtifactInput.FromFile(artifact), new IdentityPolicy(Email, null, Issuer, null)));
    }

    [SigstoreJsFact]
    public void An_attestation_sigstore_js_signs_verifies_with_ZeroDrift()
    {
        using var mock = new MockSigstore(_dir.Path);
        var digest = SHA256.HashData("payload artifact"u8.ToArray());
        var statement = Write("statement.json", Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"{{{Convert.ToHexStringLower(digest)}}}"}}],"predicateType":"https://example.test/p","predicate":{"k":"v"}}"""));
        var bundlePath = _dir.Combine("js-att.sigstore.json");
        var (code, output) = SigstoreJsOracle.Node("sign.js", mock.Url.ToString().TrimEnd('/'), SigstoreJsOracle.Token(Email, Issuer), statement, bundlePath, "intoto", DsseEnvelope.InTotoPayloadType);
        Assert.True(code == 0, $"sigstore-js could not attest: {output}");
        var verifier = new BundleVerifier(TrustedRoot.Load(mock.TrustedRootPath));
        var bundle = SigstoreBundleDocument.Load(bundlePath);
        verifier.VerifyKeyless(bundle, ArtifactInput.FromDigest(digest), new IdentityPolicy(Email, null, Issuer, null));
        Assert.Throws<SupplyException>(() => verifier.VerifyKeyless(bundle, ArtifactInput.FromDigest(new byte[32]), new IdentityPolicy(Email, null, Issuer, null)));
    }

    [SigstoreJsFact]
    public void An_attestation_with_only_a_sha512_subject_verifies_against_the_file_and_not_another()
    {
        // GitHub's and npm's attestations may name their subject by SHA-512 only.
        using var mock = new MockSigstore(_dir.Path);
        var artifact = Write("package.tgz", RandomNumberGenerator.GetBytes(2048));
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(artifact)));
        var statement = Write("statement512.json", Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"pkg:npm/x@1.0.0","digest":{"sha512":"{{{sha512}}}"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"""));
        var bundlePath = _dir.Combine("js-512.sigstore.json");
        var (code, output) = SigstoreJsOracle.Node("sign.js", mock.Url.ToString().TrimEnd('/'), SigstoreJsOracle.Token(Email, Issuer), statement, bundlePath, "intoto", DsseEnvelope.InTotoPayloadType);
        Assert.True(code == 0, $"sigstore-js could not attest: {output}");
        var verifier = new BundleVerifier(TrustedRoot.Load(mock.TrustedRootPath));
        var bundle = SigstoreBundleDocument.Load(bundlePath);
        var policy = new IdentityPolicy(Email, null, Issuer, null);
        verifier.VerifyKeyless(bundle, ArtifactInput.FromFile(artifact), policy);
        verifier.VerifyKeyless(bundle, ArtifactInput.Parse("sha512:" + sha512), policy);
        var e = Assert.Throws<SupplyException>(() => verifier.VerifyKeyless(bundle, ArtifactInput.FromBytes(new byte[2048]), policy));
        Assert.Contains("no subject has the artifact's digest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_token_subject_is_its_email_else_its_sub_and_a_non_jwt_is_refused_in_one_line()
    {
        Assert.Equal(Email, KeylessSigner.TokenSubject(SigstoreJsOracle.Token(Email, Issuer)));
        var e = Assert.Throws<SupplyException>(() => KeylessSigner.TokenSubject("not-a-token"));
        Assert.DoesNotContain('\n', e.Message);
    }
}
