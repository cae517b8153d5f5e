using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Tests.Registry;

/// <summary>
/// Protocol behaviour a stock registry does not exhibit on demand: redirects to blob storage on another host,
/// and lying digests. A small HTTP server on loopback plays the registry.
/// </summary>
public sealed class RegistryProtocolTests
{
    /// <summary>An HTTP server on 127.0.0.1 answering with <paramref name="handle"/>; records each request's path and Authorization.</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public int Port { get; } = RegistryServer.FreePort();
        public string Host => $"127.0.0.1:{Port}";
        public ConcurrentQueue<(string Path, string? Authorization)> Seen { get; } = new();

        public FakeServer(Action<HttpListenerRequest, HttpListenerResponse> handle)
        {
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    HttpListenerContext c;
                    try { c = await _listener.GetContextAsync(); }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                    Seen.Enqueue((c.Request.Url!.PathAndQuery, c.Request.Headers["Authorization"]));
                    try { handle(c.Request, c.Response); }
                    finally { c.Response.Close(); }
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }

    private static void Write(HttpListenerResponse response, byte[] body, string? contentType = null)
    {
        if (contentType is not null) response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
    }

    private static RegistryClientOptions Options(string host, string? authFile = null) => new()
    {
        InsecureRegistries = [host],
        Credentials = authFile is null ? RegistryCredentials.None : RegistryCredentials.FromFiles([authFile]),
    };

    [Fact]
    public async Task Blob_redirects_to_another_host_do_not_carry_the_authorization_header()
    {
        var blob = Encoding.UTF8.GetBytes("layer bytes kept in object storage");
        var digest = Digest.Sha256(blob);
        await using var storage = new FakeServer((_, response) => Write(response, blob));
        await using var registry = new FakeServer((request, response) =>
        {
            if (request.Headers["Authorization"] is null)
            {
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", "Basic realm=\"fake\"");
                return;
            }
            response.StatusCode = 307;
            response.RedirectLocation = $"http://127.0.0.1:{storage.Port}/bucket/{digest["sha256:".Length..]}?signature=abc";
        });
        using var dir = new TempDir();
        var auth = dir.File("auth.json", "{\"auths\":{\"" + registry.Host + "\":{\"username\":\"u\",\"password\":\"p\"}}}");
        using var client = new RegistryClient(Options(registry.Host, auth));

        var content = await client.GetBlobAsync(new RepositoryRef(registry.Host, "app"), new Descriptor("application/octet-stream", digest, blob.Length), 1 << 20, CancellationToken.None);

        Assert.Equal(blob, content);
        Assert.Contains(registry.Seen, s => s.Authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")));
        var fetched = Assert.Single(storage.Seen);
        Assert.StartsWith("/bucket/", fetched.Path);
        Assert.Null(fetched.Authorization);
    }

