using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Artifacts.Targets;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>Pulls from a real registry (docker-registry) what skopeo pushed there.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryPullTests(RegistryFixture fixture, ITestOutputHelper output)
{
    private static TestImage SmallImage(string marker, string architecture = "amd64") => new TestImage { Architecture = architecture }
        .Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=12\n").File("etc/marker", marker))
        .Layer(new TestLayer { Compression = LayerCompression.Zstd }.File("app/data.txt", "payload " + marker).Whiteout("etc/marker"));

    private static TargetOptions Insecure(string host, Platform? platform = null) => new() { InsecureRegistries = [host], Platform = platform };

    private static async Task<Target> OpenAsync(string reference, TargetOptions options) =>
        await TargetOpener.OpenAsync(TargetReference.Parse(reference), _ => true, options, CancellationToken.None);

    /// <summary>What TargetOpener does, with explicit client options (credentials, CA) instead of the environment.</summary>
    private static async Task<(ImageMetadata Metadata, ImageFileSystem Files)> PullAsync(string reference, RegistryClientOptions options, Platform? platform = null)
    {
        using var source = new RegistryImageSource(reference, options, ScanLimits.Default);
        var image = await source.ResolveAsync(platform, CancellationToken.None);
        var files = await new LayerSquasher(ScanLimits.Default, _ => true, _ => { }).SquashAsync(image, CancellationToken.None);
        return (image.Metadata, files);
    }

    [Fact]
    public async Task Pulls_by_tag_from_an_insecure_loopback_registry()
    {
        var registry = fixture.Plain;
        var digest = await fixture.PushAsync(SmallImage("by-tag"), registry, "team/app:1.0");
        var reference = $"{registry.Host}/team/app:1.0";

        var watch = Stopwatch.StartNew();
        using var target = await OpenAsync(reference, Insecure(registry.Host));
        output.WriteLine($"pull + squash of a 2-layer image over HTTP: {watch.ElapsedMilliseconds} ms");

        Assert.Equal(TargetKind.Registry, target.Reference.Kind);
        Assert.Equal("payload by-tag", target.FileSystem.ReadText("/app/data.txt"));
        Assert.Null(target.FileSystem.Lstat("/etc/marker")); // whited out by the upper layer
        Assert.Equal("debian", target.Distro?.Id);
        var image = target.Image!;
        Assert.Equal(reference, image.Reference);
        Assert.Equal(digest, image.ManifestDigest);
        Assert.Equal([reference], image.RepoTags);
        Assert.Equal("linux/amd64", image.Platform);
        Assert.Equal(2, image.Layers.Count);
        Assert.All(image.Layers, l => Assert.StartsWith("sha256:", l.Digest));

        // HEAD gives the registry's descriptor without the body (what push and signing will ask before writing).
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = [registry.Host] });
        var head = await client.HeadManifestAsync(new RepositoryRef(registry.Host, "team/app"), "1.0", CancellationToken.None);
        Assert.Equal(digest, head?.Digest);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", head?.MediaType);
        Assert.Null(await client.HeadManifestAsync(new RepositoryRef(registry.Host, "team/app"), "2.0", CancellationToken.None));
    }

    [Fact]
    public async Task Pulls_by_digest_and_the_digest_wins_over_the_tag()
    {
        var registry = fixture.Plain;
        var first = await fixture.PushAsync(SmallImage("first"), registry, "pinned:v1");
        await fixture.PushAsync(SmallImage("second"), registry, "pinned:v2");

        using (var byDigest = await OpenAsync($"registry:{registry.Host}/pinned@{first}", Insecure(registry.Host)))
        {
            Assert.Equal("payload first", byDigest.FileSystem.ReadText("/app/data.txt"));
            Assert.Equal(first, byDigest.Image!.ManifestDigest);
            Assert.Empty(byDigest.Image.RepoTags);
        }
        using var both = await OpenAsync($"{registry.Host}/pinned:v2@{first}", Insecure(registry.Host));
        Assert.Equal("payload first", both.FileSystem.ReadText("/app/data.txt"));
        Assert.Equal([$"{registry.Host}/pinned:v2"], both.Image!.RepoTags);
    }

    [Fact]
    public async Task Unknown_tag_and_digest_are_one_clear_line()
    {
        var registry = fixture.Plain;
        await fixture.PushAsync(SmallImage("exists"), registry, "exists:1");
        var tag = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"{registry.Host}/exists:nosuch", Insecure(registry.Host)));
        Assert.Equal($"registry {registry.Host}: exists:nosuch not found", tag.Message);
        Assert.Equal(HttpStatusCode.NotFound, tag.Status);
        Assert.Contains(tag.Errors, e => e.Code == "MANIFEST_UNKNOWN");

        var missing = "sha256:" + new string('a', 64);
        var digest = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"{registry.Host}/exists@{missing}", Insecure(registry.Host)));
        Assert.Equal($"registry {registry.Host}: exists@{missing} not found", digest.Message);
    }

    [Fact]
    public async Task Plain_http_is_refused_without_the_insecure_flag()
    {
        var registry = fixture.Plain;
        await fixture.PushAsync(SmallImage("tls-only"), registry, "tlsonly:1");
        var e = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"{registry.Host}/tlsonly:1", new TargetOptions()));
        Assert.StartsWith($"registry {registry.Host}: TLS connection to {registry.Host} failed", e.Message);
        Assert.Contains($"--insecure-registry {registry.Host}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        output.WriteLine(e.Message);
    }

    [Fact]
    public async Task An_insecure_registry_off_loopback_is_refused_before_any_traffic()
    {
        // A listener on every interface: if the client tried plain HTTP to this machine's LAN address, it would connect here.
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?.ToString() ?? "192.0.2.1";
        var host = $"{address}:{port}";

        var e = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"{host}/app:1", Insecure(host)));
        Assert.Equal($"registry {host}: plain HTTP (--insecure-registry) is only allowed for loopback registries (127.0.0.0/8, ::1, localhost); refusing to connect", e.Message);
        await Task.Delay(100);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task A_multi_platform_index_is_narrowed_with_platform()
    {
        var registry = fixture.Plain;
        var amd64 = await fixture.PushAsync(SmallImage("amd64 build"), registry, "multi:amd64");
        var arm64 = await fixture.PushAsync(SmallImage("arm64 build", "arm64"), registry, "multi:arm64");
        var index = await PutIndexAsync(registry, "multi", "latest",
            (amd64, new Platform("linux", "amd64")), (arm64, new Platform("linux", "arm64", "v8")));

        using (var arm = await OpenAsync($"{registry.Host}/multi:latest", Insecure(registry.Host, Platform.Parse("linux/arm64"))))
        {
            Assert.Equal("payload arm64 build", arm.FileSystem.ReadText("/app/data.txt"));
            Assert.Equal(arm64, arm.Image!.ManifestDigest);
            Assert.Equal("arm64", arm.Image.Architecture);
        }
        using (var amd = await OpenAsync($"{registry.Host}/multi@{index}", Insecure(registry.Host, Platform.Parse("linux/amd64"))))
        {
            Assert.Equal("payload amd64 build", amd.FileSystem.ReadText("/app/data.txt"));
            Assert.Equal(amd64, amd.Image!.ManifestDigest);
        }
        var none = await Assert.ThrowsAsync<ArtifactException>(() => OpenAsync($"{registry.Host}/multi:latest", Insecure(registry.Host, Platform.Parse("linux/s390x"))));
        Assert.Contains("no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8)", none.Message);
    }

    /// <summary>Creates an OCI index over manifests already in the repository (PUT, as a multi-arch build would).</summary>
    private static async Task<string> PutIndexAsync(RegistryServer registry, string repository, string tag, params (string Digest, Platform Platform)[] manifests)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://{registry.Host}") };
        var entries = new JsonArray();
        foreach (var (digest, platform) in manifests)
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{digest}");
            head.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var response = await http.SendAsync(head);
            response.EnsureSuccessStatusCode();
            var p = new JsonObject { ["architecture"] = platform.Architecture, ["os"] = platform.Os };
            if (platform.Variant is not null) p["variant"] = platform.Variant;
            entries.Add(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = digest,
                ["size"] = response.Content.Headers.ContentLength,
                ["platform"] = p,
            });
        }
        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["manifests"] = entries };
        var body = Encoding.UTF8.GetBytes(index.ToJsonString());
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/vnd.oci.image.index.v1+json");
        using var put = await http.PutAsync($"/v2/{repository}/manifests/{tag}", content);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return TestImage.Sha(body);
    }

    [Fact]
    public async Task Basic_auth_over_tls_with_a_private_ca()
    {
        var registry = fixture.Secure;
        var digest = await fixture.PushAsync(SmallImage("secure"), registry, "private/app:2", withCredentials: true);
        var reference = $"{registry.Host}/private/app:2";
        var options = new RegistryClientOptions { Credentials = RegistryCredentials.FromFiles([fixture.AuthFile]), ExtraCaFile = fixture.CaFile };

        var (metadata, files) = await PullAsync(reference, options);
        using (files)
        {
            Assert.Equal(digest, metadata.ManifestDigest);
            Assert.Equal("payload secure", files.ReadText("/app/data.txt"));
        }

        var wrong = options with { Credentials = RegistryCredentials.FromFiles([fixture.WriteAuthFile("wrong.json", RegistryFixture.User, "not-the-password")]) };
        var denied = await Assert.ThrowsAsync<RegistryException>(() => PullAsync(reference, wrong));
        Assert.Equal($"registry {registry.Host}: authentication failed (401)", denied.Message);

        var anonymous = await Assert.ThrowsAsync<RegistryException>(() => PullAsync(reference, options with { Credentials = RegistryCredentials.None }));
        Assert.StartsWith($"registry {registry.Host}: authentication required (401) and no credentials for it", anonymous.Message);

        // Without the CA, the system store does not trust the registry's certificate.
        var untrusted = await Assert.ThrowsAsync<RegistryException>(() => PullAsync(reference, options with { ExtraCaFile = null }));
        Assert.StartsWith($"registry {registry.Host}: TLS connection to {registry.Host} failed", untrusted.Message);
        Assert.Contains("ZERODRIFT_REGISTRY_CA", untrusted.Message);
    }

    [Fact]
    public async Task Credentials_and_ca_come_from_the_environment()
    {
        var registry = fixture.Secure;
        await fixture.PushAsync(SmallImage("from env"), registry, "private/env:1", withCredentials: true);
        var saved = (Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE"), Environment.GetEnvironmentVariable(RegistryClientOptions.CaVariable));
        try
        {
            Environment.SetEnvironmentVariable("REGISTRY_AUTH_FILE", fixture.AuthFile);
            Environment.SetEnvironmentVariable(RegistryClientOptions.CaVariable, fixture.CaFile);
            using var target = await OpenAsync($"registry:{registry.Host}/private/env:1", new TargetOptions());
            Assert.Equal("payload from env", target.FileSystem.ReadText("/app/data.txt"));

            Environment.SetEnvironmentVariable("REGISTRY_AUTH_FILE", fixture.WriteAuthFile("env-wrong.json", "intruder", "guess"));
            var e = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"registry:{registry.Host}/private/env:1", new TargetOptions()));
            Assert.Equal($"registry {registry.Host}: authentication failed (401)", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REGISTRY_AUTH_FILE", saved.Item1);
            Environment.SetEnvironmentVariable(RegistryClientOptions.CaVariable, saved.Item2);
        }
    }

    [Fact]
    public async Task A_blob_that_does_not_match_its_digest_is_refused()
    {
        var registry = fixture.Plain;
        // Content unique to this test: blobs are shared across repositories in the registry's storage.
        var unique = Guid.NewGuid().ToString();
        var image = new TestImage().Layer(new TestLayer().File("data/unique.txt", unique + new string('x', 4096)));
        var digest = await fixture.PushAsync(image, registry, "corrupt:1");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/corrupt/manifests/{digest}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.SendAsync(request);
        var manifest = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var layerDigest = manifest["layers"]![0]!["digest"]!.GetValue<string>();

        var stored = registry.BlobPath(layerDigest);
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[bytes.Length / 2] ^= 0xff; // same size, different content
        await File.WriteAllBytesAsync(stored, bytes);

        var e = await Assert.ThrowsAsync<RegistryException>(() => OpenAsync($"{registry.Host}/corrupt:1", Insecure(registry.Host)));
        Assert.Contains($"blob {layerDigest}", e.Message);
        Assert.Contains("does not match its digest", e.Message);
        output.WriteLine(e.Message);
    }
}
