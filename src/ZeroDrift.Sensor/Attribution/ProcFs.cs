using System.Globalization;
using System.Text;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>One process as <c>/proc/PID</c> shows it now (not as it was at an event: it may have exec'd since).</summary>
public sealed record ProcProcess(int Pid, int Ppid, string Comm, string ExePath, IReadOnlyList<string> Args, long Uid, long Gid);

/// <summary>
/// The one reader of <c>/proc</c> for attribution: a process's stat, executable, command line, ids, working
/// directory and cgroup, and the processes listed in a cgroup. Every read tolerates the process being gone (null).
/// The root is replaceable so that tests lay out their own /proc.
/// </summary>
public sealed class ProcFs(string root = "/proc")
{
    public string Root { get; } = root;

    private string Dir(int pid) => Path.Join(Root, pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>The process ids /proc lists.</summary>
    public IEnumerable<int> Pids()
    {
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(Root); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var dir in dirs)
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) yield return pid;
    }

    /// <summary>The process, or null when it is gone (or /proc does not describe it).</summary>
    public ProcProcess? Read(int pid)
    {
        if (pid <= 0) return null;
        var dir = Dir(pid);
        try
        {
            var stat = File.ReadAllText(Path.Join(dir, "stat"));
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
            var close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 > stat.Length) return null;
            var open = stat.IndexOf('(');
            var comm = open >= 0 && open < close ? stat[(open + 1)..close] : "";
            var fields = stat[(close + 2)..].Split(' ');
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)) return null;
            var exe = Link(Path.Join(dir, "exe")) ?? "";
            var cmdline = File.ReadAllBytes(Path.Join(dir, "cmdline"));
            var args = Encoding.UTF8.GetString(cmdline).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            long uid = 0, gid = 0;
            foreach (var line in File.ReadLines(Path.Join(dir, "status")))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = FirstId(line);
                else if (line.StartsWith("Gid:", StringComparison.Ordinal))
                {
                    gid = FirstId(line);
                    break;
                }
            }
            return new ProcProcess(pid, ppid, comm, exe, args, uid, gid);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long FirstId(string line)
    {
        var parts = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0;
    }

    /// <summary>The process's working directory as it sees it now (a container's process: inside its root), or null.</summary>
    public string? Cwd(int pid) => pid > 0 ? Link(Path.Join(Dir(pid), "cwd")) : null;

    /// <summary>The kernel's name of the process (<c>comm</c>), or null when it is gone.</summary>
    public string? Comm(int pid)
    {
        if (pid <= 0) return null;
        try { return File.ReadAllText(Path.Join(Dir(pid), "comm")).TrimEnd('\n'); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The process's cgroup-v2 path (relative to the v2 mount), or null when it is gone.</summary>
    public string? CgroupPath(int pid)
    {
        if (pid <= 0) return null;
        try
        {
            foreach (var line in File.ReadLines(Path.Join(Dir(pid), "cgroup")))
                if (line.StartsWith("0::", StringComparison.Ordinal)) return line[3..];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static string? Link(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
