using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Images.Oci;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>What a registry answered to a manifest push.</summary>
/// <param name="Descriptor">The pushed manifest's descriptor (digest computed here, confirmed by the registry).</param>
/// <param name="SubjectAccepted">True when the registry answered <c>OCI-Subject</c>: it indexes referrers itself, so the
/// tag-schema fallback index need not be written.</param>
public sealed record PushedManifest(Descriptor Descriptor, bool SubjectAccepted);

/// <summary>The referrers of a manifest, and how they were found.</summary>
/// <param name="Referrers">Descriptors of the manifests whose <c>subject</c> is the digest asked about.</param>
/// <param name="ViaFallback">True when the registry lacks the referrers API and the <c>sha256-&lt;hex&gt;</c> tag was read.</param>
public sealed record ReferrersResult(IReadOnlyList<Descriptor> Referrers, bool ViaFallback);

/// <summary>
/// The writing half of the Distribution API (blobs, manifests, indexes), tag listing and the OCI 1.1 referrers API with
/// its tag-schema fallback (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema).
/// </summary>
public sealed partial class RegistryClient
{
    /// <summary>Blobs up to this size go up in one PUT; larger ones in PATCH chunks of <see cref="ChunkBytes"/>.</summary>
    public const long MonolithicLimit = 16 << 20;
    public const int ChunkBytes = 8 << 20;
    private const int MaxTagPages = 1000;
    /// <summary>How long a registry found without the referrers API is read through the fallback tag only.</summary>
    public static readonly TimeSpan ReferrersApiRecheck = TimeSpan.FromMinutes(10);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _noReferrersApi = new(StringComparer.OrdinalIgnoreCase);
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>True when the registry already holds the blob (HEAD 200).</summary>
    public async Task<bool> BlobExistsAsync(RepositoryRef repository, string digest, CancellationToken cancellationToken)
    {
        Digest.Parse(digest);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await SendAsync(repository, HttpMethod.Head, new Uri(BaseUri(repository.Registry), $"/v2/{repository.Name}/blobs/{digest}"), [],
                "pull,push", HttpCompletionOption.ResponseHeadersRead, $"blob {digest}", null, cancellationToken, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Uploads a blob unless the registry has it: one PUT for small blobs, or with <paramref name="chunked"/> (or when
    /// larger than <see cref="MonolithicLimit"/>) a session of PATCH chunks closed by a PUT with the digest. The registry
    /// checks the digest on completion; a mismatch is its 400 DIGEST_INVALID, reported as such.
    /// </summary>
    public async Task<Descriptor> PushBlobAsync(RepositoryRef repository, byte[] content, string mediaType, CancellationToken cancellationToken, bool? chunked = null)
    {
        var digest = Digest.Sha256(content);
        var descriptor = new Descriptor(mediaType, digest, content.LongLength);
        if (await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false)) return descriptor;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var what = $"blob {digest} to {repository.Name}";
        Uri location;
        using (var start = await SendAsync(repository, HttpMethod.Post, new Uri(BaseUri(repository.Registry), $"/v2/{repository.Name}/blobs/uploads/"), [],
            "pull,push", HttpCompletionOption.ResponseContentRead, $"upload of {what}", null, cancellationToken, timeout.Token).ConfigureAwait(false))
            location = UploadLocation(repository, start);

        if (chunked ?? content.LongLength > MonolithicLimit)
        {
            for (var offset = 0; offset < content.Length; offset += ChunkBytes)
            {
                var length = Math.Min(ChunkBytes, content.Length - offset);
                var begin = offset;
                timeout.CancelAfter(_options.RequestTimeout);
                using var patch = await SendAsync(repository, HttpMethod.Patch, location, [], "pull,push", HttpCompletionOption.ResponseContentRead, $"upload of {what}",
                    () =>
                    {
                        var body = new ByteArrayContent(content, begin, length);
                        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        // The distribution spec's Content-Range is "start-end" without a unit.
                        body.Headers.TryAddWithoutValidation("Content-Range", $"{begin}-{begin + length - 1}");
                        return body;
                    }, cancellationToken, timeout.Token).ConfigureAwait(false);
                location = UploadLocation(repository, patch);
            }
            timeout.CancelAfter(_options.RequestTimeout);
            using var close = await SendAsync(repository, HttpMethod.Put, WithDigest(location, digest), [], "pull,push", HttpCompletionOption.ResponseContentRead,
                $"upload of {what}", () => new ByteArrayContent([]), cancellationToken, timeout.Token).ConfigureAwait(false);
            CheckCreated(repository, close, digest, what);
        }
        else
        {
            using var put = await SendAsync(repository, HttpMethod.Put, WithDigest(location, digest), [], "pull,push", HttpCompletionOption.ResponseContentRead,
                $"upload of {what}", () =>
                {
                    var body = new ByteArrayContent(content);
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    return body;
                }, cancellationToken, timeout.Token).ConfigureAwait(false);
            CheckCreated(repository, put, digest, what);
        }
        return descriptor;
    }

    /// <summary>
    /// Puts a manifest or index under a tag or its digest. The registry's <c>Docker-Content-Digest</c> must be the digest of
    /// the bytes sent: a registry that rewrote them would otherwise leave a signature over something it does not serve.
    /// </summary>
    public async Task<PushedManifest> PushManifestAsync(RepositoryRef repository, string reference, byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        if (content.LongLength > _options.MaxManifestBytes)
            throw new LimitExceededException($"manifest for {Display(repository, reference)}: {content.Length} bytes, more than the {_options.MaxManifestBytes} allowed");
        var digest = Digest.Sha256(content);
        if (reference.Contains(':', StringComparison.Ordinal) && reference != digest)
            throw new RegistryException($"registry {repository.Registry}: pushing to {reference} content whose digest is {digest}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var response = await SendAsync(repository, HttpMethod.Put, new Uri(BaseUri(repository.Registry), $"/v2/{repository.Name}/manifests/{reference}"), [],
            "pull,push", HttpCompletionOption.ResponseContentRead, $"manifest {Display(repository, reference)}", () =>
            {
                var body = new ByteArrayContent(content);
                body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return body;
            }, cancellationToken, timeout.Token).ConfigureAwait(false);
        if (ContentDigest(response, repository.Registry) is { } claimed && claimed != digest)
            throw new RegistryException($"registry {repository.Registry}: stored manifest {Display(repository, reference)} as {claimed}, but its bytes are {digest}");
        var subject = response.Headers.TryGetValues("OCI-Subject", out var values) && values.Any();
        return new PushedManifest(new Descriptor(mediaType, digest, content.LongLength), subject);
    }

    /// <summary>Every tag of a repository, following <c>Link</c> pagination (bounded).</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(RepositoryRef repository, CancellationToken cancellationToken)
    {
        var tags = new List<string>();
        var next = new Uri(BaseUri(repository.Registry), $"/v2/{repository.Name}/tags/list?n=1000");
        for (var page = 0; next is not null; page++)
        {
            if (page >= MaxTagPages) throw new LimitExceededException($"registry {repository.Registry}: {repository.Name} lists more than {MaxTagPages} pages of tags");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            using var response = await SendAsync(repository, HttpMethod.Get, next, ["application/json"], "pull", HttpCompletionOption.ResponseHeadersRead,
                $"tags of {repository.Name}", null, cancellationToken, timeout.Token).ConfigureAwait(false);
            var body = await ReadBoundedAsync(response, _options.MaxManifestBytes, $"registry {repository.Registry}: tags of {repository.Name}", cancellationToken, timeout.Token).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                    tags.AddRange(list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
            }
            catch (JsonException e)
            {
                throw new RegistryException($"registry {repository.Registry}: malformed tag list for {repository.Name} ({e.Message})", inner: e);
            }
            next = NextLink(repository, response, next);
        }
        return tags;
    }

    /// <summary>The fallback tag that indexes the referrers of <paramref name="digest"/>: <c>sha256-&lt;hex&gt;</c>.</summary>
    public static string ReferrersTag(string digest)
    {
        var (algorithm, hex) = Digest.Parse(digest);
        return $"{algorithm}-{hex}";
    }

    /// <summary>
    /// The referrers of a manifest: the OCI 1.1 API when the registry has it (404 means it has not), else the
    /// <c>sha256-&lt;hex&gt;</c> index. <paramref name="artifactType"/> filters, also when the registry ignored the filter.
    /// </summary>
    public async Task<ReferrersResult> GetReferrersAsync(RepositoryRef repository, string digest, string? artifactType, CancellationToken cancellationToken)
    {
        Digest.Parse(digest);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var path = $"/v2/{repository.Name}/referrers/{digest}" + (artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType));
        byte[]? body = null;
        // A registry without the API is remembered for a while, saving a round trip per lookup (admission asks often).
        var knownWithout = _noReferrersApi.TryGetValue(repository.Registry, out var until) && until > DateTimeOffset.UtcNow;
        if (!knownWithout)
        try
        {
            using var response = await SendAsync(repository, HttpMethod.Get, new Uri(BaseUri(repository.Registry), path), [MediaTypes.OciIndex], "pull",
                HttpCompletionOption.ResponseHeadersRead, $"referrers of {digest}", null, cancellationToken, timeout.Token).ConfigureAwait(false);
            // A registry that routes the path elsewhere answers something that is not an index: treat it as no API.
            if (response.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex)
                body = await ReadBoundedAsync(response, _options.MaxManifestBytes, $"registry {repository.Registry}: referrers of {digest}", cancellationToken, timeout.Token).ConfigureAwait(false);
            else
                _noReferrersApi[repository.Registry] = DateTimeOffset.UtcNow + ReferrersApiRecheck;
        }
        catch (RegistryException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest)
        {
            _noReferrersApi[repository.Registry] = DateTimeOffset.UtcNow + ReferrersApiRecheck;
        }

        var viaFallback = body is null;
        if (body is null)
        {
            try
            {
                body = (await GetManifestAsync(repository, ReferrersTag(digest), cancellationToken).ConfigureAwait(false)).Content;
            }
            catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound)
            {
                return new ReferrersResult([], true);
            }
        }
        var referrers = ParseIndex(body, $"registry {repository.Registry}: referrers of {digest}")
            .Where(d => artifactType is null || d.ArtifactType == artifactType)
            .ToList();
        return new ReferrersResult(referrers, viaFallback);
    }

