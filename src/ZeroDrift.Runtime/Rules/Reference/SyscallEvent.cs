using System.Net;

namespace ZeroDrift.Runtime.Rules.Reference;

/// <summary>
/// The reference event: a plain record shaped like what Falco's syscall source carries for one event, after the
/// sensor attributed it to a process, container and pod. It serves the tests, the benchmark and
/// <c>zerodrift rules check</c> (which counts the rules that this binding evaluates fully); the agent binds the
/// sensor's own events with a table like <see cref="SyscallFields"/>.
/// </summary>
public sealed record SyscallEvent
{
    /// <summary>evt.type: the syscall name, as Falco names it (execve, openat, connect, setuid, …).</summary>
    public required string Type { get; init; }
    /// <summary>evt.dir: "&lt;" for the exit of the syscall (what the sensor reports), "&gt;" for its entry.</summary>
    public string Direction { get; init; } = "<";
    public long TimeNanoseconds { get; init; }
    public long Number { get; init; }
    /// <summary>evt.rawres: the return value (negative errno on failure).</summary>
    public long? Result { get; init; }
    /// <summary>evt.arg.NAME: the syscall's arguments as Falco renders them (flags as "O_RDWR|O_CREAT").</summary>
    public IReadOnlyDictionary<string, string> Args { get; init; } = Empty;
    /// <summary>evt.args: all arguments as one string, when the sensor renders it.</summary>
    public string? ArgsText { get; init; }

    public required ProcessInfo Process { get; init; }
    /// <summary>Ancestors, parent first: proc.aname[1] is Ancestors[0].</summary>
    public IReadOnlyList<ProcessInfo> Ancestors { get; init; } = [];
    public FileDescriptorInfo? Fd { get; init; }
    public ContainerInfo? Container { get; init; }
    public KubernetesInfo? Kubernetes { get; init; }
    public ZeroDriftInfo ZeroDrift { get; init; } = new();
    public string Hostname { get; init; } = "";

    /// <summary>Ancestor names, parent first (proc.aname without index), computed once per event.</summary>
    public IReadOnlyList<string> AncestorNames => Derived.Get(ref _ancestorNames, Ancestors, a => (IReadOnlyList<string>)[.. a.Select(p => p.Name)]);
    private Derived.Slot<IReadOnlyList<ProcessInfo>, IReadOnlyList<string>>? _ancestorNames;

    private static readonly Dictionary<string, string> Empty = new();
}

public sealed record ProcessInfo
{
    public required string Name { get; init; }
    /// <summary>proc.exe: argv[0] as the process was started.</summary>
    public string Exe { get; init; } = "";
    /// <summary>proc.exepath: the full path of the executable file.</summary>
    public string ExePath { get; init; } = "";
    public IReadOnlyList<string> Args { get; init; } = [];
    public long Pid { get; init; }
    public long Tid { get; init; }
    public long Vpid { get; init; }
    public long Sid { get; init; }
    public long Vpgid { get; init; }
    /// <summary>proc.tty: the controlling terminal's device number, 0 without one.</summary>
    public long Tty { get; init; }
    public string Cwd { get; init; } = "/";
    public long StartTimeNanoseconds { get; init; }
    public long Uid { get; init; }
    public string UserName { get; init; } = "";
    public long LoginUid { get; init; } = -1;
    public string LoginName { get; init; } = "";
    public long Gid { get; init; }
    public string GroupName { get; init; } = "";
    public string UserHome { get; init; } = "";
    public string UserShell { get; init; } = "";
    public bool IsExeWritable { get; init; }
    public bool IsExeUpperLayer { get; init; }
    public bool IsExeFromMemfd { get; init; }
    public long ExeInode { get; init; }
    public long ExeInodeCtime { get; init; }
    public long ExeInodeMtime { get; init; }
    /// <summary>thread.cap_*: capability names joined by spaces, as Falco prints them.</summary>
    public string CapPermitted { get; init; } = "";
    public string CapEffective { get; init; } = "";
    public string CapInheritable { get; init; } = "";
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>Kinds of standard input/output (file, pipe, ipv4, ipv6, unix, …) when the sensor reads them at exec.</summary>
    public string? StdinType { get; init; }
    public string? StdoutType { get; init; }

    /// <summary>proc.cmdline: the name followed by the arguments, computed once.</summary>
    public string CommandLine => Derived.Get(ref _commandLine, Name, Args, (name, args) => args.Count == 0 ? name : name + " " + string.Join(' ', args));
    /// <summary>proc.env without a key: the whole environment, NAME=value separated by spaces, computed once.</summary>
    public string EnvText => Derived.Get(ref _envText, Env, env => string.Join(' ', env.Select(kv => kv.Key + "=" + kv.Value)));
    /// <summary>proc.args: the arguments joined by spaces, computed once.</summary>
    public string ArgsText => Derived.Get(ref _argsText, Args, args => string.Join(' ', args));
    private Derived.Slot<string, IReadOnlyList<string>, string>? _commandLine;
    private Derived.Slot<IReadOnlyDictionary<string, string>, string>? _envText;
    private Derived.Slot<IReadOnlyList<string>, string>? _argsText;
}

