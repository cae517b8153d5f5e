using System.Collections.Concurrent;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Artifacts.Images.Archives;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Artifacts.Registry;

namespace ZeroDrift.Artifacts.Targets;

/// <summary>Opens any kind of target into a <see cref="Target"/>, reading an image's layers once.</summary>
public static class TargetOpener
{
    /// <param name="required">Which image files the scan will read: only their content is kept from the layers.</param>
    public static async Task<Target> OpenAsync(TargetReference reference, Func<FileEntry, bool> required, TargetOptions options, CancellationToken cancellationToken)
    {
        var warnings = new ConcurrentQueue<string>();
        if (!reference.IsImage)
        {
            var directory = new DirectoryFileSystem(reference.Value);
            if (reference.Kind == TargetKind.Directory && !Directory.Exists(reference.Value))
                throw new ArtifactException($"{reference.Value}: not a directory");
            return new Target(reference, directory, null, OsRelease.Detect(directory), new WarningList(warnings, directory.Warnings));
        }
        using var source = CreateSource(reference, options);
        ResolvedImage image;
        try
        {
            image = await source.ResolveAsync(options.Platform, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException or NotSupportedException
                                       or OverflowException or ArgumentException or KeyNotFoundException or System.Text.Json.JsonException
                                  && !cancellationToken.IsCancellationRequested)
        {
            // Each reader names what it refuses; this is the wall for what none has put in words yet.
            throw new ArtifactException($"{reference}: unreadable image ({e.Message.Split('\n')[0]})", e);
        }
        var squasher = new LayerSquasher(options.Limits, e => OsRelease.IsReleaseFile(e.Path) || required(e), warnings.Enqueue, options.Progress, options.LayerFileVisitor);
        var fs = await squasher.SquashAsync(image, cancellationToken).ConfigureAwait(false);
        return new Target(reference, fs, image.Metadata, OsRelease.Detect(fs), new WarningList(warnings, null));
    }

    /// <summary>The image source for an image target, for callers that need its layers as stored (the image patcher).</summary>
    public static IImageSource CreateSource(TargetReference reference, TargetOptions options) => reference.Kind switch
    {
        TargetKind.DockerArchive => new DockerArchiveSource(reference.Value, null, options.Limits),
        TargetKind.OciArchive => OciLayoutSource.FromArchive(reference.Value, null, options.Limits),
        TargetKind.OciDirectory => OciLayoutSource.FromDirectory(reference.Value, null, options.Limits),
        TargetKind.Podman => new PodmanImageSource(reference.Value, options.Limits),
        TargetKind.Registry => new RegistryImageSource(reference.Value, RegistryClientOptions.FromEnvironment(options.InsecureRegistries), options.Limits),
        _ => throw new ArtifactException($"{reference}: this kind of target is not supported"),
    };

    /// <summary>Warnings collected while opening and, for directories, while walking later.</summary>
    private sealed class WarningList(ConcurrentQueue<string> opening, ConcurrentQueue<string>? walking) : IReadOnlyList<string>
    {
        private List<string> Snapshot => [.. opening, .. walking ?? []];
        public string this[int index] => Snapshot[index];
        public int Count => Snapshot.Count;
        public IEnumerator<string> GetEnumerator() => Snapshot.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
