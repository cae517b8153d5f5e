using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Core;

namespace ZeroDrift.Artifacts.Targets;

/// <summary>An opened target: its file tree, and for images what the image says about itself.</summary>
public sealed class Target(TargetReference reference, IFileSystem fileSystem, ImageMetadata? image, Distro? distro, IReadOnlyList<string> warnings) : IDisposable
{
    public TargetReference Reference { get; } = reference;
    public IFileSystem FileSystem { get; } = fileSystem;
    public ImageMetadata? Image { get; } = image;
    public Distro? Distro { get; } = distro;

    /// <summary>Problems met while reading that did not stop the scan.</summary>
    public IReadOnlyList<string> Warnings { get; } = warnings;

    public string Name => Reference.Value;

    public void Dispose() => FileSystem.Dispose();
}
