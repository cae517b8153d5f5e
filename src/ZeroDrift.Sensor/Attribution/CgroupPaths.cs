namespace ZeroDrift.Sensor.Attribution;

/// <summary>
/// Maps a cgroup v2 id (the inode number of the cgroup's directory, what bpf_get_current_cgroup_id returns) to
/// its path. Looks at the process's /proc/&lt;pid&gt;/cgroup first (one stat to confirm) and walks the v2 tree
/// only on a miss, at most every 50 ms, bounded in depth and entries. A walk starts the map over from the tree as it
/// is, so cgroups that are gone do not accumulate; <see cref="Forget"/> drops one as soon as its owner knows.
/// </summary>
public sealed class CgroupPaths
{
    private readonly string root;
    private readonly ProcFs proc;
    private readonly Dictionary<ulong, string> paths = [];
    private long lastWalk = long.MinValue;
    private const int MaxDepth = 16;
    private const int MaxEntries = 100_000;

    public CgroupPaths(string? root = null, ProcFs? proc = null)
    {
        this.root = root ?? FindV2Root();
        this.proc = proc ?? new ProcFs();
    }

    public string Root => root;

    /// <summary>Paths known (resolved or found by the last walk).</summary>
    public int Count => paths.Count;

    /// <summary>The path already known for a cgroup, without looking.</summary>
    public string? Known(ulong cgroupId) => paths.GetValueOrDefault(cgroupId);

    /// <summary>Forgets a cgroup that is gone (its id, an inode number, may be reused).</summary>
    public void Forget(ulong cgroupId) => paths.Remove(cgroupId);

    /// <summary>The cgroup v2 mount: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified on hybrid ones.</summary>
    public static string FindV2Root()
    {
        foreach (var line in File.Exists("/proc/self/mountinfo") ? File.ReadLines("/proc/self/mountinfo") : [])
        {
            // "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw"
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0 || !line.AsSpan(dash + 3).StartsWith("cgroup2 ")) continue;
            var fields = line[..dash].Split(' ');
            if (fields.Length > 4 && fields[3] == "/") return fields[4];
        }
        return "/sys/fs/cgroup";
    }

    public string? Resolve(ulong cgroupId, int pid)
    {
        if (paths.TryGetValue(cgroupId, out var known)) return known;
        if (pid > 0 && proc.CgroupPath(pid) is { } fromProc && Inode(Path.Join(root, fromProc)) == cgroupId)
            return paths[cgroupId] = fromProc;
        var now = Environment.TickCount64;
        if (lastWalk != long.MinValue && now - lastWalk < 50) return null; // a burst of events from a vanished cgroup does not turn into a burst of walks
        lastWalk = now;
        Walk();
        return paths.GetValueOrDefault(cgroupId);
    }

    private void Walk()
    {
        paths.Clear();
        var count = 0;
        var pending = new Stack<(string Dir, int Depth)>();
        pending.Push((root, 0));
        while (pending.Count > 0 && count < MaxEntries)
        {
            var (dir, depth) = pending.Pop();
            var ino = Inode(dir);
            if (ino != 0)
            {
                var relative = "/" + Path.GetRelativePath(root, dir).Replace('\\', '/');
                paths[ino] = relative == "/." ? "/" : relative;
            }
            count++;
            if (depth >= MaxDepth) continue;
            try
            {
                foreach (var sub in Directory.EnumerateDirectories(dir)) pending.Push((sub, depth + 1));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static ulong Inode(string path) => Native.LibC.Inode(path);
}
