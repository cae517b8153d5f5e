using System.Diagnostics;
using System.Text.Json;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>Where each runtime keeps its records (defaults: the runtimes' own defaults).</summary>
public sealed record RuntimeRoots(
    string Storage = "/var/lib/containers/storage",
    string RunStorage = "/run/containers/storage",
    string Docker = "/var/lib/docker",
    string DockerSocket = "/var/run/docker.sock",
    string ContainerdState = "/run/containerd");

/// <summary>
/// Container metadata from the runtime that owns the container, read from the runtime's own records — plain files,
/// no lock and no daemon round trip, so a container being started is described at its first event:
/// <list type="bullet">
/// <item>podman and CRI-O (both on containers/storage): <c>overlay-containers/containers.json</c> for name and image,
/// <c>overlay-images/images.json</c> for the digest; CRI-O adds the Kubernetes annotations of the container's OCI
/// spec (<c>overlay-containers/&lt;id&gt;/userdata/config.json</c>: <c>io.kubernetes.pod.*</c>,
/// <c>io.kubernetes.cri-o.ImageName</c>, <c>io.kubernetes.cri-o.Labels</c>).</item>
/// <item>containerd (CRI): the OCI spec in its task state, <c>/run/containerd/io.containerd.runtime.v2.task/&lt;namespace&gt;/&lt;id&gt;/config.json</c>,
/// with the CRI plugin's annotations (<c>io.kubernetes.cri.container-name</c>, <c>image-name</c>, <c>sandbox-name</c>,
/// <c>sandbox-namespace</c>, <c>sandbox-uid</c>).</item>
/// <item>docker: <c>/var/lib/docker/containers/&lt;id&gt;/config.v2.json</c> (name, image, labels; Kubernetes labels
/// from cri-dockerd) and <c>image/&lt;driver&gt;/repositories.json</c> for the digest; when those files cannot be read
/// (another data root, rootless docker), the Engine API on <c>/var/run/docker.sock</c>, off the event thread.</item>
/// </list>
/// podman keeps labels only in its database, so <see cref="WithLabels"/> asks <c>podman container inspect</c>, off
/// the event thread too.
/// </summary>
public sealed class ContainerMetadata
{
    private readonly RuntimeRoots roots;
    private readonly TimeSpan timeout;
    private const long MaxStorageFile = 64L << 20;
    private const long MaxSpecFile = 4L << 20;

    public ContainerMetadata(string storageRoot = "/var/lib/containers/storage", TimeSpan? timeout = null)
        : this(new RuntimeRoots(Storage: storageRoot), timeout)
    {
    }

    public ContainerMetadata(RuntimeRoots roots, TimeSpan? timeout = null)
    {
        this.roots = roots;
        this.timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    public ContainerInfo Describe(CgroupContainer container)
    {
        var basic = new ContainerInfo(container.Id, container.Runtime, PodUid: container.PodUid);
        return container.Runtime switch
        {
            "podman" => WithOciSpec(FromPodmanStorage(roots.Storage, basic), PodmanSpec(basic.Id), PodmanDirs(basic.Id)),
            "cri-o" => FromCriO(basic),
            "containerd" => FromContainerd(basic),
            "docker" => FromDockerFiles(roots.Docker, basic),
            _ => basic,
        };
    }

    /// <summary>Whether <see cref="WithLabels"/> has more to add than <see cref="Describe"/> found (a slow query, run off the event thread).</summary>
    public bool HasSlowerSource(ContainerInfo info) =>
        info.Runtime == "podman" || (info.Runtime == "docker" && info.Name is null && File.Exists(roots.DockerSocket));

    private ContainerInfo FromCriO(ContainerInfo basic)
    {
        var info = FromPodmanStorage(roots.Storage, basic);
        foreach (var root in new[] { roots.Storage, roots.RunStorage })
        {
            var spec = Path.Join(root, "overlay-containers", basic.Id, "userdata", "config.json");
            if (File.Exists(spec)) return WithOciSpec(FromOciAnnotations(ReadObject(spec, MaxSpecFile), info), spec, PodmanDirs(basic.Id));
        }
        return info;
    }

    private ContainerInfo FromContainerd(ContainerInfo basic)
    {
        // One directory per containerd namespace ("k8s.io" for the CRI plugin, "moby", "default", …).
        var tasks = Path.Join(roots.ContainerdState, "io.containerd.runtime.v2.task");
        try
        {
            foreach (var ns in Directory.EnumerateDirectories(tasks).Take(64))
            {
                var spec = Path.Join(ns, basic.Id, "config.json");
                if (File.Exists(spec)) return WithOciSpec(FromOciAnnotations(ReadObject(spec, MaxSpecFile), basic), spec, [Path.Join(ns, basic.Id)]);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return basic;
    }

    /// <summary>podman's OCI spec for the container (written before runc creates it).</summary>
    private string PodmanSpec(string id) => Path.Join(roots.Storage, "overlay-containers", id, "userdata", "config.json");

    /// <summary>Where containers/storage keeps a container's own files (hosts, resolv.conf, shm…): not the user's mounts.</summary>
    private string[] PodmanDirs(string id) => [Path.Join(roots.Storage, "overlay-containers", id), Path.Join(roots.RunStorage, "overlay-containers", id)];

    /// <summary>Privileged and mounts from the OCI runtime spec at <paramref name="specPath"/>; unreadable leaves them unknown.</summary>
    private static ContainerInfo WithOciSpec(ContainerInfo info, string specPath, IReadOnlyList<string> runtimeDirs)
    {
        using var spec = ReadObject(specPath, MaxSpecFile);
        return spec is null ? info : RuntimeSecurity.FromOciSpec(spec.RootElement, info, runtimeDirs);
    }

    /// <summary>Name, image and Kubernetes pod from the annotations of an OCI runtime spec (containerd's CRI plugin or CRI-O).</summary>
    public static ContainerInfo FromOciAnnotations(JsonDocument? spec, ContainerInfo basic)
    {
        if (spec is null) return basic;
        using (spec)
        {
            if (!spec.RootElement.TryGetProperty("annotations", out var a) || a.ValueKind != JsonValueKind.Object) return basic;
            string? A(params string[] keys)
            {
                foreach (var k in keys)
                    if (Str(a, k) is { Length: > 0 } v) return v;
                return null;
            }
            Dictionary<string, string>? labels = null;
            if (A("io.kubernetes.cri-o.Labels") is { } labelJson)
            {
                try
                {
                    using var l = JsonDocument.Parse(labelJson, new JsonDocumentOptions { MaxDepth = 8 });
                    if (l.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        labels = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var p in l.RootElement.EnumerateObject())
                            if (p.Value.ValueKind == JsonValueKind.String && labels.Count < 256) labels[p.Name] = p.Value.GetString()!;
                    }
                }
                catch (JsonException) { }
            }
            return basic with
            {
                Name = A("io.kubernetes.cri.container-name", "io.kubernetes.container.name", "nerdctl/name") ?? labels?.GetValueOrDefault("io.kubernetes.container.name") ?? basic.Name,
                Image = A("io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName") ?? basic.Image,
                ImageId = A("io.kubernetes.cri-o.ImageRef") ?? basic.ImageId,
                PodName = A("io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name") ?? labels?.GetValueOrDefault("io.kubernetes.pod.name") ?? basic.PodName,
                PodNamespace = A("io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace") ?? labels?.GetValueOrDefault("io.kubernetes.pod.namespace") ?? basic.PodNamespace,
                PodUid = A("io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid") ?? labels?.GetValueOrDefault("io.kubernetes.pod.uid") ?? basic.PodUid,
                Labels = labels ?? basic.Labels,
            };
        }
    }

    /// <summary>Docker's own records: <c>containers/&lt;id&gt;/config.v2.json</c> and the repositories file for the digest.</summary>
    public static ContainerInfo FromDockerFiles(string dockerRoot, ContainerInfo basic)
    {
        var info = FromDockerInspect(ReadObject(Path.Join(dockerRoot, "containers", basic.Id, "config.v2.json"), MaxSpecFile), basic);
        using (var hostConfig = ReadObject(Path.Join(dockerRoot, "containers", basic.Id, "hostconfig.json"), MaxSpecFile))
            if (hostConfig is not null) info = RuntimeSecurity.FromDockerHostConfig(hostConfig.RootElement, info);
        if (info.ImageId is null || info.ImageDigest is not null) return info;
        try
        {
            foreach (var driver in Directory.EnumerateDirectories(Path.Join(dockerRoot, "image")).Take(16))
            {
                using var repos = ReadObject(Path.Join(driver, "repositories.json"), MaxStorageFile);
                if (repos is not null && DigestFromRepositories(repos.RootElement, info.ImageId) is { } digest)
                    return info with { ImageDigest = digest };
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return info;
    }

    /// <summary>
    /// Reads docker's container record — <c>config.v2.json</c> and the Engine API's <c>GET /containers/{id}/json</c>
    /// share these fields: <c>Name</c> ("/web"), <c>Image</c> (the image id), <c>Config.Image</c> (as asked for) and
    /// <c>Config.Labels</c>.
    /// </summary>
    public static ContainerInfo FromDockerInspect(JsonDocument? record, ContainerInfo basic)
    {
        if (record is null) return basic;
        using (record)
        {
            var c = record.RootElement;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string? image = null;
            if (c.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Object)
            {
                image = Str(config, "Image");
                if (config.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
                    foreach (var p in l.EnumerateObject())
                        if (p.Value.ValueKind == JsonValueKind.String && labels.Count < 256) labels[p.Name] = p.Value.GetString()!;
            }
            var name = Str(c, "Name");
            basic = RuntimeSecurity.FromInspect(c, basic);
            return basic with
            {
                Name = name is null ? basic.Name : name.TrimStart('/'),
                Image = image ?? basic.Image,
                ImageId = Str(c, "Image") ?? basic.ImageId,
                PodName = labels.GetValueOrDefault("io.kubernetes.pod.name") ?? basic.PodName,
                PodNamespace = labels.GetValueOrDefault("io.kubernetes.pod.namespace") ?? basic.PodNamespace,
                PodUid = labels.GetValueOrDefault("io.kubernetes.pod.uid") ?? basic.PodUid,
                Labels = labels.Count > 0 ? labels : basic.Labels,
            };
        }
    }

    /// <summary>In docker's <c>repositories.json</c> (<c>{"Repositories":{"nginx":{"nginx@sha256:…":"sha256:&lt;image id&gt;"}}}</c>), the digest reference of an image id.</summary>
    private static string? DigestFromRepositories(JsonElement root, string imageId)
    {
        if (!root.TryGetProperty("Repositories", out var repos) || repos.ValueKind != JsonValueKind.Object) return null;
        foreach (var repo in repos.EnumerateObject())
        {
            if (repo.Value.ValueKind != JsonValueKind.Object) continue;
            foreach (var reference in repo.Value.EnumerateObject())
            {
                var at = reference.Name.IndexOf("@sha256:", StringComparison.Ordinal);
                if (at > 0 && reference.Value.ValueKind == JsonValueKind.String && reference.Value.GetString() == imageId)
                    return reference.Name[(at + 1)..];
            }
        }
        return null;
    }

    /// <summary>
    /// The Docker Engine API over its Unix socket: <c>GET /containers/{id}/json</c>, then <c>GET /images/{id}/json</c>
    /// for <c>RepoDigests</c>. Bounded by the timeout; any failure leaves <paramref name="basic"/> as it was.
    /// </summary>
    public ContainerInfo FromDockerApi(ContainerInfo basic)
    {
        try
        {
            using var http = DockerClient(roots.DockerSocket, timeout);
            var container = Get(http, $"/containers/{basic.Id}/json");
            if (container is null) return basic;
            var info = FromDockerInspect(container, basic);
            if (info.ImageId is null) return info;
            using var image = Get(http, $"/images/{Uri.EscapeDataString(info.ImageId)}/json");
            if (image is not null && image.RootElement.TryGetProperty("RepoDigests", out var digests) && digests.ValueKind == JsonValueKind.Array)
                foreach (var d in digests.EnumerateArray())
                    if (d.GetString() is { } r && r.IndexOf("@sha256:", StringComparison.Ordinal) is var at and > 0)
                        return info with { ImageDigest = r[(at + 1)..] };
            return info;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or System.Net.Sockets.SocketException)
        {
            return basic;
        }
    }

    private static HttpClient DockerClient(string socket, TimeSpan timeout) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, token) =>
        {
            var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            try
            {
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), token).ConfigureAwait(false);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
        MaxResponseDrainSize = 0,
    })
    {
        BaseAddress = new Uri("http://docker"),
        Timeout = timeout,
        MaxResponseContentBufferSize = MaxSpecFile,
    };

    private static JsonDocument? Get(HttpClient http, string path)
    {
        using var response = http.GetAsync(path).GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode) return null;
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        try
        {
            var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
        }
        catch (JsonException) { }
        return null;
    }

    private static JsonDocument? ReadObject(string path, long maxBytes)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > maxBytes) return null;
            var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        catch (JsonException) { }
        return null;
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

    /// <summary>
    /// What only a slow query tells: labels (and the pod name and namespace among them) from <c>podman container
    /// inspect</c>, which may wait on podman's lock; for docker whose files could not be read, the Engine API.
    /// </summary>
    public ContainerInfo WithLabels(ContainerInfo info)
    {
        if (info.Runtime == "docker") return HasSlowerSource(info) ? FromDockerApi(info) : info;
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
            basic = RuntimeSecurity.FromInspect(c, basic);
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
