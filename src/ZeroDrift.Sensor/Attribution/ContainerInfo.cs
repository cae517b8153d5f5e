namespace ZeroDrift.Sensor.Attribution;

/// <summary>What a cgroup belongs to: the host, or a container with what its runtime says about it.</summary>
public sealed record ContainerInfo(
    string Id,
    string Runtime,
    string? Name = null,
    string? Image = null,
    string? ImageId = null,
    string? ImageDigest = null,
    string? PodName = null,
    string? PodNamespace = null,
    string? PodUid = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    bool? Privileged = null,
    IReadOnlyList<ContainerMount>? Mounts = null)
{
    public static readonly ContainerInfo Host = new("host", "host");

    public bool IsHost => ReferenceEquals(this, Host) || Id == "host";
}