    [Fact]
    public async Task Redirects_to_plain_http_off_loopback_are_refused()
    {
        await using var registry = new FakeServer((_, response) =>
        {
            response.StatusCode = 302;
            response.RedirectLocation = "http://storage.example.com/blob";
        });
        using var client = new RegistryClient(Options(registry.Host));
        var digest = Digest.Sha256([1]);
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            client.GetBlobAsync(new RepositoryRef(registry.Host, "app"), new Descriptor("", digest, 1), 1 << 20, CancellationToken.None));
        Assert.Equal($"registry {registry.Host}: refusing a redirect to http://storage.example.com (only HTTPS, or HTTP on loopback for an insecure registry)", e.Message);
    }

    [Fact]
    public async Task Manifests_are_checked_against_the_digest_asked_for_and_the_registry_header()
    {
        var manifest = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}");
        var other = Digest.Sha256(Encoding.UTF8.GetBytes("something else"));
        string? claimed = null;
        await using var registry = new FakeServer((request, response) =>
        {
            Assert.Contains("application/vnd.oci.image.index.v1+json", request.Headers["Accept"]);
            Assert.Contains("application/vnd.docker.distribution.manifest.list.v2+json", request.Headers["Accept"]);
            if (claimed is not null) response.AddHeader("Docker-Content-Digest", claimed);
            Write(response, manifest, "application/vnd.oci.image.manifest.v1+json");
        });
        using var client = new RegistryClient(Options(registry.Host));
        var repository = new RepositoryRef(registry.Host, "app");

        var byTag = await client.GetManifestAsync(repository, "v1", CancellationToken.None);
        Assert.Equal(Digest.Sha256(manifest), byTag.Descriptor.Digest);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", byTag.Descriptor.MediaType);

        var pinned = await Assert.ThrowsAsync<ArtifactException>(() => client.GetManifestAsync(repository, other, CancellationToken.None));
        Assert.StartsWith($"registry {registry.Host}: manifest app@{other}: content does not match its digest {other}", pinned.Message);

        claimed = other;
        var lying = await Assert.ThrowsAsync<ArtifactException>(() => client.GetManifestAsync(repository, "v1", CancellationToken.None));
        Assert.StartsWith($"registry {registry.Host}: manifest app:v1 (Docker-Content-Digest): content does not match its digest {other}", lying.Message);
    }

    [Fact]
    public async Task Registry_error_bodies_become_the_message()
    {
        await using var registry = new FakeServer((_, response) =>
        {
            response.StatusCode = 500;
            Write(response, Encoding.UTF8.GetBytes("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"storage backend\\nunavailable\"},{\"code\":\"X\",\"message\":\"retry later\"}]}"), "application/json");
        });
        using var client = new RegistryClient(Options(registry.Host));
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(new RepositoryRef(registry.Host, "app"), "v1", CancellationToken.None));
        Assert.Equal($"registry {registry.Host}: GET /v2/app/manifests/v1 failed: 500 Internal Server Error: storage backend unavailable; retry later", e.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, e.Status);
        Assert.Equal(["UNKNOWN", "X"], e.Errors.Select(x => x.Code));
    }

    [Fact]
    public async Task A_stalled_blob_download_fails_instead_of_hanging()
    {
        var digest = Digest.Sha256(new byte[100]);
        using var release = new ManualResetEventSlim();
        await using var registry = new FakeServer((_, response) =>
        {
            response.ContentLength64 = 100;
            response.OutputStream.Write(new byte[10]);
            response.OutputStream.Flush();
            release.Wait(TimeSpan.FromSeconds(30)); // then nothing: a stalled transfer, until the test is done
        });
        using var client = new RegistryClient(Options(registry.Host) with { ReadIdleTimeout = TimeSpan.FromMilliseconds(500) });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            client.GetBlobAsync(new RepositoryRef(registry.Host, "app"), new Descriptor("", digest, 100), 1 << 20, CancellationToken.None));
        release.Set();
        // The idle timeout, not the server, ended it (the server would have held on for 30 s); the bound is loose
        // because test assemblies share two cores.
        Assert.Equal($"registry {registry.Host}: blob {digest}: no data for 0.5 s; giving up", e.Message);
        Assert.True(watch.ElapsedMilliseconds < 10_000, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Cancellation_stops_a_stalled_download_at_once()
    {
        // A 64 KiB prefix, then the server stalls: cancelling must not wait for the idle timeout.
        var blob = new byte[1 << 20];
        var digest = Digest.Sha256(blob);
        using var stalled = new ManualResetEventSlim();
        await using var registry = new FakeServer((_, response) =>
        {
            response.ContentLength64 = blob.Length;
            response.OutputStream.Write(blob, 0, 1 << 16);
            response.OutputStream.Flush();
            stalled.Set();
            Thread.Sleep(1000);
        });
        using var client = new RegistryClient(Options(registry.Host));
        using var cts = new CancellationTokenSource();
        var download = client.DownloadBlobAsync(new RepositoryRef(registry.Host, "app"), new Descriptor("", digest, blob.Length), Stream.Null, 1 << 30, cts.Token);
        Assert.True(stalled.Wait(TimeSpan.FromSeconds(10)));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
    }

    [Fact]
    public async Task An_unreachable_registry_is_one_line()
    {
        var port = RegistryServer.FreePort(); // nothing listens there any more
        using var client = new RegistryClient(Options($"127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(new RepositoryRef($"127.0.0.1:{port}", "app"), "v1", CancellationToken.None));
        Assert.Equal($"registry 127.0.0.1:{port}: cannot connect to 127.0.0.1:{port} (Connection refused)", e.Message);
    }
}
