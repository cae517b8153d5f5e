using System.Text;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>Where a process's entry came from.</summary>
public enum ProcessOrigin
{
    /// <summary>Its exec record.</summary>
    Exec,

    /// <summary>The walk of /proc at start: it was running before the agent.</summary>
    Seed,

    /// <summary>/proc, when an event of it came without its exec record: forked without exec (a server's worker), or
    /// its exec record is still to be read.</summary>
    Proc,
}

/// <summary>What is known of one process when its entry is made (<see cref="Origin"/> says from where).</summary>
public sealed record ProcessFacts
{
    public required int Pid { get; init; }
    public required int Ppid { get; init; }
    public required string ExePath { get; init; }

    /// <summary>The cgroup the process ran in at its exec (0 when read from /proc).</summary>
    public ulong CgroupId { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];
    public string Cwd { get; init; } = "/";
    public long Uid { get; init; }
    public long Gid { get; init; }

    /// <summary>CLOCK_MONOTONIC of the exec record; 0 for a process read from /proc.</summary>
    public long StartTimeNs { get; init; }

    public ulong ExeInode { get; init; }
    public uint ExeDevice { get; init; }
    public ExeFlags ExeFlags { get; init; }

    /// <summary>The kernel's name of the process (comm): the exec record's, or as /proc showed it.</summary>
    public string Comm { get; init; } = "";

    public ProcessOrigin Origin { get; init; }

    /// <summary>The facts an exec record carries about the process it made.</summary>
    public static ProcessFacts FromExec(scoped in SensorEvent ev)
    {
        var e = ev.AsExec();
        return new ProcessFacts
        {
            Pid = (int)e.Header.Tgid,
            Ppid = (int)e.Ppid,
            ExePath = Encoding.UTF8.GetString(ev.ExePath),
            CgroupId = e.Header.CgroupId,
            Args = SplitArgs(ev.Args),
            Cwd = Encoding.UTF8.GetString(ev.Cwd),
            Uid = e.Uid,
            Gid = e.Gid,
            StartTimeNs = (long)e.Header.KTime,
            ExeInode = e.ExeIno,
            ExeDevice = e.ExeDev,
            ExeFlags = e.ExeFlags,
            Comm = Comm16.Text(e.Comm),
        };
    }

    /// <summary>argv from the kernel's NUL-separated bytes.</summary>
    public static string[] SplitArgs(ReadOnlySpan<byte> raw)
    {
        var args = new List<string>();
        while (!raw.IsEmpty)
        {
            var nul = raw.IndexOf((byte)0);
            var arg = nul < 0 ? raw : raw[..nul];
            args.Add(Encoding.UTF8.GetString(arg));
            raw = nul < 0 ? default : raw[(nul + 1)..];
        }
        return [.. args];
    }
}

/// <summary>
/// One process as the table knows it: its facts, its parent's entry as it was when this one was made (the lineage
/// walks these), and whether it is the container runtime's own set-up rather than the workload.
/// </summary>
public class ProcessNode
{
    public ProcessNode(ProcessFacts facts, ProcessNode? parent)
    {
        Facts = facts;
        Parent = parent is not null && parent.Pid != facts.Pid ? parent : null;
        RuntimeInit = IsRuntimeInit(facts, Parent);
    }

    public ProcessFacts Facts { get; }
    public int Pid => Facts.Pid;
    public int Ppid => Facts.Ppid;
    public string ExePath => Facts.ExePath;
    public string Cwd => Facts.Cwd;
    public ProcessNode? Parent { get; }

    /// <summary>
    /// The container runtime's own <c>runc init</c> / <c>crun</c> set-up, which runs in the container's cgroup until
    /// it executes the workload's program (at the container's start and on every <c>podman exec</c>): plumbing, not
    /// the workload's behaviour.
    /// </summary>
    public bool RuntimeInit { get; }

    /// <summary>
    /// runc's init is told by its command line (<c>runc init</c>) from an executable outside the image. Its stages
    /// (<c>runc:[1:CHILD]</c>, <c>runc:[2:INIT]</c>, which join the container with setns) never exec, so they are met in
    /// /proc: a clone of the runtime's init, or a process /proc names as a stage. A process met in /proc whose parent
    /// is runc or crun itself is a stage too: the runtime's exec path (<c>podman exec</c>) forks it from runc, and if
    /// /proc already shows the program it went on to execute, its exec record is still to be read — what came before
    /// it was the runtime's.
    /// </summary>
    private static bool IsRuntimeInit(ProcessFacts facts, ProcessNode? parent)
    {
        var init = (facts.ExeFlags & ExeFlags.Overlay) == 0 && facts.Args.Count >= 2 && facts.Args[1] == "init" && CommName(facts.Args[0]) is "runc" or "crun";
        return facts.Origin switch
        {
            ProcessOrigin.Exec => init,
            ProcessOrigin.Seed => init || RuncStage(facts.Comm, facts.ExePath),
            _ => parent is { RuntimeInit: true } || RuncStage(facts.Comm, facts.ExePath) || (parent is not null && IsRuntimeProgram(parent)),
        };
    }

