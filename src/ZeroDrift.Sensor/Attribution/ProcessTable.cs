using System.Globalization;

namespace ZeroDrift.Sensor.Attribution;

public sealed class ProcessInfo(int pid, int ppid, string exe)
{
    public int Pid { get; } = pid;
    public int Ppid { get; set; } = ppid;
    public string Exe { get; set; } = exe;
}

/// <summary>
/// The process tree as the sensor knows it: seeded by one /proc walk at start (so processes older than the agent
/// have lineage), kept current by exec and exit events. Bounded: beyond <see cref="Capacity"/> entries new
/// processes are not remembered (their events still flow; only their ancestry is shorter).
/// </summary>
public sealed class ProcessTable
{
    public const int Capacity = 200_000;
    private readonly Dictionary<int, ProcessInfo> processes = [];

    public int Count => processes.Count;

    public void SeedFromProc(string procRoot = "/proc")
    {
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(procRoot); }
        catch (IOException) { return; }
        foreach (var dir in dirs)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Join(dir, "stat"));
                // "pid (comm) state ppid ..." where comm may contain spaces and parentheses: split after the last ')'.
                var close = stat.LastIndexOf(')');
                if (close < 0) continue;
                var fields = stat[(close + 2)..].Split(' ');
                if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)) continue;
                string exe;
                try { exe = new FileInfo(Path.Join(dir, "exe")).LinkTarget ?? ""; }
                catch (IOException) { exe = ""; }
                catch (UnauthorizedAccessException) { exe = ""; }
                if (processes.Count < Capacity) processes[pid] = new ProcessInfo(pid, ppid, exe);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    public void OnExec(int pid, int ppid, string exe)
    {
        if (processes.TryGetValue(pid, out var p))
        {
            p.Ppid = ppid;
            p.Exe = exe;
        }
        else if (processes.Count < Capacity)
        {
            processes[pid] = new ProcessInfo(pid, ppid, exe);
        }
    }

    public void OnExit(int pid) => processes.Remove(pid);

    public ProcessInfo? Get(int pid) => processes.GetValueOrDefault(pid);

    /// <summary>Parent, grandparent, … up to <paramref name="max"/> (stops at pid 1, a loop, or an unknown pid).</summary>
    public int Ancestors(int pid, Span<ProcessInfo?> into)
    {
        var n = 0;
        var current = processes.GetValueOrDefault(pid);
        var next = current?.Ppid ?? 0;
        while (n < into.Length && next > 0 && processes.TryGetValue(next, out var parent))
        {
            into[n++] = parent;
            if (parent.Pid == 1 || parent.Ppid == parent.Pid) break;
            next = parent.Ppid;
        }
        return n;
    }
}
