using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Admission.Tests;

/// <summary>
/// The webhook admits a keylessly signed image (a private Sigstore made in the test signs it; real crypto) when the
/// policy's identities name its signer, and denies the same image under another identity, through the same
/// per-digest verification cache as keyed images.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class KeylessAdmissionTests(WebhookFixture fixture) : IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Release = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
    private readonly TestSigstore _sigstore = new();

    public void Dispose() => _sigstore.Dispose();

    private string PolicyFor(string subject, string suffix)
    {
        var root = Path.GetFileName(_sigstore.WriteTrustedRoot(fixture.Dir.Path));
        File.Move(Path.Combine(fixture.Dir.Path, root), Path.Combine(fixture.Dir.Path, $"root-{suffix}.json"), overwrite: true);
        return fixture.Dir.File($"keyless-{suffix}.yaml", $"""
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            trustedRoot: root-{suffix}.json
            images:
              - name: keyless
                match: ["{fixture.Registry.Host}/keyless/*"]
                identities:
                  - subject: {subject}
                    issuer: {Issuer}
            """);
    }

    private static async Task<JsonObject> ValidateAsync(AdmissionHandler handler, string image)
    {
        var answer = await handler.ValidateAsync(Encoding.UTF8.GetBytes(WebhookTests.Review(WebhookTests.Pod(image)).ToJsonString()), CancellationToken.None);
        return JsonNode.Parse(answer)!["response"]!.AsObject();
    }

    [Fact]
    public async Task A_keyless_image_is_allowed_under_its_identity_and_denied_under_another()
    {
        var suffix = Guid.NewGuid().ToString("n")[..8];
        await fixture.PushAsync($"keyless/web-{suffix}:1.0", "keyless-" + suffix);
        var image = $"{fixture.Registry.Host}/keyless/web-{suffix}:1.0";
        using (var client = fixture.Client())
        {
            var signing = new ImageSigning(client);
            var resolved = await signing.ResolveAsync(ImageReference.Parse(image), CancellationToken.None);
            var statement = InTotoStatement.Create(resolved.RepositoryName, resolved.Digest, PredicateTypes.CosignSign, new JsonObject());
            await signing.AttachBundleAsync(resolved, _sigstore.SignDsse(DsseEnvelope.InTotoPayloadType, statement, new TestIdentity(Release, Issuer)), PredicateTypes.CosignSign, CancellationToken.None);
        }

        var allowing = fixture.NewHandler(policyPath: PolicyFor(Release, "allow-" + suffix));
        var allowed = await ValidateAsync(allowing, image);
        Assert.True(allowed["allowed"]!.GetValue<bool>(), allowed.ToJsonString());
        Assert.Equal(1, allowing.Engine.CachedDigests);
        Assert.True((await ValidateAsync(allowing, image))["allowed"]!.GetValue<bool>());
        Assert.Equal(1, allowing.Engine.CachedDigests);

        var denying = fixture.NewHandler(policyPath: PolicyFor("https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main", "deny-" + suffix));
        var denied = await ValidateAsync(denying, image);
        Assert.False(denied["allowed"]!.GetValue<bool>());
        var message = denied["status"]!["message"]!.GetValue<string>();
        Assert.Contains("keyless: identities", message, StringComparison.Ordinal);
        Assert.Contains("identity: the certificate names " + Release, message, StringComparison.Ordinal);
    }
}
