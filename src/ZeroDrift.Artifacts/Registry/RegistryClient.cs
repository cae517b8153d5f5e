using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using ZeroDrift.Artifacts.Images.Oci;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>A manifest or index as read from a registry, its bytes already checked against <see cref="Descriptor"/>.Digest.</summary>
public sealed record RegistryManifest(Descriptor Descriptor, byte[] Content);

/// <summary>
/// An async client of the OCI Distribution API (https://github.com/opencontainers/distribution-spec): manifests
/// and blobs, with anonymous, Basic and Bearer-token authentication, digest verification on every read, HTTPS
/// by default (plain HTTP only for insecure loopback registries), and cancellation throughout. One instance
/// serves any number of registries and concurrent calls; tokens are cached per registry and scope.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private const int MaxRedirects = 5;
    private const int MaxErrorBodyBytes = 64 << 10;
    private const int MaxTokenBodyBytes = 1 << 20;

    public static readonly IReadOnlyList<string> ManifestMediaTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    private readonly RegistryClientOptions _options;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, Uri> _baseUris = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _basicRegistries = new(StringComparer.OrdinalIgnoreCase);

    private sealed record CachedToken(string Token, DateTimeOffset Expires);

    public RegistryClient(RegistryClientOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler
        {
            // Redirects are followed by hand: the Authorization header must not travel to another host, and an
            // HTTPS request must not be downgraded.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // HTTPS_PROXY and friends apply, but a loopback registry is this machine's: never send it to a proxy.
            Proxy = new LoopbackBypassProxy(HttpClient.DefaultProxy),
            UseProxy = true,
        };
        if (options.LoadExtraCas() is { } cas)
            handler.SslOptions.RemoteCertificateValidationCallback = RegistryClientOptions.TrustWith(cas);
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    public RegistryClientOptions Options => _options;

    /// <summary>Reads a manifest or index by tag or digest, verifying its bytes against the digest asked for and the
    /// registry's <c>Docker-Content-Digest</c>.</summary>
    public async Task<RegistryManifest> GetManifestAsync(RepositoryRef repository, string reference, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var path = $"/v2/{repository.Name}/manifests/{reference}";
        using var response = await SendAsync(repository, HttpMethod.Get, path, ManifestMediaTypes, "pull", HttpCompletionOption.ResponseHeadersRead,
            Display(repository, reference), cancellationToken, timeout.Token).ConfigureAwait(false);
        var what = $"registry {repository.Registry}: manifest {Display(repository, reference)}";
        var content = await ReadBoundedAsync(response, _options.MaxManifestBytes, what, cancellationToken, timeout.Token).ConfigureAwait(false);
        var pinned = reference.Contains(':', StringComparison.Ordinal) ? reference : null;
        if (pinned is not null) Digest.Verify(content, pinned, what);
        var claimed = ContentDigest(response, repository.Registry);
        if (claimed is not null) Digest.Verify(content, claimed, $"{what} (Docker-Content-Digest)");
        var digest = pinned ?? claimed ?? Digest.Sha256(content);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (!ManifestMediaTypes.Contains(mediaType)) mediaType = MediaTypeFromContent(content);
        return new RegistryManifest(new Descriptor(mediaType, digest, content.LongLength), content);
    }

    /// <summary>
    /// The descriptor a registry gives for a manifest without its body (HEAD), or null when it has none. The digest
    /// is the registry's claim: callers that go on to read the content verify it then.
    /// </summary>
    public async Task<Descriptor?> HeadManifestAsync(RepositoryRef repository, string reference, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await SendAsync(repository, HttpMethod.Head, $"/v2/{repository.Name}/manifests/{reference}", ManifestMediaTypes, "pull",
                HttpCompletionOption.ResponseHeadersRead, Display(repository, reference), cancellationToken, timeout.Token).ConfigureAwait(false);
            var digest = ContentDigest(response, repository.Registry) ?? (reference.Contains(':', StringComparison.Ordinal) ? reference : null);
            if (digest is null) return null;
            return new Descriptor(response.Content.Headers.ContentType?.MediaType ?? "", digest, response.Content.Headers.ContentLength ?? -1);
        }
        catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Reads a small blob (a config, a signature payload) into memory, verified.</summary>
    public async Task<byte[]> GetBlobAsync(RepositoryRef repository, Descriptor descriptor, long maxBytes, CancellationToken cancellationToken)
    {
        if (descriptor.Size > maxBytes)
            throw new LimitExceededException($"registry {repository.Registry}: blob {descriptor.Digest} has {descriptor.Size} bytes, more than the {maxBytes} allowed");
        using var buffer = new MemoryStream();
        await DownloadBlobAsync(repository, descriptor, buffer, maxBytes, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>
    /// Copies a blob into <paramref name="destination"/>, hashing as it goes; fails when the bytes do not match the
    /// descriptor's digest or size. Redirects to storage on another host are followed without the Authorization header.
    /// </summary>
    public async Task DownloadBlobAsync(RepositoryRef repository, Descriptor descriptor, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        Digest.Parse(descriptor.Digest);
        var what = $"registry {repository.Registry}: blob {descriptor.Digest}";
        var limit = descriptor.Size >= 0 ? Math.Min(descriptor.Size, maxBytes) : maxBytes;
        if (descriptor.Size > maxBytes)
            throw new LimitExceededException($"{what}: {descriptor.Size} bytes, more than the {maxBytes} allowed");
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.RequestTimeout);
        using var response = await SendAsync(repository, HttpMethod.Get, $"/v2/{repository.Name}/blobs/{descriptor.Digest}", [], "pull",
            HttpCompletionOption.ResponseHeadersRead, $"blob {descriptor.Digest} in {repository.Name}", cancellationToken, idle.Token).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength is { } announced && descriptor.Size >= 0 && announced != descriptor.Size)
            throw new RegistryException($"{what}: the registry sends {announced} bytes, the descriptor says {descriptor.Size}");
        using var hash = Digest.CreateHash(descriptor.Digest);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        long total = 0;
        while (true)
        {
            idle.CancelAfter(_options.ReadIdleTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RegistryException($"{what}: no data for {_options.ReadIdleTimeout.TotalSeconds:0.#} s; giving up");
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new RegistryException($"{what}: transfer failed after {total} bytes ({e.Message})", inner: e);
            }
            if (read == 0) break;
            total += read;
            if (total > limit)
                throw descriptor.Size >= 0 && total > descriptor.Size
                    ? new RegistryException($"{what}: the registry sends more than the {descriptor.Size} bytes the descriptor says")
                    : new LimitExceededException($"{what}: more than {maxBytes} bytes");
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        if (descriptor.Size >= 0 && total != descriptor.Size)
            throw new RegistryException($"{what}: received {total} bytes, the descriptor says {descriptor.Size}");
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!descriptor.Digest.EndsWith(":" + actual, StringComparison.Ordinal))
            throw new RegistryException($"{what} in {repository.Name}: content does not match its digest {descriptor.Digest} (got {Digest.Parse(descriptor.Digest).Algorithm}:{actual})");
    }

    /// <summary>
    /// Sends a request to the registry, authenticating when challenged (Basic with stored credentials, or a Bearer
    /// token from the challenge's realm) and following redirects; a non-success answer becomes a <see cref="RegistryException"/>.
    /// </summary>
    private Task<HttpResponseMessage> SendAsync(RepositoryRef repository, HttpMethod method, string path, IReadOnlyList<string> accept,
        string actions, HttpCompletionOption completion, string subject, CancellationToken userToken, CancellationToken token) =>
        SendAsync(repository, method, new Uri(BaseUri(repository.Registry), path), accept, actions, completion, subject, null, userToken, token);

    /// <param name="content">Makes the request body afresh for each attempt (a 401 challenge resends it), or null.</param>
    private async Task<HttpResponseMessage> SendAsync(RepositoryRef repository, HttpMethod method, Uri uri, IReadOnlyList<string> accept,
        string actions, HttpCompletionOption completion, string subject, Func<HttpContent>? content, CancellationToken userToken, CancellationToken token)
    {
        var registry = repository.Registry;
        var path = uri.AbsolutePath;
        var scope = $"repository:{repository.Name}:{actions}";
        var response = await SendFollowingRedirectsAsync(registry, method, uri, accept, CachedAuthorization(repository, scope), completion, userToken, token, content).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var challenge = PickChallenge(response);
            response.Dispose();
            var authorization = await AuthorizeAsync(repository, scope, challenge, userToken, token).ConfigureAwait(false);
            response = await SendFollowingRedirectsAsync(registry, method, uri, accept, authorization, completion, userToken, token, content).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                throw new RegistryException($"registry {registry}: authentication failed (401)", HttpStatusCode.Unauthorized);
            }
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw await ErrorAsync(registry, method, path, subject, response, userToken).ConfigureAwait(false);
    }

    private Uri BaseUri(string registry) => _baseUris.GetOrAdd(registry, _options.BaseUri);

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(string registry, HttpMethod method, Uri uri, IReadOnlyList<string> accept,
        AuthenticationHeaderValue? authorization, HttpCompletionOption completion, CancellationToken userToken, CancellationToken token,
        Func<HttpContent>? content = null)
    {
        var origin = uri;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (content is not null) request.Content = content();
            foreach (var type in accept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            // Credentials go only to the registry itself, never to storage a redirect points to.
            if (authorization is not null && SameAuthority(uri, origin)) request.Headers.Authorization = authorization;
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
            {
                throw new RegistryException($"registry {registry}: no answer from {uri.Authority} within {_options.RequestTimeout.TotalSeconds:0} s");
            }
            catch (HttpRequestException e)
            {
                throw ConnectionError(registry, uri, e);
            }
            var status = (int)response.StatusCode;
            if (status is not (301 or 302 or 303 or 307 or 308)) return response;
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null) throw new RegistryException($"registry {registry}: redirect ({status}) without a Location");
            if (hop >= MaxRedirects) throw new RegistryException($"registry {registry}: more than {MaxRedirects} redirects");
            var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
            if (next.Scheme != Uri.UriSchemeHttps && !(next.Scheme == Uri.UriSchemeHttp && origin.Scheme == Uri.UriSchemeHttp && RegistryClientOptions.IsLoopback(next.Host)))
                throw new RegistryException($"registry {registry}: refusing a redirect to {next.Scheme}://{next.Authority} (only HTTPS, or HTTP on loopback for an insecure registry)");
            uri = next;
        }
    }

    private static bool SameAuthority(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    private AuthenticationHeaderValue? CachedAuthorization(RepositoryRef repository, string scope)
    {
        if (_tokens.TryGetValue(TokenKey(repository.Registry, scope), out var cached) && cached.Expires > DateTimeOffset.UtcNow)
            return new AuthenticationHeaderValue("Bearer", cached.Token);
        if (_basicRegistries.ContainsKey(repository.Registry) && _options.Credentials.Find(repository.Registry, repository.Name) is { } basic)
            return new AuthenticationHeaderValue("Basic", basic.HeaderValue);
        return null;
    }

    private static string TokenKey(string registry, string scope) => registry + " " + scope;

    private static AuthChallenge? PickChallenge(HttpResponseMessage response)
    {
        var challenges = response.Headers.WwwAuthenticate.Select(h => AuthChallenge.Parse(h.Scheme, h.Parameter)).ToList();
        return challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
    }

    private async Task<AuthenticationHeaderValue> AuthorizeAsync(RepositoryRef repository, string scope, AuthChallenge? challenge,
        CancellationToken userToken, CancellationToken token)
    {
        var registry = repository.Registry;
        var credentials = _options.Credentials.Find(registry, repository.Name);
        if (challenge is { IsBasic: true })
        {
            if (credentials is null)
                throw new RegistryException($"registry {registry}: authentication required (401) and no credentials for it (log in with podman/docker login, or set REGISTRY_AUTH_FILE)", HttpStatusCode.Unauthorized);
            _basicRegistries[registry] = 0;
            return new AuthenticationHeaderValue("Basic", credentials.HeaderValue);
        }
        if (challenge is not { IsBearer: true, Realm: { Length: > 0 } realm })
            throw new RegistryException($"registry {registry}: authentication failed (401; no usable WWW-Authenticate challenge)", HttpStatusCode.Unauthorized);
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri)
            || !(realmUri.Scheme == Uri.UriSchemeHttps || (realmUri.Scheme == Uri.UriSchemeHttp && RegistryClientOptions.IsLoopback(realmUri.Host))))
            throw new RegistryException($"registry {registry}: refusing token realm '{realm}' (must be HTTPS, or HTTP on loopback)");

        var query = new List<string>();
        if (challenge.Service is { Length: > 0 } service) query.Add("service=" + Uri.EscapeDataString(service));
        // The scope asked for: the challenge's, and ours when it differs (a registry may name only one).
        var scopes = new List<string> { scope };
        if (challenge.Scope is { Length: > 0 } challenged && challenged != scope) scopes.Insert(0, challenged);
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var tokenUri = new UriBuilder(realmUri) { Query = string.Join('&', new[] { realmUri.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query)) }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (credentials is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.HeaderValue);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
        {
            throw new RegistryException($"registry {registry}: token service {tokenUri.Authority} did not answer within {_options.RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw ConnectionError(registry, tokenUri, e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new RegistryException($"registry {registry}: authentication failed ({(int)response.StatusCode})", response.StatusCode);
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(registry, HttpMethod.Get, tokenUri.AbsolutePath, $"token from {tokenUri.Authority}", response, userToken).ConfigureAwait(false);
            var body = await ReadBoundedAsync(response, MaxTokenBodyBytes, $"registry {registry}: token response", userToken, token).ConfigureAwait(false);
            var (value, lifetime) = ParseToken(body, registry);
            var cached = new CachedToken(value, DateTimeOffset.UtcNow + lifetime - TimeSpan.FromSeconds(Math.Min(10, lifetime.TotalSeconds / 2)));
            foreach (var s in scopes) _tokens[TokenKey(registry, s)] = cached;
            return new AuthenticationHeaderValue("Bearer", value);
        }
    }

    private static (string Token, TimeSpan Lifetime) ParseToken(byte[] body, string registry)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            string? token = null;
            foreach (var name in new[] { "token", "access_token" })
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } s)
                {
                    token = s;
                    break;
                }
            if (token is null) throw new RegistryException($"registry {registry}: the token response holds no token");
            // The token spec's default lifetime is 60 s; clamp hostile values.
            var seconds = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var n) && n > 0 ? Math.Min(n, 24 * 3600) : 60;
            return (token, TimeSpan.FromSeconds(seconds));
        }
        catch (JsonException e)
        {
            throw new RegistryException($"registry {registry}: malformed token response ({e.Message})", inner: e);
        }
    }

    private static RegistryException ConnectionError(string registry, Uri uri, HttpRequestException e)
    {
        var root = e.InnerException;
        while (root?.InnerException is not null && root is not (SocketException or AuthenticationException)) root = root.InnerException;
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError || root is AuthenticationException)
            return new RegistryException($"registry {registry}: TLS connection to {uri.Authority} failed ({root?.Message ?? e.Message}); " +
                $"for a private CA set {RegistryClientOptions.CaVariable}=ca.pem, for a plain-HTTP registry on this machine pass --insecure-registry {registry}", inner: e);
        if (e.HttpRequestError == HttpRequestError.NameResolutionError)
            return new RegistryException($"registry {registry}: cannot resolve host {uri.Host}", inner: e);
        if (root is SocketException socket)
            return new RegistryException($"registry {registry}: cannot connect to {uri.Authority} ({socket.Message})", inner: e);
        return new RegistryException($"registry {registry}: request to {uri.Authority} failed ({root?.Message ?? e.Message})", inner: e);
    }

    private static async Task<RegistryException> ErrorAsync(string registry, HttpMethod method, string path, string subject, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var errors = new List<RegistryError>();
        if (method != HttpMethod.Head)
        {
            try
            {
                var body = await ReadBoundedAsync(response, MaxErrorBodyBytes, "", cancellationToken, cancellationToken).ConfigureAwait(false);
                using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var item in list.EnumerateArray().Take(10))
                        if (item.ValueKind == JsonValueKind.Object)
                            errors.Add(new RegistryError(
                                item.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "",
                                item.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : ""));
            }
            catch (Exception e) when (e is JsonException or ArtifactException or IOException or HttpRequestException) { }
        }
        var status = response.StatusCode;
        var detail = errors.Count == 0 ? "" : ": " + OneLine(string.Join("; ", errors.Select(x => x.Message.Length > 0 ? x.Message : x.Code)));
        var message = status switch
        {
            HttpStatusCode.NotFound => $"registry {registry}: {subject} not found",
            HttpStatusCode.Unauthorized => $"registry {registry}: authentication failed (401)",
            HttpStatusCode.Forbidden => $"registry {registry}: access to {subject} denied (403){detail}",
            HttpStatusCode.TooManyRequests => $"registry {registry}: too many requests (429){detail}",
            _ => $"registry {registry}: {method} {path} failed: {(int)status} {response.ReasonPhrase}{detail}",
        };
        return new RegistryException(message, status, errors);
    }

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long max, string what, CancellationToken userToken, CancellationToken token)
    {
        if (response.Content.Headers.ContentLength is { } length && length > max)
            throw new LimitExceededException($"{what}: {length} bytes, more than the {max} allowed");
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 14];
            int read;
            while ((read = await body.ReadAsync(chunk, token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > max) throw new LimitExceededException($"{what}: more than {max} bytes");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
        {
            throw new RegistryException($"{what}: timed out while reading");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new RegistryException($"{what}: transfer failed ({e.Message})", inner: e);
        }
    }

    private static string? ContentDigest(HttpResponseMessage response, string registry)
    {
        if (!response.Headers.TryGetValues("Docker-Content-Digest", out var values) || values.FirstOrDefault()?.Trim() is not { Length: > 0 } digest)
            return null;
        try
        {
            Digest.Parse(digest);
            return digest;
        }
        catch (ArtifactException e)
        {
            throw new RegistryException($"registry {registry}: Docker-Content-Digest header: {e.Message}", inner: e);
        }
    }

    private static string MediaTypeFromContent(byte[] content)
    {
        try
        {
            using var doc = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "";
            if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String) return mt.GetString()!;
            return doc.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string Display(RepositoryRef repository, string reference) =>
        reference.Contains(':', StringComparison.Ordinal) ? $"{repository.Name}@{reference}" : $"{repository.Name}:{reference}";

    public void Dispose() => _http.Dispose();

    private sealed class LoopbackBypassProxy(IWebProxy inner) : IWebProxy
    {
        public ICredentials? Credentials { get => inner.Credentials; set => inner.Credentials = value; }
        public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? null : inner.GetProxy(destination);
        public bool IsBypassed(Uri host) => RegistryClientOptions.IsLoopback(host.Host) || inner.IsBypassed(host);
    }
}
