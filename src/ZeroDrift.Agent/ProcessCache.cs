using System.Globalization;
using System.Text;
using RuleProcess = ZeroDrift.Runtime.Rules.Reference.ProcessInfo;

namespace ZeroDrift.Agent;

/// <summary>
/// What an exec record says beyond path, argv and cwd (sensor layout version 2), with the user and group resolved
/// in the container's own /etc/passwd and /etc/group.
/// </summary>
public sealed record ExecFacts
{
    public long Vpid { get; init; }
    public long Vpgid { get; init; }
    public long Vsid { get; init; }
    public long Tty { get; init; }
    public long LoginUid { get; init; } = -1;
    public ulong CapPermitted { get; init; }
    public ulong CapEffective { get; init; }
    public ulong CapInheritable { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    public long ExeMtimeNs { get; init; }
    public long ExeCtimeNs { get; init; }
    public UserEntry? User { get; init; }
    public string? Group { get; init; }
}

/// <summary>One process as the agent knows it: what rules read about it, and its lineage (parent first).</summary>
public sealed class TrackedProcess(int pid, int ppid, RuleProcess info, IReadOnlyList<RuleProcess> ancestors, bool runtimeInit = false)
{
    private string? _exeSha256;

    /// <summary>SHA-256 of the executable, once the background hashing has it (set from its thread).</summary>
    public string? ExeSha256
    {
        get => Volatile.Read(ref _exeSha256);
        set => Volatile.Write(ref _exeSha256, value);
    }

    /// <summary>The container runtime's own <c>runc init</c> / <c>crun</c> set-up, which runs in the container's
    /// cgroup until it executes the entrypoint: plumbing, not the workload's behaviour.</summary>
    public bool RuntimeInit { get; } = runtimeInit;

    public int Pid { get; } = pid;
    public int Ppid { get; } = ppid;
    public RuleProcess Info { get; } = info;
    public IReadOnlyList<RuleProcess> Ancestors { get; } = ancestors;
}

/// <summary>
/// The process tree with what Falco's <c>proc.*</c> fields need (name, executable, arguments, cwd, user, lineage),
/// built once per exec so that every later event of the process reuses the same objects (no allocation per event).
/// Seeded from /proc at start; a process the agent has not seen exec (it started before the agent, or its exec
/// record was lost) is read from /proc on first use. Bounded; used from the sensor thread only.
/// </summary>
public sealed class ProcessCache(string procRoot = "/proc")
{
    public const int Capacity = 200_000;
    public const int MaxAncestors = 8;
    private static readonly Dictionary<string, string> NoEnv = [];
    private readonly Dictionary<int, TrackedProcess> _processes = [];
    private readonly Dictionary<(uint Device, ulong Inode), string> _executables = [];

    public int Count => _processes.Count;