/// <summary>The file descriptor the event is about (the opened file, the connected socket).</summary>
public sealed record FileDescriptorInfo
{
    public long Number { get; init; } = -1;
    /// <summary>fd.type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd, …</summary>
    public required string Type { get; init; }
    /// <summary>fd.name: the path for files, "client:port->server:port" for sockets.</summary>
    public string Name { get; init; } = "";
    public string? L4Protocol { get; init; }
    public IPAddress? ClientIp { get; init; }
    public IPAddress? ServerIp { get; init; }
    public long? ClientPort { get; init; }
    public long? ServerPort { get; init; }
    /// <summary>Whether the local end is the client (outbound connect) — decides fd.lip/rip.</summary>
    public bool LocalIsClient { get; init; } = true;
    public bool Connected { get; init; }
    /// <summary>The event gave the descriptor its name (a connect, accept or bind): Falco's fd.name_changed.</summary>
    public bool NameChanged { get; init; }
    public string? ServerName { get; init; }
    public string? ClientName { get; init; }
    public long Inode { get; init; }

    /// <summary>fd.directory and fd.filename, split from the path once.</summary>
    public string Directory => Derived.Get(ref _directory, Type, Name, (type, name) => type is "file" or "directory" && name.LastIndexOf('/') is var cut and >= 0
        ? (cut == 0 ? "/" : name[..cut]) : "");
    public string FileName => Derived.Get(ref _fileName, Type, Name, (type, name) => type is "file" or "directory" ? name[(name.LastIndexOf('/') + 1)..] : "");
    private Derived.Slot<string, string, string>? _directory;
    private Derived.Slot<string, string, string>? _fileName;
}

public sealed record ContainerInfo
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    /// <summary>container.image: the image reference as the runtime reports it (repository:tag).</summary>
    public string Image { get; init; } = "";
    public string ImageRepository { get; init; } = "";
    public string ImageTag { get; init; } = "";
    public string ImageDigest { get; init; } = "";
    public string ImageId { get; init; } = "";
    public string Runtime { get; init; } = "";
    /// <summary>container.privileged: as the runtime's own record says (podman's and docker's "privileged"); null unknown.</summary>
    public bool? Privileged { get; init; }
    /// <summary>container.start_ts: start of the container's pid-namespace init (its pid 1), Unix ns; 0 unknown.</summary>
    public long StartTimeNanoseconds { get; init; }
    /// <summary>The mounts the user asked for (volumes and bind mounts), in the runtime's order; null unknown.</summary>
    public IReadOnlyList<MountInfo>? Mounts { get; init; }

    /// <summary>container.mounts: every mount as <c>source:dest:mode:rdrw:propagation</c>, joined by commas, computed once.</summary>
    public string? MountsText => Mounts is null ? null : Derived.Get(ref _mountsText, Mounts, m => string.Join(',', m));
    private Derived.Slot<IReadOnlyList<MountInfo>, string>? _mountsText;
}

/// <summary>One mount of a container, as Falco's container fields describe it.</summary>
public sealed record MountInfo(string Source, string Destination, string Mode = "", bool ReadWrite = true, string Propagation = "")
{
    /// <summary>Falco's <c>source:dest:mode:rdrw:propagation</c>.</summary>
    public override string ToString() => $"{Source}:{Destination}:{Mode}:{(ReadWrite ? "true" : "false")}:{Propagation}";
}

public sealed record KubernetesInfo
{
    public string Namespace { get; init; } = "";
    public string PodName { get; init; } = "";
    public string PodUid { get; init; } = "";
    public IReadOnlyDictionary<string, string> PodLabels { get; init; } = new Dictionary<string, string>();
}

/// <summary>ZeroDrift's own facts about the process, for rules to use (<c>zerodrift.*</c> fields).</summary>
public sealed record ZeroDriftInfo
{
    /// <summary>The executable is one the image inventory lists (trusted candidate), not from a writable layer or memfd.</summary>
    public bool? ExeFromImage { get; init; }
    /// <summary>The behaviour is in the workload's learned profile.</summary>
    public bool? InProfile { get; init; }
    /// <summary>The workload's mode: learn, monitor or protect.</summary>
    public string? Mode { get; init; }
    /// <summary>The workload identity (Kubernetes owner or container-name pattern).</summary>
    public string? Workload { get; init; }
    /// <summary>SHA-256 of the process's executable (lowercase hex), once the agent has hashed it.</summary>
    public string? ExeSha256 { get; init; }
}

/// <summary>
/// Values derived from a record's properties and computed once. The cache remembers the (reference of the) source
/// it was computed from, so a copy made with <c>with { … }</c>, which copies the cache too, recomputes when a
/// source changed. Checking costs a reference comparison and allocates nothing.
/// </summary>
internal static class Derived
{
    internal sealed record Slot<TSource, TValue>(TSource Source, TValue Value);

    internal sealed record Slot<TA, TB, TValue>(TA A, TB B, TValue Value);

    public static TValue Get<TSource, TValue>(ref Slot<TSource, TValue>? slot, TSource source, Func<TSource, TValue> compute)
        where TSource : class
    {
        if (slot is { } current && ReferenceEquals(current.Source, source)) return current.Value;
        var value = compute(source);
        slot = new Slot<TSource, TValue>(source, value);
        return value;
    }

    public static TValue Get<TA, TB, TValue>(ref Slot<TA, TB, TValue>? slot, TA a, TB b, Func<TA, TB, TValue> compute)
        where TA : class where TB : class
    {
        if (slot is { } current && ReferenceEquals(current.A, a) && ReferenceEquals(current.B, b)) return current.Value;
        var value = compute(a, b);
        slot = new Slot<TA, TB, TValue>(a, b, value);
        return value;
    }
}
