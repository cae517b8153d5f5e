using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Tests.Registry;

public sealed class ImageReferenceTests
{
    private const string Sha = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    // Docker Hub defaults: registry, library/ namespace, latest tag.
    [InlineData("alpine", "docker.io", "library/alpine", "latest", null)]
    [InlineData("alpine:3.20", "docker.io", "library/alpine", "3.20", null)]
    [InlineData("bitnami/redis", "docker.io", "bitnami/redis", "latest", null)]
    [InlineData("docker.io/alpine", "docker.io", "library/alpine", "latest", null)]
    [InlineData("index.docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", null)]
    // Registries with ports, IPs, localhost, IPv6.
    [InlineData("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0", null)]
    [InlineData("localhost/app", "localhost", "app", "latest", null)]
    [InlineData("localhost:5000/app", "localhost:5000", "app", "latest", null)]
    [InlineData("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", null)]
    [InlineData("ghcr.io/owner/repo/sub/image:v1.2.3-rc.1_x", "ghcr.io", "owner/repo/sub/image", "v1.2.3-rc.1_x", null)]
    [InlineData("Registry/app", "Registry", "app", "latest", null)] // upper case marks a host
    // Separators: '.', '_', '__', runs of '-'.
    [InlineData("quay.io/a.b_c__d---e/f", "quay.io", "a.b_c__d---e/f", "latest", null)]
    // Digests: alone, and with a tag (both kept; the digest is what is pulled).
    [InlineData("alpine@" + Sha, "docker.io", "library/alpine", null, Sha)]
    [InlineData("127.0.0.1:5000/app:v2@" + Sha, "127.0.0.1:5000", "app", "v2", Sha)]
    public void Parses(string text, string registry, string repository, string? tag, string? digest)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal(registry, r.Registry);
        Assert.Equal(repository, r.Repository);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest);
        Assert.Equal(digest ?? tag, r.ManifestReference);
    }

    [Fact]
    public void Docker_hub_api_host_and_names()
    {
        var r = ImageReference.Parse("alpine");
        Assert.Equal("registry-1.docker.io", r.ApiHost);
        Assert.Equal("docker.io/library/alpine:latest", r.TaggedName);
        Assert.Equal("library/alpine:latest", r.RepositoryReference);
        Assert.Equal(new RepositoryRef("docker.io", "library/alpine"), r.RepositoryRef);
        var pinned = ImageReference.Parse("127.0.0.1:5000/app@" + Sha);
        Assert.Equal("127.0.0.1:5000", pinned.ApiHost);
        Assert.Null(pinned.TaggedName);
        Assert.Equal($"app@{Sha}", pinned.RepositoryReference);
        Assert.Equal($"127.0.0.1:5000/app@{Sha}", pinned.ToString());
    }

    [Theory]
    [InlineData("", "empty reference")]
    [InlineData("Alpine", "repository names must be lowercase")]
    [InlineData("docker.io/Library/alpine", "repository names must be lowercase")]
    [InlineData("alpine:", "invalid tag ''")]
    [InlineData("alpine:-bad", "invalid tag '-bad'")]
    [InlineData("alpine:tag/x", "invalid registry host 'alpine:tag'")]
    [InlineData("alpine@sha256:abc", "invalid digest 'sha256:abc'")]
    [InlineData("alpine@md5:d41d8cd98f00b204e9800998ecf8427e", "invalid digest")]
    [InlineData("127.0.0.1:5000/", "no repository name")]
    [InlineData("host.io//app", "empty path component")]
    [InlineData("host.io/app-", "invalid repository path component 'app-'")]
    [InlineData("host.io/a...b", "invalid repository path component 'a...b'")]
    [InlineData("-host.io/app", "invalid registry host '-host.io'")]
    [InlineData("host.io:port/app", "invalid registry host 'host.io:port'")]
    [InlineData("my image", "whitespace is not allowed")]
    public void Rejects_invalid_references(string text, string why)
    {
        var e = Assert.Throws<ArtifactException>(() => ImageReference.Parse(text));
        Assert.StartsWith($"invalid image reference '{text}': ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Rejects_overlong_tags_and_names()
    {
        Assert.Throws<ArtifactException>(() => ImageReference.Parse("app:" + new string('a', 129)));
        Assert.Equal(new string('a', 128), ImageReference.Parse("app:" + new string('a', 128)).Tag);
        var e = Assert.Throws<ArtifactException>(() => ImageReference.Parse("host.io/" + new string('a', 300)));
        Assert.Contains("longer than 255", e.Message);
    }
}
