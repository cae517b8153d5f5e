using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>The Bearer token flow against docker-registry in token mode, with a token service of the test's own.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryTokenAuthTests(RegistryFixture fixture)
{
    private static TestImage Image(string marker) => new TestImage().Layer(new TestLayer().File("srv/marker", marker));

    private RegistryClientOptions Options(RegistryCredentials credentials) =>
        new() { InsecureRegistries = [fixture.Token.Host], Credentials = credentials };

    private static async Task<string> PullMarkerAsync(string reference, RegistryClientOptions options, RegistryClient? client = null)
    {
        using var source = new RegistryImageSource(reference, options, ScanLimits.Default, client);
        var image = await source.ResolveAsync(null, CancellationToken.None);
        using var files = await new LayerSquasher(ScanLimits.Default, _ => true, _ => { }).SquashAsync(image, CancellationToken.None);
        return files.ReadText("/srv/marker")!;
    }

    [Fact]
    public async Task Bearer_tokens_are_fetched_with_basic_credentials_and_cached_per_scope()
    {
        var registry = fixture.Token;
        await fixture.PushAsync(Image("token private"), registry, "private/app:1", withCredentials: true);
        var options = Options(RegistryCredentials.FromFiles([fixture.WriteAuthFile("token-auth.json", RegistryFixture.User, RegistryFixture.Password, registry)]));
        var before = fixture.Tokens.Requests.Count;

        using var client = new RegistryClient(options);
        Assert.Equal("token private", await PullMarkerAsync($"{registry.Host}/private/app:1", options, client));
        Assert.Equal("token private", await PullMarkerAsync($"{registry.Host}/private/app:1", options, client));

        // One token for the whole of both pulls (manifest, config, layer): the scope's token is reused.
        var requests = fixture.Tokens.Requests.Skip(before).ToList();
        var request = Assert.Single(requests);
        Assert.Equal(RegistryFixture.User, request.User);
        Assert.Contains("service=" + TokenServer.Service, request.Query);
        Assert.Contains("scope=repository%3Aprivate%2Fapp%3Apull", request.Query);
    }

    [Fact]
    public async Task Anonymous_tokens_serve_public_repositories_only()
    {
        var registry = fixture.Token;
        await fixture.PushAsync(Image("open to all"), registry, "public/app:1", withCredentials: true);
        await fixture.PushAsync(Image("members only"), registry, "private/members:1", withCredentials: true);
        var anonymous = Options(RegistryCredentials.None);

        // The token service answers anonymous callers with OAuth2's "access_token" field.
        Assert.Equal("open to all", await PullMarkerAsync($"{registry.Host}/public/app:1", anonymous));
        var e = await Assert.ThrowsAsync<RegistryException>(() => PullMarkerAsync($"{registry.Host}/private/members:1", anonymous));
        Assert.Equal($"registry {registry.Host}: authentication failed (401)", e.Message);
    }

    [Fact]
    public async Task Wrong_credentials_fail_at_the_token_service_with_one_line()
    {
        var registry = fixture.Token;
        await fixture.PushAsync(Image("guarded"), registry, "private/guarded:1", withCredentials: true);
        var wrong = Options(RegistryCredentials.FromFiles([fixture.WriteAuthFile("token-wrong.json", RegistryFixture.User, "wrong", registry)]));
        var e = await Assert.ThrowsAsync<RegistryException>(() => PullMarkerAsync($"{registry.Host}/private/guarded:1", wrong));
        Assert.Equal($"registry {registry.Host}: authentication failed (401)", e.Message);
        Assert.Contains(fixture.Tokens.Requests, r => r.User == "<rejected>");
    }
}