    public void SeedFromProc()
    {
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(procRoot); }
        catch (IOException) { return; }
        var found = new List<(int Pid, int Ppid, string Exe, string[] Args, long Uid, string Comm)>();
        foreach (var dir in dirs)
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ReadProc(pid) is { } p)
                found.Add(p);
        // Parents before children, so that each process finds its lineage already built.
        var byPid = found.ToDictionary(p => p.Pid);
        var depth = new Dictionary<int, int>();
        int Depth(int pid, int guard) => guard > 64 || !byPid.TryGetValue(pid, out var p) || p.Ppid == pid ? 0
            : depth.TryGetValue(pid, out var d) ? d : depth[pid] = 1 + Depth(p.Ppid, guard + 1);
        foreach (var p in found.OrderBy(p => Depth(p.Pid, 0)))
            Add(p.Pid, p.Ppid, p.Exe, p.Args, "/", p.Uid, 0, 0, false, false);
    }

    private (int Pid, int Ppid, string Exe, string[] Args, long Uid, string Comm)? ReadProc(int pid)
    {
        var dir = Path.Join(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            var stat = File.ReadAllText(Path.Join(dir, "stat"));
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
            var close = stat.LastIndexOf(')');
            if (close < 0) return null;
            var open = stat.IndexOf('(');
            var comm = open >= 0 && open < close ? stat[(open + 1)..close] : "";
            var fields = stat[(close + 2)..].Split(' ');
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)) return null;
            string exe;
            try { exe = new FileInfo(Path.Join(dir, "exe")).LinkTarget ?? ""; }
            catch (IOException) { exe = ""; }
            catch (UnauthorizedAccessException) { exe = ""; }
            var cmdline = File.ReadAllBytes(Path.Join(dir, "cmdline"));
            var args = Encoding.UTF8.GetString(cmdline).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            long uid = 0;
            foreach (var line in File.ReadLines(Path.Join(dir, "status")))
            {
                if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
                var parts = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 1) long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uid);
                break;
            }
            return (pid, ppid, exe, args, uid, comm);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A process that just executed a new program: its entry is replaced (pid kept, lineage from the parent).</summary>
    public TrackedProcess OnExec(int pid, int ppid, string exePath, IReadOnlyList<string> args, string cwd, long uid, long gid, long timeNs, bool upperLayer, bool memfd,
        long exeInode = 0, bool overlay = false, ExecFacts? facts = null, uint exeDevice = 0)
    {
        if (exeInode != 0 && exeDevice != 0)
        {
            // Bounded like the processes: start over when full (the next execs fill it again).
            if (_executables.Count >= Capacity) _executables.Clear();
            _executables[(exeDevice, (ulong)exeInode)] = exePath;
        }
        return Add(pid, ppid, exePath, args, cwd, uid, gid, timeNs, upperLayer, memfd, exeInode, overlay, facts);
    }

    /// <summary>The path an executable (by the kernel's s_dev and inode) was last exec'd under, if seen.</summary>
    public string? ExecutablePath(uint device, ulong inode) => inode == 0 ? null : _executables.GetValueOrDefault((device, inode));

    /// <summary>The process, read from /proc when it predates what the agent has seen; null when it is gone.</summary>
    public TrackedProcess? Get(int pid)
    {
        if (_processes.TryGetValue(pid, out var known)) return known;
        if (pid <= 0 || ReadProc(pid) is not { } p) return null;
        return Add(p.Pid, p.Ppid, p.Exe, p.Args, "/", p.Uid, 0, 0, false, false, forkedChild: true, runcStage: RuncStage(p.Comm, p.Exe));
    }

    /// <summary>Known only: no /proc read (for parents, which may have exited).</summary>
    public TrackedProcess? Peek(int pid) => _processes.GetValueOrDefault(pid);

    public void OnExit(int pid) => _processes.Remove(pid);

    private TrackedProcess Add(int pid, int ppid, string exePath, IReadOnlyList<string> args, string cwd, long uid, long gid, long timeNs, bool upperLayer, bool memfd,
        long exeInode = 0, bool overlay = false, ExecFacts? facts = null, bool forkedChild = false, bool runcStage = false)
    {
        var parent = ppid != pid ? _processes.GetValueOrDefault(ppid) : null;
        IReadOnlyList<RuleProcess> ancestors = parent is null ? [] : [parent.Info, .. parent.Ancestors.Take(MaxAncestors - 1)];
        var argv0 = args.Count > 0 ? args[0] : exePath;
        var info = new RuleProcess
        {
            Name = CommName(argv0.Length > 0 ? argv0 : exePath),
            Exe = argv0,
            ExePath = exePath,
            Args = args.Count > 1 ? [.. args.Skip(1)] : [],
            Pid = pid,
            Tid = pid,
            Cwd = cwd,
            StartTimeNanoseconds = timeNs,
            Uid = uid,
            UserName = facts?.User?.Name ?? (uid == 0 ? "root" : ""),
            UserHome = facts?.User?.Home ?? "",
            UserShell = facts?.User?.Shell ?? "",
            Gid = gid,
            GroupName = facts?.Group ?? (gid == 0 ? "root" : ""),
            Vpid = facts?.Vpid ?? 0,
            Vpgid = facts?.Vpgid ?? 0,
            Sid = facts?.Vsid ?? 0,
            Tty = facts?.Tty ?? 0,
            LoginUid = facts?.LoginUid ?? -1,
            CapPermitted = facts is null ? "" : CapabilityNames.Text(facts.CapPermitted),
            CapEffective = facts is null ? "" : CapabilityNames.Text(facts.CapEffective),
            CapInheritable = facts is null ? "" : CapabilityNames.Text(facts.CapInheritable),
            Env = facts?.Env ?? NoEnv,
            ExeInodeMtime = facts?.ExeMtimeNs ?? 0,
            ExeInodeCtime = facts?.ExeCtimeNs ?? 0,
            IsExeUpperLayer = upperLayer,
            IsExeWritable = upperLayer,
            IsExeFromMemfd = memfd,
            ExeInode = exeInode,
        };
        // An exec's flags tell whether the file lies on the container's overlay; a process read from /proc has none,
        // and runc's init is told by its command line ("runc init") with an executable outside the image.
        // Its clones (runc:[1:CHILD], runc:[2:INIT], which join the container's namespaces with setns before the
        // entrypoint's exec) never exec, so they are first met here, read from /proc: they inherit the parent's mark.
        var runtimeInit = (!overlay && args.Count >= 2 && args[1] == "init" && CommName(args[0]) is "runc" or "crun")
            || (forkedChild && (parent is { RuntimeInit: true } || runcStage));
        var tracked = new TrackedProcess(pid, ppid, info, ancestors, runtimeInit);
        if (_processes.Count < Capacity || _processes.ContainsKey(pid)) _processes[pid] = tracked;
        return tracked;
    }

    /// <summary>
    /// A stage of runc's init as /proc shows it: named <c>runc:[0:PARENT]</c>, <c>runc:[1:CHILD]</c> or
    /// <c>runc:[2:INIT]</c> (runc sets these names), running runc's own file or, exited and not yet reaped, no file at
    /// all. Needed when runc init has exited and the stage was reparented, so the lineage no longer tells.
    /// </summary>
    private static bool RuncStage(string comm, string exe) =>
        comm.StartsWith("runc:[", StringComparison.Ordinal)
        && (exe.Length == 0 || CommName(exe) == "runc" || exe.StartsWith("/memfd:runc", StringComparison.Ordinal));

    /// <summary>The kernel's comm: the basename of what was executed, at most 15 bytes (TASK_COMM_LEN - 1).</summary>
    public static string CommName(string path)
    {
        var name = path.EndsWith('/') ? path : path[(path.LastIndexOf('/') + 1)..];
        return name.Length > 15 ? name[..15] : name;
    }
}
