using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Runtime.Engine;

namespace ZeroDrift.Agent;

/// <summary>
/// The executables each image ships (<see cref="ImageTrust"/>), read once per image in the background: reading an
/// image takes a moment and the sensor thread must never wait. Until an image is read, drift is told by the
/// kernel's writable-layer and memfd flags alone; the engine asks again on later events. <see cref="Loaded"/> is told
/// of each image read (from the reading thread; the agent posts it to its loop). Bounded: at most
/// <see cref="MaxImages"/> images, forgotten all at once when full (an image in use is read again when a new container
/// of it starts; its workloads keep what they were given). Thread-safe.
/// </summary>
public sealed class ImageTrustCache(Func<string, CancellationToken, ImageTrust> load, ILogger? log = null)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ImageTrust?>>> _images = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public const int MaxImages = 64;

    /// <summary>Images read or being read.</summary>
    public int Count => _images.Count;

    /// <summary>Called with each image once read (null: it could not be), before <see cref="WhenLoaded"/> completes.</summary>
    public Action<string, ImageTrust?>? Loaded { get; set; }

    /// <summary>The image's trust when read; starts reading it otherwise.</summary>
    public ImageTrust? Get(string imageId)
    {
        var task = Entry(imageId).Value;
        return task.IsCompletedSuccessfully ? task.Result : null;
    }

    /// <summary>Waits for an image being read (tests, and the agent's start-up for containers already running).</summary>
    public Task<ImageTrust?> WhenLoaded(string imageId) =>
        Entry(imageId).Value;

    private Lazy<Task<ImageTrust?>> Entry(string imageId)
    {
        if (!_images.ContainsKey(imageId) && _images.Count >= MaxImages) _images.Clear();
        return _images.GetOrAdd(imageId, id => new Lazy<Task<ImageTrust?>>(() => Task.Run(() => Load(id))));
    }

    private ImageTrust? Load(string imageId)
    {
        ImageTrust? trust = null;
        try
        {
            trust = load(imageId, _stop.Token);
        }
        catch (Exception e) when (e is ArtifactException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _log.ImageUnreadable(imageId[..Math.Min(12, imageId.Length)], e.Message);
        }
        Loaded?.Invoke(imageId, trust);
        return trust;
    }

    public void Stop() => _stop.Cancel();

    /// <summary>
    /// Reads a podman image through <c>podman image mount</c> (root: the image's layers as one read-only overlay),
    /// then unmounts it. What is read is every executable regular file and the links to them.
    /// </summary>
    public static ImageTrust FromPodman(string imageId, CancellationToken cancellationToken)
    {
        if (imageId.Length == 0 || !imageId.All(char.IsAsciiHexDigitLower)) throw new ArtifactException($"'{imageId}' is not an image id");
        var mounted = Podman(["image", "mount", imageId], cancellationToken).Trim();
        if (mounted.Length == 0 || !Directory.Exists(mounted)) throw new ArtifactException($"podman image mount gave no directory ('{mounted}')");
        try
        {
            using var fs = new DirectoryFileSystem(mounted);
            return ImageTrust.FromFileSystem(fs, cancellationToken);
        }
        finally
        {
            try { Podman(["image", "unmount", imageId], CancellationToken.None); }
            catch (ArtifactException) { }
        }
    }

    internal static string Podman(string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start) ?? throw new ArtifactException("podman could not be started"); }
        catch (System.ComponentModel.Win32Exception e) { throw new ArtifactException($"podman is not available: {e.Message}"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new ArtifactException($"podman {string.Join(' ', args)} timed out");
            }
            if (process.ExitCode != 0)
                throw new ArtifactException($"podman {string.Join(' ', args)} failed: {stderr.Result.Trim().Split('\n')[^1]}");
            return stdout.Result;
        }
    }
}
