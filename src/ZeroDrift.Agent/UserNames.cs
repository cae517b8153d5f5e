using System.Globalization;
using System.Text;

namespace ZeroDrift.Agent;

/// <summary>A user as a container's /etc/passwd describes it.</summary>
public sealed record UserEntry(string Name, string Home, string Shell);

/// <summary>
/// User and group names as each container's own <c>/etc/passwd</c> and <c>/etc/group</c> give them (uid 33 is
/// <c>www-data</c> in a Debian image and <c>xfs</c> in an Alpine one). Tables are keyed by cgroup and mount namespace
/// (one root file system each; the cgroup too, because a namespace's inode number is reused once it is gone), read
/// through the process's root with the path resolved inside it (<see cref="ContainerFiles"/>), once per key; the
/// process may already have exited, so a fallback process of the same container is tried, and a table that could not
/// be read never replaces one that was. A uid missing from a table reads the files again at most every 10 seconds (a
/// user added at run time). Bounded: at most <see cref="MaxNamespaces"/> tables (all forgotten when full: they are read again on
/// use), files over <see cref="MaxFileBytes"/> are not read, at most <see cref="MaxEntries"/> entries per file.
/// Used from the loop's thread; a container that is gone is forgotten with its entry of the container table.
/// </summary>
public sealed class UserNames(Func<int, string, byte[]?>? read = null, TimeProvider? clock = null)
{
    public const int MaxNamespaces = 1024;
    public const int MaxFileBytes = 1 << 20;
    public const int MaxEntries = 65_536;
    private const long RetryMs = 10_000, RetryUnreadMs = 1_000;

    private readonly Func<int, string, byte[]?> _read = read ?? ((pid, path) => ContainerFiles.ReadSmall(pid, path, MaxFileBytes));
    private readonly Dictionary<(ulong Cgroup, ulong MountNamespace), Table> _tables = [];
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private sealed class Table
    {
        public Dictionary<long, UserEntry> Users { get; set; } = [];
        public Dictionary<long, string> Groups { get; set; } = [];
        public long LoadedAtMs { get; set; }
        /// <summary>Neither file could be read (the process exited first, or the image has none): tried again sooner.</summary>
        public bool Unread { get; set; }
    }

    public int Namespaces => _tables.Count;

    /// <summary>The user (null when the container's passwd does not name the uid) and the group name (null likewise).</summary>
    /// <param name="fallback">Another process of the same container, for when <paramref name="pid"/> has exited.</param>
    public (UserEntry? User, string? Group) Resolve(ulong cgroup, ulong mountNamespace, int pid, long uid, long gid, Func<int?>? fallback = null)
    {
        var key = (cgroup, mountNamespace);
        var now = (long)_clock.GetElapsedTime(0).TotalMilliseconds;
        if (!_tables.TryGetValue(key, out var table))
        {
            if (_tables.Count >= MaxNamespaces) _tables.Clear();
            _tables[key] = table = Load(pid, fallback, now);
        }
        else if ((!table.Users.ContainsKey(uid) || !table.Groups.ContainsKey(gid)) && now - table.LoadedAtMs >= (table.Unread ? RetryUnreadMs : RetryMs))
        {
            var fresh = Load(pid, fallback, now);
            if (fresh.Unread && !table.Unread) table.LoadedAtMs = now;
            else _tables[key] = table = fresh;
        }
        return (table.Users.GetValueOrDefault(uid), table.Groups.GetValueOrDefault(gid));
    }

    /// <summary>Forgets the tables of a cgroup that is gone.</summary>
    public void Forget(ulong cgroup)
    {
        foreach (var key in _tables.Keys.Where(k => k.Cgroup == cgroup).ToList()) _tables.Remove(key);
    }

    private Table Load(int pid, Func<int?>? fallback, long now)
    {
        var passwd = _read(pid, "/etc/passwd");
        var group = _read(pid, "/etc/group");
        if (passwd is null && group is null && fallback?.Invoke() is { } other && other != pid)
        {
            passwd = _read(other, "/etc/passwd");
            group = _read(other, "/etc/group");
        }
        var table = new Table { LoadedAtMs = now, Unread = passwd is null && group is null };
        foreach (var fields in Lines(passwd, 7))
            if (Id(fields[2]) is { } uid) table.Users.TryAdd(uid, new UserEntry(fields[0], fields[5], fields[6]));
        foreach (var fields in Lines(group, 3))
            if (Id(fields[2]) is { } gid) table.Groups.TryAdd(gid, fields[0]);
        return table;
    }

    /// <summary>The colon-separated lines of a passwd-style file with at least <paramref name="minFields"/> fields and a name.</summary>
    public static IEnumerable<string[]> Lines(byte[]? content, int minFields)
    {
        if (content is null) yield break;
        var count = 0;
        foreach (var line in Encoding.UTF8.GetString(content).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-') continue; // NIS markers name no user
            var fields = line.TrimEnd('\r').Split(':');
            if (fields.Length < minFields || fields[0].Length is 0 or > 256) continue;
            if (++count > MaxEntries) yield break;
            yield return fields;
        }
    }

    private static long? Id(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id <= uint.MaxValue ? id : null;
}