    /// <summary>
    /// A stage of runc's init as /proc shows it: named <c>runc:[0:PARENT]</c>, <c>runc:[1:CHILD]</c> or
    /// <c>runc:[2:INIT]</c> (runc sets these names), running runc's own file or, exited and not yet reaped, no file at
    /// all. Needed when runc init has exited and the stage was reparented, so the lineage no longer tells.
    /// </summary>
    private static bool RuncStage(string comm, string exe) =>
        comm.StartsWith("runc:[", StringComparison.Ordinal)
        && (exe.Length == 0 || CommName(exe) == "runc" || exe.StartsWith("/memfd:runc", StringComparison.Ordinal));

    /// <summary>runc or crun running from outside any image (a host file, or runc's memfd copy of itself).</summary>
    private static bool IsRuntimeProgram(ProcessNode process) =>
        (process.Facts.ExeFlags & ExeFlags.Overlay) == 0
        && (CommName(process.ExePath) is "runc" or "crun" || process.ExePath.StartsWith("/memfd:runc", StringComparison.Ordinal));

    /// <summary>The kernel's comm: the basename of what was executed, at most 15 bytes (TASK_COMM_LEN - 1).</summary>
    public static string CommName(string path)
    {
        var name = path.EndsWith('/') ? path : path[(path.LastIndexOf('/') + 1)..];
        return name.Length > 15 ? name[..15] : name;
    }
}

/// <summary>What the sensor's JSON writer needs of the process table: kept current, and each process's lineage.</summary>
public interface IProcessLineage
{
    /// <summary>An exec record makes its process's entry (unless the table's owner already made it from the same
    /// record); an exit record forgets the process.</summary>
    void Apply(scoped in SensorEvent ev);

    /// <summary>The process's entry, without reading /proc.</summary>
    ProcessNode? Peek(int pid);
}

/// <summary>
/// The process tree, one entry per process: seeded from /proc at start (so that processes older than the agent have
/// lineage), kept current by exec and exit records, and read from /proc for a process met without its exec (forked
/// without exec, or exec'd before the agent). Shared by the agent's loop and the sensor's JSON event output, both on
/// the sensor's thread. Bounded: beyond <see cref="Capacity"/> entries new processes are not remembered (their events
/// still flow; only their lineage is shorter). <typeparamref name="TEntry"/> is what the owner keeps per process (the
/// agent: what rules read about it), made by <c>create</c> from the facts and the parent's entry.
/// </summary>
public sealed class ProcessTable<TEntry> : IProcessLineage where TEntry : ProcessNode
{
    public const int Capacity = 200_000;
    public const int MaxAncestors = 8;

    private readonly Func<ProcessFacts, TEntry?, TEntry> _create;
    private readonly ProcFs _proc;
    private readonly Dictionary<int, TEntry> _processes = [];
    private readonly Dictionary<(uint Device, ulong Inode), (string Path, ulong CgroupId)> _executables = [];

    public ProcessTable(Func<ProcessFacts, TEntry?, TEntry> create, ProcFs? proc = null)
    {
        _create = create;
        _proc = proc ?? new ProcFs();
    }

    public int Count => _processes.Count;

    /// <summary>Executables remembered by file (see <see cref="ExecutablePath"/>).</summary>
    public int ExecutableCount => _executables.Count;

    /// <summary>Every process /proc lists, parents before children so that each finds its lineage built.</summary>
    public void SeedFromProc()
    {
        var found = new Dictionary<int, ProcProcess>();
        foreach (var pid in _proc.Pids())
            if (_proc.Read(pid) is { } p) found[pid] = p;
        var depth = new Dictionary<int, int>();
        int Depth(int pid, int guard) => guard > 64 || !found.TryGetValue(pid, out var p) || p.Ppid == pid ? 0
            : depth.TryGetValue(pid, out var d) ? d : depth[pid] = 1 + Depth(p.Ppid, guard + 1);
        foreach (var p in found.Values.OrderBy(p => Depth(p.Pid, 0)))
            if (!_processes.ContainsKey(p.Pid)) Add(FromProc(p, Peek(p.Ppid), seeded: true));
    }

