using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// An image signed keylessly (what <c>sign IMAGE --identity-token</c> does: cosign's sign statement in a DSSE bundle
/// from @sigstore/mock's Fulcio and Rekor, attached as an OCI referrer in a real registry) verifies with the keyless
/// image verifier under its identity, and not under another.
/// </summary>
[Collection(SupplyRegistryCollection.Name)]
public sealed class KeylessImageSigningTests(SupplyRegistryFixture fixture) : IDisposable
{
    private const string Email = "builder@example.test";
    private const string Issuer = "https://issuer.example.test";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [SigstoreJsFact]
    public async Task A_keylessly_signed_image_verifies_under_its_identity_only()
    {
        using var mock = new MockSigstore(_dir.Path);
        var repo = "keyless-sign-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.PushAsync($"{repo}:1", repo);
        var signing = new ImageSigning(fixture.Client());
        var image = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/{repo}:1"), CancellationToken.None);

        using var http = new HttpClient();
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, PredicateTypes.CosignSign, new System.Text.Json.Nodes.JsonObject());
        var bundle = await new KeylessSigner(http, new KeylessServices(mock.Url, mock.Url)).SignDsseAsync(DsseEnvelope.InTotoPayloadType, statement, SigstoreJsOracle.Token(Email, Issuer), CancellationToken.None);
        await signing.AttachBundleAsync(image, bundle, PredicateTypes.CosignSign, CancellationToken.None);

        var root = TrustedRoot.Load(mock.TrustedRootPath);
        KeylessTrust Trust(string subject) => new(root, [new TrustedIdentity(subject, new IdentityPolicy(subject, null, Issuer, null))]);
        var checks = await signing.VerifyKeylessSignaturesAsync(image, Trust(Email), CancellationToken.None);
        Assert.True(checks.Any(c => c.Verified), string.Join("; ", checks.Select(c => c.Failure)));
        var other = await signing.VerifyKeylessSignaturesAsync(image, Trust("mallory@example.test"), CancellationToken.None);
        Assert.DoesNotContain(other, c => c.Verified);
    }
}
