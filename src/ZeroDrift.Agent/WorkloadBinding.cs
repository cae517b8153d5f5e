using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules.Reference;
using SensorContainer = ZeroDrift.Sensor.Attribution.ContainerInfo;

namespace ZeroDrift.Agent;

/// <summary>What the sensor's processes do with host processes.</summary>
public enum HostPolicy
{
    /// <summary>Host processes are neither profiled nor matched against rules.</summary>
    Skip,

    /// <summary>Rules only (Falco's default behaviour): no profile.</summary>
    Rules,

    /// <summary>Rules, and one profile for the whole host (workload <c>host</c>); never blocked, only alerted.</summary>
    Workload,
}

/// <summary>
/// One container (or the host) as the loop sees it: its workload identity (null: not profiled — a container whose
/// image cannot be identified, or the host under <see cref="HostPolicy.Rules"/>), and the container and pod facts
/// rules read, converted once per container rather than per event.
/// </summary>
public sealed record WorkloadBinding(SensorContainer Container, WorkloadIdentity? Identity, ContainerInfo? RuleContainer, KubernetesInfo? Kubernetes)
{
    public bool IsHost => Container.IsHost;

    /// <summary>The identity every host process shares under <see cref="HostPolicy.Workload"/>.</summary>
    public static readonly WorkloadIdentity HostIdentity = new("host", "host", "host");

    public static WorkloadBinding For(SensorContainer container, HostPolicy hostPolicy)
    {
        if (container.IsHost)
            return new WorkloadBinding(container, hostPolicy == HostPolicy.Workload ? HostIdentity : null, null, null);
        var (repository, tag) = SplitImage(container.Image);
        var rule = new ContainerInfo
        {
            Id = container.Id,
            Name = container.Name ?? "",
            Image = container.Image ?? "",
            ImageRepository = repository,
            ImageTag = tag,
            ImageDigest = container.ImageDigest ?? "",
            ImageId = container.ImageId ?? "",
            Runtime = container.Runtime,
            Privileged = container.Privileged,
            Mounts = container.Mounts is { } mounts ? [.. mounts.Select(m => new MountInfo(m.Source, m.Destination, m.Mode, m.ReadWrite, m.Propagation))] : null,
        };
        KubernetesInfo? k8s = container.PodName is null ? null : new KubernetesInfo
        {
            Namespace = container.PodNamespace ?? "",
            PodName = container.PodName,
            PodUid = container.PodUid ?? "",
            PodLabels = container.Labels ?? new Dictionary<string, string>(),
        };
        return new WorkloadBinding(container, Identify(container), rule, k8s);
    }

    /// <summary>
    /// Image digest (a new image version is a new profile) plus the workload: the pod's name with replica suffixes
    /// folded, in its namespace, when the runtime carries Kubernetes labels; else the container's name folded
    /// (<c>web-1</c>, <c>web-2</c> → <c>web</c>); but a name the runtime generated (<c>focused_turing</c>, a container
    /// started without <c>--name</c>) says nothing, so such containers are grouped by image: the image's name
    /// (<c>localhost/shop/web:1.4</c> → <c>web</c>), and protecting it covers the next <c>podman run</c> of it.
    /// Null when the image cannot be identified.
    /// </summary>
    public static WorkloadIdentity? Identify(SensorContainer c)
    {
        var digest = c.ImageDigest ?? (c.ImageId is { Length: > 0 } id ? "sha256:" + id : null);
        if (digest is null) return null;
        string workload;
        if (c.PodName is { Length: > 0 } pod)
            workload = $"{c.PodNamespace ?? "default"}/{WorkloadIdentity.FromContainerName(pod)}";
        else if (c.Name is { Length: > 0 } name && !GeneratedContainerName.IsGenerated(name))
            workload = WorkloadIdentity.FromContainerName(name);
        else
            workload = WorkloadIdentity.FromImageReference(c.Image) ?? WorkloadIdentity.FromImageReference(digest)
                ?? (c.Name is { Length: > 0 } generated ? generated : c.Id[..Math.Min(12, c.Id.Length)]);
        return new WorkloadIdentity(workload, digest, c.Image);
    }

    /// <summary><c>localhost/app:1</c> → (<c>localhost/app</c>, <c>1</c>); a colon in the registry's port is not a tag.</summary>
    public static (string Repository, string Tag) SplitImage(string? image)
    {
        if (string.IsNullOrEmpty(image)) return ("", "");
        var at = image.IndexOf('@');
        var name = at >= 0 ? image[..at] : image;
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? (name[..colon], name[(colon + 1)..]) : (name, "");
    }
}
