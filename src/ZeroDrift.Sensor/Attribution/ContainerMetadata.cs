using System.Diagnostics;
using System.Text.Json;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>
/// Container metadata from the runtime that owns the container. For podman the storage's own records are read
/// (<c>overlay-containers/containers.json</c> for name and image, <c>overlay-images/images.json</c> for the
/// digest): plain files, no lock, so a container being started is described at its first event — while
/// <c>podman inspect</c> would wait on the container's lock. Labels (Kubernetes pod and namespace) live only in
/// podman's database, so <see cref="Labels"/> asks <c>podman container inspect</c>, off the event thread. For
/// docker, containerd and CRI-O the id, runtime and pod uid from the cgroup path are what is known.
/// </summary>
public sealed class ContainerMetadata(string storageRoot = "/var/lib/containers/storage", TimeSpan? timeout = null)
{
    private readonly TimeSpan timeout = timeout ?? TimeSpan.FromSeconds(10);
    private const long MaxStorageFile = 64L << 20;

    public ContainerInfo Describe(CgroupContainer container)
    {
        var basic = new ContainerInfo(container.Id, container.Runtime, PodUid: container.PodUid);
        return container.Runtime == "podman" ? FromPodmanStorage(storageRoot, basic) : basic;
    }

    /// <summary>Name, image and digest from c/storage's JSON records (missing or unreadable files leave them unset).</summary>
    public static ContainerInfo FromPodmanStorage(string storageRoot, ContainerInfo basic)
    {
        var containers = ReadArray(Path.Join(storageRoot, "overlay-containers", "containers.json"));
        if (containers is null) return basic;
        using (containers)
        {
            foreach (var c in containers.RootElement.EnumerateArray())
            {
                if (Str(c, "id") != basic.Id) continue;
                string? name = null, image = null;
                var imageId = Str(c, "image");
                if (Str(c, "metadata") is { } metadata)
                {
                    try
                    {
                        using var m = JsonDocument.Parse(metadata);
                        name = Str(m.RootElement, "name");
                        image = Str(m.RootElement, "image-name");
                        imageId ??= Str(m.RootElement, "image-id");
                    }
                    catch (JsonException) { }
                }
                if (name is null && c.TryGetProperty("names", out var names) && names.ValueKind == JsonValueKind.Array && names.GetArrayLength() > 0)
                    name = names[0].GetString();
                return basic with { Name = name, Image = image, ImageId = imageId, ImageDigest = imageId is null ? null : ImageDigest(storageRoot, imageId) };
            }
        }
        return basic;
    }

    private static string? ImageDigest(string storageRoot, string imageId)
    {
        using var images = ReadArray(Path.Join(storageRoot, "overlay-images", "images.json"));
        if (images is null) return null;
        foreach (var i in images.RootElement.EnumerateArray())
            if (Str(i, "id") == imageId) return Str(i, "digest");
        return null;
    }

    private static JsonDocument? ReadArray(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxStorageFile) return null;
            var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind == JsonValueKind.Array) return doc;
            doc.Dispose();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        catch (JsonException) { }
        return null;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Adds labels (and the pod name and namespace among them) from <c>podman container inspect</c>; slow, may wait on podman's lock.</summary>
    public ContainerInfo WithLabels(ContainerInfo info)
    {
        if (info.Runtime != "podman") return info;
        var json = Run("podman", "container", "inspect", "--format", "json", info.Id);
        return json is null ? info : ParsePodmanInspect(json, info);
    }

    /// <summary>Reads podman's inspect output (an array with one container).</summary>
    public static ContainerInfo ParsePodmanInspect(string json, ContainerInfo basic)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0) return basic;
            var c = doc.RootElement[0];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (c.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Object
                && config.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in l.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.String && labels.Count < 256) labels[p.Name] = p.Value.GetString()!;
            }
            return basic with
            {
                Name = Str(c, "Name") ?? basic.Name,
                Image = Str(c, "ImageName") ?? basic.Image,
                ImageId = Str(c, "Image") ?? basic.ImageId,
                ImageDigest = Str(c, "ImageDigest") ?? basic.ImageDigest,
                PodName = labels.GetValueOrDefault("io.kubernetes.pod.name"),
                PodNamespace = labels.GetValueOrDefault("io.kubernetes.pod.namespace"),
                PodUid = labels.GetValueOrDefault("io.kubernetes.pod.uid") ?? basic.PodUid,
                Labels = labels.Count > 0 ? labels : null,
            };
        }
        catch (JsonException)
        {
            return basic;
        }
    }

    private string? Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info);
            if (process is null) return null;
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 ? stdout.GetAwaiter().GetResult() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
