using System.Collections.Concurrent;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>
/// cgroup id → container (or host), cached: one /proc read or tree walk and one read of the runtime's records
/// per new cgroup, then a dictionary lookup per event. Labels, which need a slow runtime query, are fetched in
/// the background and replace the entry when they arrive. Used from the sensor thread only.
/// </summary>
public sealed class Attributor(CgroupPaths paths, ContainerMetadata metadata, bool fetchLabels = true)
{
    private readonly Dictionary<ulong, ContainerInfo> known = [];
    private readonly ConcurrentQueue<(ulong CgroupId, ContainerInfo Info)> enriched = new();

    public ContainerInfo? Resolve(ulong cgroupId, int pid)
    {
        while (enriched.TryDequeue(out var update)) known[update.CgroupId] = update.Info;
        if (known.TryGetValue(cgroupId, out var info)) return info;
        var path = paths.Resolve(cgroupId, pid);
        if (path is null) return null; // gone before we looked; retried on the next event of this cgroup
        var container = ContainerIdParser.Parse(path);
        info = container is null ? ContainerInfo.Host : metadata.Describe(container);
        known[cgroupId] = info;
        if (fetchLabels && !info.IsHost && metadata.HasSlowerSource(info))
        {
            var basic = info;
            _ = Task.Run(() =>
            {
                var withLabels = metadata.WithLabels(basic);
                if (!ReferenceEquals(withLabels, basic)) enriched.Enqueue((cgroupId, withLabels));
            });
        }
        return info;
    }

    /// <summary>The cgroups resolved so far and what they belong to (sensor thread only, like <see cref="Resolve"/>).</summary>
    public IEnumerable<KeyValuePair<ulong, ContainerInfo>> Known
    {
        get
        {
            while (enriched.TryDequeue(out var update)) known[update.CgroupId] = update.Info;
            return known;
        }
    }

    /// <summary>Forgets a cgroup (for instance when its container is removed and its id may be reused).</summary>
    public void Forget(ulong cgroupId) => known.Remove(cgroupId);
}