    /// <summary>The process an exec record made: its entry is replaced (the pid kept, the lineage from the parent's).
    /// The same record applied twice (the loop, then the JSON output) makes one entry.</summary>
    public TEntry OnExec(ProcessFacts facts)
    {
        if (_processes.TryGetValue(facts.Pid, out var known) && known.Facts.Origin == ProcessOrigin.Exec && known.Facts.StartTimeNs == facts.StartTimeNs
            && known.ExePath == facts.ExePath)
            return known;
        if (facts.ExeInode != 0 && facts.ExeDevice != 0)
        {
            // Bounded like the processes: start over when full (the next execs fill it again).
            if (_executables.Count >= Capacity) _executables.Clear();
            _executables[(facts.ExeDevice, facts.ExeInode)] = (facts.ExePath, facts.CgroupId);
        }
        return Add(_create(facts, Peek(facts.Ppid)));
    }

    public void Apply(scoped in SensorEvent ev)
    {
        if (ev.Type == EventType.Exec)
        {
            // Made from this record already (the loop came first): checked without building the facts' strings.
            var e = ev.AsExec();
            if (_processes.TryGetValue((int)e.Header.Tgid, out var known) && known.Facts.Origin == ProcessOrigin.Exec
                && known.Facts.StartTimeNs == (long)e.Header.KTime && known.Facts.ExeInode == e.ExeIno)
                return;
            OnExec(ProcessFacts.FromExec(ev));
        }
        else if (ev.Type == EventType.Exit)
        {
            OnExit((int)ev.Header.Tgid);
        }
    }

    /// <summary>The path an executable (by the kernel's s_dev and inode) was last exec'd under, if seen.</summary>
    public string? ExecutablePath(uint device, ulong inode) => inode != 0 && _executables.TryGetValue((device, inode), out var known) ? known.Path : null;

    /// <summary>
    /// A cgroup is gone: the executables its processes ran (a container's files are on its own overlay device, which
    /// went with it) and any of its processes whose exit record was not read.
    /// </summary>
    public void ForgetCgroup(ulong cgroupId)
    {
        if (cgroupId == 0) return;
        foreach (var key in _executables.Where(e => e.Value.CgroupId == cgroupId).Select(e => e.Key).ToList()) _executables.Remove(key);
        foreach (var pid in _processes.Where(p => p.Value.Facts.CgroupId == cgroupId).Select(p => p.Key).ToList()) _processes.Remove(pid);
    }

    /// <summary>The process, read from /proc when its exec was not seen; null when it is gone.</summary>
    public TEntry? Get(int pid)
    {
        if (_processes.TryGetValue(pid, out var known)) return known;
        if (pid <= 0 || _proc.Read(pid) is not { } p) return null;
        return Add(FromProc(p, Peek(p.Ppid), seeded: false));
    }

    /// <summary>
    /// A process met without its exec and already gone from /proc: a child forked without exec (busybox's shell runs
    /// its applets so) that exited before its record was read. Known through its parent, as Falco knows a clone's
    /// child: the parent's executable, arguments, cwd and user, with the kernel's <paramref name="comm"/>. Null when the
    /// parent is not known either.
    /// </summary>
    public TEntry? Forked(int pid, int ppid, string comm)
    {
        if (pid <= 0 || ppid == pid || Peek(ppid) is not { } parent) return null;
        var f = parent.Facts;
        return Add(_create(f with { Pid = pid, Ppid = ppid, Comm = comm.Length > 0 ? comm : f.Comm, Origin = ProcessOrigin.Proc, StartTimeNs = 0 }, parent));
    }

    /// <summary>Known only: no /proc read (for parents, which may have exited).</summary>
    public TEntry? Peek(int pid) => _processes.GetValueOrDefault(pid);

    ProcessNode? IProcessLineage.Peek(int pid) => Peek(pid);

    public void OnExit(int pid) => _processes.Remove(pid);

    /// <summary>
    /// A process read from /proc. One met while running (not at the start-up seed) forked without exec, so it works
    /// where its parent worked: fork inherits the directory, and /proc shows it only as it is now.
    /// </summary>
    private TEntry FromProc(ProcProcess p, TEntry? parent, bool seeded)
    {
        var cwd = (!seeded ? parent?.Cwd : null) ?? _proc.Cwd(p.Pid) ?? "/";
        return _create(new ProcessFacts
        {
            Pid = p.Pid,
            Ppid = p.Ppid,
            ExePath = p.ExePath,
            Args = p.Args,
            Cwd = cwd,
            Uid = p.Uid,
            Gid = p.Gid,
            Comm = p.Comm,
            Origin = seeded ? ProcessOrigin.Seed : ProcessOrigin.Proc,
        }, parent);
    }

    private TEntry Add(TEntry entry)
    {
        if (_processes.Count < Capacity || _processes.ContainsKey(entry.Pid)) _processes[entry.Pid] = entry;
        return entry;
    }
}

/// <summary>A process table whose entries are the facts alone (the sensor's JSON output on its own, tests).</summary>
public static class ProcessTable
{
    public static ProcessTable<ProcessNode> Create(ProcFs? proc = null) => new((facts, parent) => new ProcessNode(facts, parent), proc);
}
