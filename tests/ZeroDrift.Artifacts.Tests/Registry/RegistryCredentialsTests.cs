using System.Text;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Tests.Registry;

public sealed class RegistryCredentialsTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Reads_docker_and_podman_auth_entries()
    {
        using var dir = new TempDir();
        // What `docker login` and `podman login` write: base64 auth, URL keys, host:port keys, namespaced keys,
        // and "{}" entries backed by a credential store (no secret in the file).
        var file = dir.File("config.json", $$"""
            {
              "auths": {
                "https://index.docker.io/v1/": { "auth": "{{B64("hubuser:hubpass")}}" },
                "127.0.0.1:5000": { "auth": "{{B64("local:pa:ss")}}" },
                "quay.io": { "username": "quayuser", "password": "quaypass" },
                "quay.io/team": { "auth": "{{B64("teamuser:teampass")}}" },
                "Registry.Example.com": { "auth": "{{B64("mixed:case")}}" },
                "ghcr.io": {}
              },
              "credsStore": "desktop",
              "credHelpers": { "gcr.io": "gcloud" }
            }
            """);
        var credentials = RegistryCredentials.FromFiles([file]);

        Assert.Equal(new BasicCredentials("hubuser", "hubpass"), credentials.Find("docker.io", "library/alpine"));
        Assert.Equal(new BasicCredentials("local", "pa:ss"), credentials.Find("127.0.0.1:5000", "app"));
        Assert.Null(credentials.Find("127.0.0.1:5001", "app"));
        Assert.Equal(new BasicCredentials("quayuser", "quaypass"), credentials.Find("quay.io", "other/app"));
        Assert.Equal(new BasicCredentials("teamuser", "teampass"), credentials.Find("quay.io", "team/app"));
        Assert.Equal(new BasicCredentials("quayuser", "quaypass"), credentials.Find("quay.io", "teams/app"));
        Assert.Equal(new BasicCredentials("mixed", "case"), credentials.Find("registry.example.com", "x"));
        Assert.Null(credentials.Find("ghcr.io", "x")); // helpers are not run
        Assert.Null(credentials.Find("gcr.io", "x"));
        Assert.DoesNotContain("hubpass", new BasicCredentials("hubuser", "hubpass").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_file_with_an_entry_wins_and_missing_files_are_skipped()
    {
        using var dir = new TempDir();
        var first = dir.File("auth.json", "{\"auths\":{\"a.io\":{\"auth\":\"" + B64("first:1") + "\"}}}");
        var second = dir.File("config.json", "{\"auths\":{\"a.io\":{\"auth\":\"" + B64("second:2") + "\"},\"b.io\":{\"auth\":\"" + B64("second:3") + "\"}}}");
        var credentials = RegistryCredentials.FromFiles([dir.Combine("missing.json"), first, second]);
        Assert.Equal("first", credentials.Find("a.io")!.Username);
        Assert.Equal("second", credentials.Find("b.io")!.Username);
    }

    [Theory]
    [InlineData("{not json", "malformed registry auth file")]
    [InlineData("[]", "auth file is not a JSON object")]
    [InlineData("""{"auths":{"a.io":{"auth":"***"}}}""", "'auth' is not base64")]
    [InlineData("""{"auths":{"a.io":{"auth":"bm9jb2xvbg=="}}}""", "'auth' is not base64 of user:password")]
    public void Malformed_files_name_themselves(string content, string why)
    {
        using var dir = new TempDir();
        var file = dir.File("auth.json", content);
        var e = Assert.Throws<ArtifactException>(() => RegistryCredentials.FromFiles([file]));
        Assert.StartsWith(file, e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "index.docker.io")]
    [InlineData("http://LOCALHOST:5000/v2/", "localhost:5000")]
    [InlineData("Quay.io/Team/", "quay.io/Team")]
    public void Normalizes_keys(string key, string expected) => Assert.Equal(expected, RegistryCredentials.NormalizeKey(key));

    [Fact]
    public void Parses_bearer_challenges_with_quoted_commas()
    {
        var c = AuthChallenge.Parse("Bearer", "realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\"");
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.example.com/token", c.Realm);
        Assert.Equal("registry.example.com", c.Service);
        Assert.Equal("repository:team/app:pull,push", c.Scope);
        Assert.Equal("insufficient_scope", c.Parameters["error"]);
        var basic = AuthChallenge.Parse("Basic", "realm=\"a \\\"quoted\\\" realm\", charset=UTF-8");
        Assert.True(basic.IsBasic);
        Assert.Equal("a \"quoted\" realm", basic.Realm);
        Assert.Equal("UTF-8", basic.Parameters["charset"]);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.8.9.10:80", true)]
    [InlineData("localhost:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("10.0.0.5:5000", false)]
    [InlineData("registry.local:5000", false)]
    [InlineData("localhost.evil.com:5000", false)]
    public void Insecure_only_on_loopback(string registry, bool allowed)
    {
        var options = new RegistryClientOptions { InsecureRegistries = [registry] };
        if (allowed)
            Assert.Equal("http", options.BaseUri(registry).Scheme);
        else
            Assert.Contains("only allowed for loopback", Assert.Throws<RegistryException>(() => options.BaseUri(registry)).Message);
        Assert.Equal("https", new RegistryClientOptions().BaseUri(registry).Scheme);
        Assert.Equal("https://registry-1.docker.io/", new RegistryClientOptions().BaseUri("docker.io").ToString());
    }
}
