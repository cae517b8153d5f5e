using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>Pushes blobs, manifests and indexes to a real registry and reads them back; tags; referrers with the tag fallback.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryPushTests(RegistryFixture fixture)
{
    private RegistryClient PlainClient() => new(new RegistryClientOptions { InsecureRegistries = [fixture.Plain.Host] });

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Manifest(Descriptor config, params Descriptor[] layers) => Utf8(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciManifest,
        ["config"] = new JsonObject { ["mediaType"] = config.MediaType, ["digest"] = config.Digest, ["size"] = config.Size },
        ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject { ["mediaType"] = l.MediaType, ["digest"] = l.Digest, ["size"] = l.Size }).ToArray()),
    }.ToJsonString());

    [Fact]
    public async Task Monolithic_and_chunked_uploads_store_the_exact_bytes()
    {
        using var client = PlainClient();
        var repo = new RepositoryRef(fixture.Plain.Host, "push/blobs");
        var small = RandomNumberGenerator.GetBytes(1000);
        // Three chunks: two full ones and a short tail, so the Content-Range bookkeeping across PATCHes is exercised.
        var large = RandomNumberGenerator.GetBytes(2 * RegistryClient.ChunkBytes + 12345);

        var a = await client.PushBlobAsync(repo, small, "application/octet-stream", CancellationToken.None, chunked: false);
        var b = await client.PushBlobAsync(repo, large, "application/octet-stream", CancellationToken.None, chunked: true);

        Assert.Equal(small, await File.ReadAllBytesAsync(fixture.Plain.BlobPath(a.Digest)));
        Assert.Equal(large, await File.ReadAllBytesAsync(fixture.Plain.BlobPath(b.Digest)));
        Assert.Equal(large, await client.GetBlobAsync(repo, b, long.MaxValue, CancellationToken.None));
        Assert.True(await client.BlobExistsAsync(repo, b.Digest, CancellationToken.None));
        Assert.False(await client.BlobExistsAsync(repo, Digest.Sha256("absent"u8), CancellationToken.None));
        // A second push of the same content is a HEAD, not another upload.
        Assert.Equal(a, await client.PushBlobAsync(repo, small, "application/octet-stream", CancellationToken.None));
    }

    [Fact]
    public async Task Manifests_and_indexes_round_trip_with_tags_listed()
    {
        using var client = PlainClient();
        var repo = new RepositoryRef(fixture.Plain.Host, "push/manifests");
        var config = await client.PushBlobAsync(repo, Utf8("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""), MediaTypes.OciConfig, CancellationToken.None);
        var manifest = Manifest(config);
        var pushed = await client.PushManifestAsync(repo, "v1", manifest, MediaTypes.OciManifest, CancellationToken.None);
        Assert.Equal(Digest.Sha256(manifest), pushed.Descriptor.Digest);

        var index = Utf8(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = pushed.Descriptor.Digest, ["size"] = manifest.Length }),
        }.ToJsonString());
        await client.PushManifestAsync(repo, "multi", index, MediaTypes.OciIndex, CancellationToken.None);

        var read = await client.GetManifestAsync(repo, "v1", CancellationToken.None);
        Assert.Equal(manifest, read.Content);
        var readIndex = await client.GetManifestAsync(repo, "multi", CancellationToken.None);
        Assert.Equal(MediaTypes.OciIndex, readIndex.Descriptor.MediaType);
        Assert.Equal(pushed.Descriptor.Digest, RegistryClient.ParseIndex(readIndex.Content, "index").Single().Digest);
        Assert.Equal(["multi", "v1"], (await client.ListTagsAsync(repo, CancellationToken.None)).Order(StringComparer.Ordinal));

        // Pushing by digest with bytes of another digest is refused before anything is sent.
        await Assert.ThrowsAsync<RegistryException>(() => client.PushManifestAsync(repo, Digest.Sha256("other"u8), manifest, MediaTypes.OciManifest, CancellationToken.None));
    }

    [Fact]
    public async Task A_manifest_referring_to_a_missing_blob_is_the_registrys_error()
    {
        using var client = PlainClient();
        var repo = new RepositoryRef(fixture.Plain.Host, "push/missing");
        var config = new Descriptor(MediaTypes.OciConfig, Digest.Sha256("never pushed"u8), 12);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.PushManifestAsync(repo, "v1", Manifest(config), MediaTypes.OciManifest, CancellationToken.None));
        Assert.Contains(e.Errors, x => x.Code is "MANIFEST_BLOB_UNKNOWN" or "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Referrers_fall_back_to_the_tag_schema_on_a_registry_without_the_API()
    {
        using var client = PlainClient();
        var repo = new RepositoryRef(fixture.Plain.Host, "push/referrers");
        var config = await client.PushBlobAsync(repo, Utf8("{}"), "application/vnd.oci.empty.v1+json", CancellationToken.None);
        var subject = await client.PushManifestAsync(repo, "app", Manifest(config), MediaTypes.OciManifest, CancellationToken.None);
        Assert.Empty((await client.GetReferrersAsync(repo, subject.Descriptor.Digest, null, CancellationToken.None)).Referrers);

        byte[] Referrer(string artifactType, string marker)
        {
            var layer = Utf8(marker);
            return Utf8(new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = MediaTypes.OciManifest,
                ["artifactType"] = artifactType,
                ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.empty.v1+json", ["digest"] = config.Digest, ["size"] = 2 },
                ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.empty.v1+json", ["digest"] = config.Digest, ["size"] = 2 }),
                ["subject"] = new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = subject.Descriptor.Digest, ["size"] = subject.Descriptor.Size },
                ["annotations"] = new JsonObject { ["marker"] = marker },
            }.ToJsonString());
        }
        var first = await client.PushReferrerAsync(repo, subject.Descriptor.Digest, Referrer("application/x.one", "1"), "application/x.one", new Dictionary<string, string> { ["marker"] = "1" }, CancellationToken.None);
        var second = await client.PushReferrerAsync(repo, subject.Descriptor.Digest, Referrer("application/x.two", "2"), "application/x.two", null, CancellationToken.None);
        Assert.False(first.SubjectAccepted); // docker-registry 2.8 does not index subjects

        var all = await client.GetReferrersAsync(repo, subject.Descriptor.Digest, null, CancellationToken.None);
        Assert.True(all.ViaFallback);
        Assert.Equal([first.Descriptor.Digest, second.Descriptor.Digest], all.Referrers.Select(r => r.Digest));
        Assert.Equal("1", all.Referrers[0].Annotations!["marker"]);
        var filtered = await client.GetReferrersAsync(repo, subject.Descriptor.Digest, "application/x.two", CancellationToken.None);
        Assert.Equal(second.Descriptor.Digest, Assert.Single(filtered.Referrers).Digest);
        Assert.Contains(RegistryClient.ReferrersTag(subject.Descriptor.Digest), await client.ListTagsAsync(repo, CancellationToken.None));
    }

    [Fact]
    public async Task Referrers_API_is_used_when_the_registry_has_it()
    {
        // docker-registry has no referrers API; a minimal server that answers it proves the API path and the filter.
        var subject = Digest.Sha256("subject"u8);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var referrer = Digest.Sha256("referrer"u8);
        var body = Utf8($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{referrer}}","size":10,"artifactType":"application/x.a"},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{subject}}","size":10,"artifactType":"application/x.b"}]}""");
        string? requestLine = null;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            var stream = socket.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            requestLine = await reader.ReadLineAsync();
            while (await reader.ReadLineAsync() is { Length: > 0 }) { }
            var head = Utf8($"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(head);
            await stream.WriteAsync(body);
        });
        var host = $"127.0.0.1:{port}";
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = [host] });
        // The server ignores the filter (no OCI-Filters-Applied): the client applies it.
        var result = await client.GetReferrersAsync(new RepositoryRef(host, "x/y"), subject, "application/x.a", CancellationToken.None);
        await server;
        listener.Stop();
        Assert.False(result.ViaFallback);
        Assert.Equal(referrer, Assert.Single(result.Referrers).Digest);
        Assert.Equal($"GET /v2/x/y/referrers/{subject}?artifactType=application%2Fx.a HTTP/1.1", requestLine);
    }

    [Fact]
    public async Task Push_with_basic_auth_over_TLS()
    {
        var options = new RegistryClientOptions { Credentials = RegistryCredentials.FromFiles([fixture.AuthFile]), ExtraCaFile = fixture.CaFile };
        using var client = new RegistryClient(options);
        var repo = new RepositoryRef(fixture.Secure.Host, "push/secure");
        var blob = await client.PushBlobAsync(repo, Utf8("{}"), MediaTypes.OciConfig, CancellationToken.None);
        var pushed = await client.PushManifestAsync(repo, "v1", Manifest(blob), MediaTypes.OciManifest, CancellationToken.None);
        Assert.Equal(pushed.Descriptor.Digest, (await client.GetManifestAsync(repo, "v1", CancellationToken.None)).Descriptor.Digest);

        using var anonymous = new RegistryClient(new RegistryClientOptions { ExtraCaFile = fixture.CaFile });
        var e = await Assert.ThrowsAsync<RegistryException>(() => anonymous.PushBlobAsync(repo, Utf8("x"), MediaTypes.OciConfig, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
    }

    [Fact]
    public async Task Push_with_a_bearer_token_for_pull_and_push()
    {
        var registry = fixture.Token;
        var options = new RegistryClientOptions
        {
            InsecureRegistries = [registry.Host],
            Credentials = RegistryCredentials.FromFiles([fixture.WriteAuthFile("token-push.json", RegistryFixture.User, RegistryFixture.Password, registry)]),
        };
        using var client = new RegistryClient(options);
        var repo = new RepositoryRef(registry.Host, "private/pushed");
        var before = fixture.Tokens.Requests.Count;
        var blob = await client.PushBlobAsync(repo, Utf8("{}"), MediaTypes.OciConfig, CancellationToken.None, chunked: true);
        var pushed = await client.PushManifestAsync(repo, "v1", Manifest(blob), MediaTypes.OciManifest, CancellationToken.None);
        Assert.Equal(pushed.Descriptor.Digest, (await client.GetManifestAsync(repo, "v1", CancellationToken.None)).Descriptor.Digest);
        Assert.Contains(fixture.Tokens.Requests.Skip(before), r => r.Query.Contains("scope=repository%3Aprivate%2Fpushed%3Apull%2Cpush", StringComparison.Ordinal));

        // Anonymous clients get a token without push: the upload is refused, not silently dropped.
        using var anonymous = new RegistryClient(new RegistryClientOptions { InsecureRegistries = [registry.Host] });
        await Assert.ThrowsAsync<RegistryException>(() => anonymous.PushBlobAsync(new RepositoryRef(registry.Host, "public/x"), Utf8("x"), MediaTypes.OciConfig, CancellationToken.None));
    }
}