    /// <summary>
    /// Pushes a manifest with a <c>subject</c> and makes it findable: when the registry did not confirm it indexes the
    /// subject (<c>OCI-Subject</c>), the descriptor is added to the <c>sha256-&lt;hex&gt;</c> fallback index (read,
    /// extended, written back: the spec's documented update, racy only between concurrent writers of one subject).
    /// </summary>
    public async Task<PushedManifest> PushReferrerAsync(RepositoryRef repository, string subjectDigest, byte[] manifest, string artifactType,
        IReadOnlyDictionary<string, string>? annotations, CancellationToken cancellationToken)
    {
        var digest = Digest.Sha256(manifest);
        var pushed = await PushManifestAsync(repository, digest, manifest, MediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
        if (pushed.SubjectAccepted) return pushed;
        var tag = ReferrersTag(subjectDigest);
        JsonArray entries = [];
        try
        {
            var existing = await GetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            if (JsonNode.Parse(existing.Content) is JsonObject old && old["manifests"] is JsonArray list) entries = (JsonArray)list.DeepClone();
        }
        catch (RegistryException e) when (e.Status == HttpStatusCode.NotFound) { }
        catch (JsonException) { }
        if (entries.Any(e => e?["digest"]?.GetValue<string>() == digest)) return pushed;
        var entry = new JsonObject
        {
            ["mediaType"] = MediaTypes.OciManifest,
            ["digest"] = digest,
            ["size"] = manifest.LongLength,
            ["artifactType"] = artifactType,
        };
        if (annotations is { Count: > 0 })
            entry["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value))));
        entries.Add(entry);
        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = entries };
        await PushManifestAsync(repository, tag, JsonSerializer.SerializeToUtf8Bytes(index, RelaxedJson), MediaTypes.OciIndex, cancellationToken).ConfigureAwait(false);
        return pushed;
    }

    /// <summary>The descriptors of an index (<c>manifests</c>), with their artifactType and annotations.</summary>
    public static IReadOnlyList<Descriptor> ParseIndex(byte[] content, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("manifests", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new RegistryException($"{what}: not an image index");
            return list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e => Descriptor.FromJson(e, what)).ToList();
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{what}: malformed index ({e.Message})", inner: e);
        }
    }

