namespace ZeroDrift.Sensor.Attribution;

/// <summary>
/// cgroup id → container (or host), cached: one /proc read or tree walk and one read of the runtime's records
/// per new cgroup, then a dictionary lookup per event. Labels, which need a slow runtime query, are fetched in
/// the background and handed to <see cref="LabelsFetched"/> (from a pool thread), whose owner applies them with
/// <see cref="Update"/> on its own thread; nobody listening, they are not fetched. Used from one thread (the sensor's).
/// </summary>
public sealed class Attributor(CgroupPaths paths, ContainerMetadata metadata, bool fetchLabels = true)
{
    private readonly Dictionary<ulong, ContainerInfo> known = [];

    /// <summary>Receives a container's description with its labels, from the thread that fetched them.</summary>
    public Action<ulong, ContainerInfo>? LabelsFetched { get; set; }

    public ContainerInfo? Resolve(ulong cgroupId, int pid)
    {
        if (known.TryGetValue(cgroupId, out var info)) return info;
        var path = paths.Resolve(cgroupId, pid);
        if (path is null) return null; // gone before we looked; retried on the next event of this cgroup
        var container = ContainerIdParser.Parse(path);
        info = container is null ? ContainerInfo.Host : metadata.Describe(container);
        known[cgroupId] = info;
        if (fetchLabels && LabelsFetched is { } fetched && !info.IsHost && metadata.HasSlowerSource(info))
        {
            var basic = info;
            _ = Task.Run(() =>
            {
                var withLabels = metadata.WithLabels(basic);
                if (!ReferenceEquals(withLabels, basic)) fetched(cgroupId, withLabels);
            });
        }
        return info;
    }

    /// <summary>The cgroup's v2 path, once <see cref="Resolve"/> found it.</summary>
    public string? PathOf(ulong cgroupId) => paths.Known(cgroupId);

    /// <summary>What a cgroup belongs to, as fetched later (its labels): replaces what <see cref="Resolve"/> cached,
    /// unless the cgroup was forgotten meanwhile.</summary>
    public void Update(ulong cgroupId, ContainerInfo info)
    {
        if (known.ContainsKey(cgroupId)) known[cgroupId] = info;
    }

    /// <summary>The cgroups resolved so far and what they belong to.</summary>
    public IEnumerable<KeyValuePair<ulong, ContainerInfo>> Known => known;

    public int Count => known.Count;

    /// <summary>cgroup paths known (see <see cref="CgroupPaths.Count"/>).</summary>
    public int PathCount => paths.Count;

    /// <summary>Forgets a cgroup and its path (its container is gone and its id may be reused).</summary>
    public void Forget(ulong cgroupId)
    {
        known.Remove(cgroupId);
        paths.Forget(cgroupId);
    }
}
