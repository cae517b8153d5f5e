using ZeroDrift.Sensor.Attribution;
using RuleProcess = ZeroDrift.Runtime.Rules.Reference.ProcessInfo;

namespace ZeroDrift.Agent;

/// <summary>
/// What an exec record says beyond path, argv and cwd (sensor layout version 2), with the user and group resolved
/// in the container's own /etc/passwd and /etc/group.
/// </summary>
public sealed record ExecFacts
{
    /// <summary>When the process exec'd, in Unix ns (the sensor's kernel time moved to the wall clock).</summary>
    public long StartUnixNs { get; init; }
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
    /// <summary>The mount namespace the process ran in at its exec (0 unknown): where its user names are read.</summary>
    public ulong MntNs { get; init; }
}

/// <summary>
/// One process in the agent's process table: the sensor's facts, plus what Falco's <c>proc.*</c> fields read about it
/// (name, executable, arguments, cwd, user, lineage), built once so that every event of the process reuses the same
/// objects (no allocation per event). Made and changed on the loop's thread only.
/// </summary>
public sealed class TrackedProcess(ProcessFacts facts, TrackedProcess? parent) : ProcessNode(facts, parent)
{
    private static readonly Dictionary<string, string> NoEnv = [];
    private readonly TrackedProcess? _parent = parent is not null && parent.Pid != facts.Pid ? parent : null;
    private ExecFacts? _details;
    private RuleProcess? _info;
    private IReadOnlyList<RuleProcess>? _ancestors;
    private Credentials? _credentials;

    /// <summary>The user and group after a successful setuid/setgid family call: what later events carry, as in Falco.</summary>
    private sealed record Credentials(long Uid, long Gid, UserEntry? User, string? Group);

    /// <summary>What the exec record said beyond the facts (null when the exec was not seen).</summary>
    public ExecFacts? Details => _details;

    /// <summary>The mount namespace of the exec (0 when it was not seen).</summary>
    public ulong MountNamespace => _details?.MntNs ?? 0;

    /// <summary>A process table of these.</summary>
    public static ProcessTable<TrackedProcess> Table(ProcFs? proc = null) => new((f, p) => new TrackedProcess(f, p), proc);

    /// <summary>SHA-256 of the executable, once the background hashing has it.</summary>
    public string? ExeSha256 { get; set; }

    /// <summary>The exec record's further facts and the names of its user and group (before <see cref="Info"/> is read).</summary>
    public void Describe(ExecFacts details)
    {
        _details = details;
        _info = null;
    }

    /// <summary>The process changed its user or group (a successful setuid, setresuid, setgid … call).</summary>
    public void ChangeCredentials(long uid, long gid, UserEntry? user, string? group)
    {
        _credentials = new Credentials(uid, gid, user, group);
        _info = null;
    }

    /// <summary>
    /// The process as it was at a notable syscall: the kernel's comm at the call (runc's init stages rename themselves
    /// after their exec) and its capability sets then. The same object as <see cref="Info"/> when nothing differs.
    /// </summary>
    public RuleProcess AtCall(string comm, ulong capPermitted, ulong capEffective, ulong capInheritable)
    {
        var info = Info;
        var permitted = CapabilityNames.Text(capPermitted);
        var effective = CapabilityNames.Text(capEffective);
        var inheritable = CapabilityNames.Text(capInheritable);
        if (comm.Length == 0) comm = info.Name;
        return comm == info.Name && permitted == info.CapPermitted && effective == info.CapEffective && inheritable == info.CapInheritable
            ? info
            : info with { Name = comm, CapPermitted = permitted, CapEffective = effective, CapInheritable = inheritable };
    }

    /// <summary>The process as rules read it.</summary>
    public RuleProcess Info => _info ??= Build();

    /// <summary>Its parent, grandparent, … as rules read them (parent first, at most <see cref="ProcessTable{TEntry}.MaxAncestors"/>).</summary>
    public IReadOnlyList<RuleProcess> Ancestors => _ancestors ??= _parent is null ? [] : [_parent.Info, .. _parent.Ancestors.Take(ProcessTable<TrackedProcess>.MaxAncestors - 1)];

    private RuleProcess Build()
    {
        var f = Facts;
        var d = _details;
        var argv0 = f.Args.Count > 0 ? f.Args[0] : f.ExePath;
        var upper = (f.ExeFlags & Sensor.Events.ExeFlags.UpperLayer) != 0;
        var c = _credentials;
        return new RuleProcess
        {
            // Falco's proc.name is the kernel's comm (the exec record's, or /proc's), not argv[0]: a #! script's file name.
            Name = f.Comm.Length > 0 ? f.Comm : CommName(argv0.Length > 0 ? argv0 : f.ExePath),
            Exe = argv0,
            ExePath = f.ExePath,
            Args = f.Args.Count > 1 ? [.. f.Args.Skip(1)] : [],
            Pid = f.Pid,
            Tid = f.Pid,
            Cwd = f.Cwd,
            // On the clock events carry (Unix ns): the kernel's boot-based time would make proc.duration decades long.
            // A process met in /proc (before the agent) has no exec time: 0, an old process.
            StartTimeNanoseconds = d?.StartUnixNs ?? 0,
            Uid = c?.Uid ?? f.Uid,
            UserName = c is not null ? c.User?.Name ?? (c.Uid == 0 ? "root" : "") : d?.User?.Name ?? (f.Uid == 0 ? "root" : ""),
            UserHome = (c is not null ? c.User?.Home : d?.User?.Home) ?? "",
            UserShell = (c is not null ? c.User?.Shell : d?.User?.Shell) ?? "",
            Gid = c?.Gid ?? f.Gid,
            GroupName = c is not null ? c.Group ?? (c.Gid == 0 ? "root" : "") : d?.Group ?? (f.Gid == 0 ? "root" : ""),
            Vpid = d?.Vpid ?? 0,
            Vpgid = d?.Vpgid ?? 0,
            Sid = d?.Vsid ?? 0,
            Tty = d?.Tty ?? 0,
            LoginUid = d?.LoginUid ?? -1,
            CapPermitted = d is null ? "" : CapabilityNames.Text(d.CapPermitted),
            CapEffective = d is null ? "" : CapabilityNames.Text(d.CapEffective),
            CapInheritable = d is null ? "" : CapabilityNames.Text(d.CapInheritable),
            Env = d?.Env ?? NoEnv,
            ExeInodeMtime = d?.ExeMtimeNs ?? 0,
            ExeInodeCtime = d?.ExeCtimeNs ?? 0,
            IsExeUpperLayer = upper,
            IsExeWritable = upper,
            IsExeFromMemfd = (f.ExeFlags & Sensor.Events.ExeFlags.Memfd) != 0,
            ExeInode = (long)f.ExeInode,
        };
    }
}
