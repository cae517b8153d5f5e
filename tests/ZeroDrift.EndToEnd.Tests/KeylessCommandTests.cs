using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift verify IMAGE</c> and <c>verify-attestation IMAGE</c> without <c>--key</c>: an image signed keylessly
/// (a private Sigstore made here, its trusted_root.json given with <c>--trusted-root</c>) verifies under its
/// identity and is refused under another, in one line per signature.
/// </summary>
public sealed class KeylessCommandTests : IAsyncLifetime
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Release = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
    private RegistryServer? _registry;
    private readonly TempDir _dir = new();
    private readonly TestSigstore _sigstore = new();

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        _sigstore.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Verify_and_verify_attestation_keylessly_from_the_command()
    {
        var host = _registry!.Host;
        var layout = _dir.Combine("layout");
        new TestImage().Layer(new TestLayer().File("etc/os-release", "ID=debian\n").File("marker", "keyless")).WriteOciLayout(layout, "x");
        ZeroDriftRunner.Tool("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{layout}:x", $"docker://{host}/e2e/keyless:1");
        var image = $"{host}/e2e/keyless:1";
        using (var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = [host] }))
        {
            var signing = new ImageSigning(client);
            var resolved = await signing.ResolveAsync(ImageReference.Parse(image), CancellationToken.None);
            var who = new TestIdentity(Release, Issuer, new Dictionary<string, string> { ["1.3.6.1.4.1.57264.1.5"] = "acme/web" });
            foreach (var (type, predicate) in new[] { (PredicateTypes.CosignSign, new JsonObject()), ("https://slsa.dev/provenance/v1", new JsonObject
            {
                ["buildDefinition"] = new JsonObject { ["buildType"] = "https://actions.github.io/buildtypes/workflow/v1", ["externalParameters"] = new JsonObject { ["workflow"] = new JsonObject { ["repository"] = "https://github.com/acme/web", ["ref"] = "refs/heads/main" } } },
                ["runDetails"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = Release } },
            }) })
            {
                var statement = InTotoStatement.Create(resolved.RepositoryName, resolved.Digest, type, predicate);
                await signing.AttachBundleAsync(resolved, _sigstore.SignDsse(DsseEnvelope.InTotoPayloadType, statement, who), type, CancellationToken.None);
            }
        }
        var root = _sigstore.WriteTrustedRoot(_dir.Path);
        string[] Args(string command, string identity, params string[] extra) =>
            [command, image, "--certificate-identity", identity, "--certificate-oidc-issuer", Issuer, "--trusted-root", root, "--insecure-registry", host, .. extra];

        var ok = ZeroDriftRunner.Run(Args("verify", Release, "--certificate-github-workflow-repository", "acme/web"));
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.Contains("OK   bundle referrer sha256:", ok.Stdout, StringComparison.Ordinal);

        var other = ZeroDriftRunner.Run(Args("verify", "https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main"));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("FAIL bundle referrer", other.Stdout, StringComparison.Ordinal);
        Assert.Contains("identity: the certificate names " + Release, other.Stdout, StringComparison.Ordinal);

        var fork = ZeroDriftRunner.Run(Args("verify", Release, "--certificate-github-workflow-repository", "fork/web"));
        Assert.Equal(1, fork.ExitCode);

        var shipped = ZeroDriftRunner.Run(["verify", image, "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer, "--insecure-registry", host]);
        Assert.Equal(1, shipped.ExitCode);
        Assert.Contains("is not in the trusted root", shipped.Stdout, StringComparison.Ordinal);

        var attestation = ZeroDriftRunner.Run(Args("verify-attestation", Release, "--type", "slsaprovenance1", "-o", "json"));
        Assert.True(attestation.ExitCode == 0, attestation.Stdout + attestation.Stderr);
        var doc = JsonNode.Parse(attestation.Stdout)!;
        var only = Assert.Single(doc["attestations"]!.AsArray())!;
        Assert.True(only["verified"]!.GetValue<bool>());
        Assert.Equal("https://github.com/acme/web", only["provenance"]!["sourceRepository"]!.GetValue<string>());
        Assert.Equal(Release, only["signer"]!["subjectAlternativeNames"]![0]!.GetValue<string>());

        var both = ZeroDriftRunner.Run(Args("verify", Release, "--key", root));
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(2, ZeroDriftRunner.Run(["verify", image, "--insecure-registry", host]).ExitCode);
    }
}
