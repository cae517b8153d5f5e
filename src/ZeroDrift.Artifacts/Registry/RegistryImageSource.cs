using ZeroDrift.Artifacts.Images;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Temp;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>
/// An image in a registry (<c>registry:REF</c> or a bare <c>host[:port]/repo[:tag|@digest]</c>): the manifest is
/// read by tag or digest, an index is narrowed to the chosen platform, and each layer blob is downloaded once into
/// a private temporary file (digest-checked on the way) that the squasher then reads, as many times as it needs.
/// </summary>
public sealed class RegistryImageSource : IImageSource
{
    private const long MaxJsonBlobBytes = 16 << 20;

    private readonly string _display;
    private readonly ImageReference _reference;
    private readonly RegistryClient _client;
    private readonly bool _ownsClient;
    private readonly ScanLimits _limits;
    private readonly Dictionary<string, byte[]> _fetched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<string>> _downloads = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private PrivateTempDirectory? _temp;

    /// <param name="reference">The reference as the user wrote it (kept for messages and metadata).</param>
    /// <param name="client">A client to share (it is not disposed here), or null for one of this source's own.</param>
    public RegistryImageSource(string reference, RegistryClientOptions options, ScanLimits limits, RegistryClient? client = null)
    {
        _display = reference;
        _reference = ImageReference.Parse(reference);
        _limits = limits;
        // Refuse a forbidden transport before anything else happens.
        options.BaseUri(_reference.Registry);
        _ownsClient = client is null;
        _client = client ?? new RegistryClient(options);
    }

    public ImageReference Reference => _reference;

    public async Task<ResolvedImage> ResolveAsync(Platform? platform, CancellationToken cancellationToken)
    {
        var repository = _reference.RepositoryRef;
        var root = await _client.GetManifestAsync(repository, _reference.ManifestReference, cancellationToken).ConfigureAwait(false);
        lock (_lock) _fetched[root.Descriptor.Digest] = root.Content;
        var resolver = new ImageResolver(FetchAsync, _limits);
        var (descriptor, content) = await resolver.SelectManifestAsync(root.Descriptor, platform, _display, cancellationToken).ConfigureAwait(false);
        var image = await resolver.ResolveAsync(_display, descriptor, content, OpenLayerAsync, cancellationToken).ConfigureAwait(false);
        return image with
        {
            Metadata = image.Metadata with { RepoTags = _reference.TaggedName is { } tagged ? [tagged] : [] },
        };
    }

    /// <summary>Manifests (from an index) through the manifests endpoint, configs through the blobs endpoint; both verified.</summary>
    private async Task<byte[]> FetchAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        lock (_lock)
            if (_fetched.TryGetValue(descriptor.Digest, out var known)) return known;
        byte[] content;
        if (descriptor.MediaType.Length == 0 || MediaTypes.IsIndex(descriptor.MediaType) || MediaTypes.IsManifest(descriptor.MediaType))
        {
            var manifest = await _client.GetManifestAsync(_reference.RepositoryRef, descriptor.Digest, cancellationToken).ConfigureAwait(false);
            if (descriptor.Size >= 0 && manifest.Content.LongLength != descriptor.Size)
                throw new ArtifactException($"{_display}: manifest {descriptor.Digest} has {manifest.Content.LongLength} bytes, the index says {descriptor.Size}");
            content = manifest.Content;
        }
        else
        {
            content = await _client.GetBlobAsync(_reference.RepositoryRef, descriptor, MaxJsonBlobBytes, cancellationToken).ConfigureAwait(false);
        }
        lock (_lock) _fetched[descriptor.Digest] = content;
        return content;
    }

    private async Task<Stream> OpenLayerAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        Task<string> download;
        lock (_lock)
        {
            if (!_downloads.TryGetValue(descriptor.Digest, out download!) || download.IsFaulted || download.IsCanceled)
                _downloads[descriptor.Digest] = download = DownloadAsync(descriptor, cancellationToken);
        }
        var path = await download.ConfigureAwait(false);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    private async Task<string> DownloadAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > _limits.MaxTotalBytes)
            throw new LimitExceededException($"{_display}: layer {descriptor.Digest} has {descriptor.Size} bytes, more than --max-total-bytes {_limits.MaxTotalBytes}");
        string path;
        lock (_lock)
        {
            _temp ??= new PrivateTempDirectory("registry");
            path = _temp.NewFile(".blob");
        }
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                await _client.DownloadBlobAsync(_reference.RepositoryRef, descriptor, file, _limits.MaxTotalBytes, cancellationToken).ConfigureAwait(false);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
        _temp?.Dispose();
    }
}