    private Uri UploadLocation(RepositoryRef repository, HttpResponseMessage response)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException($"registry {repository.Registry}: upload answer ({(int)response.StatusCode}) without a Location");
        var baseUri = BaseUri(repository.Registry);
        var uri = location.IsAbsoluteUri ? location : new Uri(baseUri, location);
        // Upload sessions carry credentials: they must stay on the registry's own scheme, host and port.
        if (!SameAuthority(uri, baseUri))
            throw new RegistryException($"registry {repository.Registry}: refusing an upload location on another host ({uri.Authority})");
        return uri;
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }

    private static void CheckCreated(RepositoryRef repository, HttpResponseMessage response, string digest, string what)
    {
        if (response.StatusCode != HttpStatusCode.Created)
            throw new RegistryException($"registry {repository.Registry}: {what}: expected 201 Created, got {(int)response.StatusCode}");
        if (ContentDigest(response, repository.Registry) is { } claimed && claimed != digest)
            throw new RegistryException($"registry {repository.Registry}: {what}: the registry stored {claimed}");
    }

    private Uri? NextLink(RepositoryRef repository, HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links)
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open < 0 || close <= open || !link.Contains("rel=\"next\"", StringComparison.Ordinal)) continue;
            var target = new Uri(current, link[(open + 1)..close]);
            if (!SameAuthority(target, BaseUri(repository.Registry)))
                throw new RegistryException($"registry {repository.Registry}: tag list links to another host ({target.Authority})");
            return target;
        }
        return null;
    }
}
