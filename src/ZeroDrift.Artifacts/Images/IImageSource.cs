namespace ZeroDrift.Artifacts.Images;

/// <summary>A layer blob and how to open it (compressed as stored; the squasher detects the compression).</summary>
public sealed record LayerBlob(LayerInfo Info, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>An image whose manifest and config are read and verified; its layers are opened on demand.</summary>
public sealed record ResolvedImage(ImageMetadata Metadata, IReadOnlyList<LayerBlob> Layers)
{
    /// <summary>The config as stored (digest-checked), for writers that derive a new image from this one.</summary>
    public byte[]? ConfigJson { get; init; }
}

/// <summary>Where an image comes from: an archive, an OCI layout, a registry, the podman store.</summary>
public interface IImageSource : IDisposable
{
    Task<ResolvedImage> ResolveAsync(Platform? platform, CancellationToken cancellationToken);
}
