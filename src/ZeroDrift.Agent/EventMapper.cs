using System.Net;
using System.Text;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Hardening;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Agent;

/// <summary>
/// The sensor's records in the two shapes the loop needs: an <see cref="Observation"/> for the behaviour engine and a
/// <see cref="SyscallEvent"/> (Falco's fields, bound by <see cref="SyscallFields"/>) for the rules. The record is a
/// view over the ring buffer, so what is kept is copied here; process and container facts are shared objects built
/// once per exec and per container.
/// </summary>
public static class EventMapper
{
    /// <summary>Falco renders open flags as names joined by '|'; cached per distinct value (a handful in practice).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<uint, string> FlagTexts = new();

    public static string OpenFlags(uint flags) => FlagTexts.GetOrAdd(flags, static f =>
    {
        var parts = new List<string> { (f & 3) switch { 1 => "O_WRONLY", 2 => "O_RDWR", _ => "O_RDONLY" } };
        (uint Bit, string Name)[] named =
        [
            (0x40, "O_CREAT"), (0x80, "O_EXCL"), (0x100, "O_NOCTTY"), (0x200, "O_TRUNC"), (0x400, "O_APPEND"), (0x800, "O_NONBLOCK"),
            (0x1000, "O_DSYNC"), (0x4000, "O_DIRECT"), (0x10000, "O_DIRECTORY"), (0x20000, "O_NOFOLLOW"), (0x80000, "O_CLOEXEC"),
            (0x200000, "O_PATH"), (0x400000, "O_TMPFILE"),
        ];
        foreach (var (bit, name) in named)
            if ((f & bit) == bit) parts.Add(name);
        return string.Join('|', parts);
    });

    public static FileAccessKind Access(uint flags) =>
        (flags & 3) switch { 1 => FileAccessKind.Write, 2 => FileAccessKind.ReadWrite, _ => (flags & 0x240) != 0 ? FileAccessKind.ReadWrite : FileAccessKind.Read };

    /// <summary>The environment from the kernel's NUL-separated <c>NAME=value</c> bytes (a truncated last entry is dropped).</summary>
    public static IReadOnlyDictionary<string, string> Env(ReadOnlySpan<byte> raw, bool truncated)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!raw.IsEmpty)
        {
            var nul = raw.IndexOf((byte)0);
            if (nul < 0 && truncated) break;
            var entry = nul < 0 ? raw : raw[..nul];
            var eq = entry.IndexOf((byte)'=');
            if (eq > 0) env.TryAdd(Encoding.UTF8.GetString(entry[..eq]), Encoding.UTF8.GetString(entry[(eq + 1)..]));
            raw = nul < 0 ? default : raw[(nul + 1)..];
        }
        return env;
    }

    /// <summary>The exec record's facts for <c>proc.*</c>, <c>thread.*</c> and <c>user.*</c>; <paramref name="execUnixNs"/> is
    /// the exec's time on the wall clock, the clock rule events carry (proc.duration subtracts it from theirs).</summary>
    public static ExecFacts Facts(in ExecRecord e, ReadOnlySpan<byte> env, UserEntry? user, string? group, long execUnixNs) => new()
    {
        StartUnixNs = execUnixNs,
        Vpid = e.Vpid,
        Vpgid = e.Vpgid,
        Vsid = e.Vsid,
        Tty = e.Tty,
        LoginUid = e.LoginUid == uint.MaxValue ? -1 : e.LoginUid,
        CapPermitted = e.CapPermitted,
        CapEffective = e.CapEffective,
        CapInheritable = e.CapInheritable,
        Env = env.IsEmpty ? null : new LazyEnvironment(env.ToArray(), e.EnvTruncated != 0),
        ExeMtimeNs = e.ExeMtimeNs,
        ExeCtimeNs = e.ExeCtimeNs,
        User = user,
        Group = group,
        MntNs = e.MntNs,
    };

    /// <summary>The open's path made absolute against the process's cwd (a dirfd-relative path stays as given).</summary>
    public static string AbsolutePath(string path, int dirFd, string cwd) =>
        path.StartsWith('/') || dirFd != -100 ? path : (cwd.EndsWith('/') ? cwd + path : cwd + "/" + path);

    public static IPAddress Address(ushort family, in Addr16 bytes)
    {
        var ip = SensorEvent.Address(family, bytes);
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }

    public static string Protocol(byte protocol) => protocol switch { 6 => "tcp", 17 => "udp", _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>The engine's view of a network record: egress for connects, ingress for accepts; others are not behaviour the profile models.</summary>
    public static NetworkObservation? Network(in NetRecord net, WorkloadIdentity identity, DateTimeOffset at, TrackedProcess? process, string? dnsName)
    {
        if (net.Family is not (2 or 10) || net.Protocol is not (6 or 17)) return null;
        var remote = Address(net.Family, net.RemoteAddr);
        return net.Header.Type switch
        {
            EventType.Connect => new NetworkObservation(identity, at, NetworkDirection.Egress, Protocol(net.Protocol), remote, net.RemotePort, dnsName,
                process?.Info.ExePath, (int)net.Header.Tgid),
            EventType.Accept => new NetworkObservation(identity, at, NetworkDirection.Ingress, Protocol(net.Protocol), remote, net.LocalPort, null,
                process?.Info.ExePath, (int)net.Header.Tgid),
            _ => null,
        };
    }

    /// <summary>Falco's event for a network record: the socket as <c>fd.*</c> (client and server ends by direction).</summary>
    public static SyscallEvent NetworkEvent(in NetRecord net, Context c, string? remoteName)
    {
        var local = Address(net.Family, net.LocalAddr);
        var remote = Address(net.Family, net.RemoteAddr);
        var outbound = net.Header.Type != EventType.Accept;
        var (cip, cport, sip, sport) = outbound ? (local, (long)net.LocalPort, remote, (long)net.RemotePort) : (remote, net.RemotePort, local, net.LocalPort);
        var type = net.Header.Type switch { EventType.Connect => "connect", EventType.Accept => "accept", EventType.Bind => "bind", _ => "listen" };
        var fd = new FileDescriptorInfo
        {
            Type = net.Family == 10 ? "ipv6" : "ipv4",
            L4Protocol = Protocol(net.Protocol),
            ClientIp = cip,
            ClientPort = cport,
            ServerIp = type is "bind" or "listen" ? local : sip,
            ServerPort = type is "bind" or "listen" ? net.LocalPort : sport,
            LocalIsClient = outbound && type == "connect",
            Connected = type == "accept" || (type == "connect" && net.Result is 0 or -115),
            NameChanged = type is "connect" or "accept" or "bind",
            Name = type is "bind" or "listen" ? $"{local}:{net.LocalPort}" : $"{cip}:{cport}->{sip}:{sport}",
            ServerName = outbound ? remoteName : null,
            ClientName = outbound ? null : remoteName,
        };
        return c.Event(type, net.Result, fd, Empty);
    }

    public static SyscallEvent OpenEvent(in OpenRecord open, string absolutePath, Context c)
    {
        var fd = new FileDescriptorInfo { Type = "file", Name = absolutePath, Number = open.Result >= 0 ? open.Result : -1 };
        var args = new Dictionary<string, string>(3, StringComparer.Ordinal) { ["flags"] = OpenFlags(open.Flags), ["name"] = absolutePath, ["fd"] = open.Result.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        // The mode matters only when the open creates a file (O_CREAT, or O_TMPFILE's 0x410000): evt.is_open_exec reads it.
        if ((open.Flags & 0x40) != 0 || (open.Flags & 0x410000) == 0x410000) args["mode"] = "0" + Convert.ToString(open.Mode, 8);
        return c.Event("openat", open.Result, fd, args);
    }

    public static SyscallEvent ExecEvent(Context c, string exePath) =>
        c.Event("execve", 0, null, new Dictionary<string, string>(1, StringComparer.Ordinal) { ["filename"] = exePath });

    /// <summary>A notable syscall's strings, copied out of the ring buffer.</summary>
    public readonly record struct NotableText(string Str, string Str2, string Base, string Base2)
    {
        public static NotableText From(scoped in SensorEvent ev) => new(Encoding.UTF8.GetString(ev.SyscallString), Encoding.UTF8.GetString(ev.SyscallString2),
            Encoding.UTF8.GetString(ev.SyscallBase), Encoding.UTF8.GetString(ev.SyscallBase2));
    }

    /// <summary>
    /// A notable syscall, reported at its exit: its result, and its arguments under Falco's names and as libsinsp
    /// renders them (paths absolute, modes and flags by name). Path-carrying calls name their file in <c>fd.name</c>.
    /// <paramref name="process"/> is the process as it was at the call (its comm, credentials and capabilities then);
    /// <paramref name="userName"/> names a uid in the process's own passwd (Falco shows setuid's uid by name).
    /// </summary>
    public static SyscallEvent? NotableEvent(in SyscallRecord sc, NotableText text, Context c, ProcessInfo process, Func<long, string?> userName)
    {
        var name = SyscallTable.Name((int)sc.Nr);
        if (name is null) return null;
        var args = new List<KeyValuePair<string, string>>(6);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        void Add(string key, string value) => args.Add(new(key, value));
        string Path1() => FalcoArgs.Path(text.Str, text.Base);
        string Path2() => FalcoArgs.Path(text.Str2, text.Base2);
        string? file = null;
        FileDescriptorInfo? socket = null;
        long? result = sc.AtEntry ? null : sc.Result;
        var res = result?.ToString(inv) ?? "";
        switch (name)
        {
            case "ptrace":
                Add("request", sc.Arg0 switch { 16 => "PTRACE_ATTACH", 0x4206 => "PTRACE_SEIZE", 4 => "PTRACE_POKETEXT", 5 => "PTRACE_POKEDATA", 0 => "PTRACE_TRACEME", _ => sc.Arg0.ToString(inv) });
                Add("pid", sc.Arg1.ToString(inv));
                break;
            case "setuid" or "setfsuid": Add("uid", Named(sc.Arg0)); break;
            case "setgid" or "setfsgid": Add("gid", FalcoArgs.Id(sc.Arg0)); break;
            case "setreuid": Add("ruid", Named(sc.Arg0)); Add("euid", Named(sc.Arg1)); break;
            case "setresuid": Add("ruid", Named(sc.Arg0)); Add("euid", Named(sc.Arg1)); Add("suid", Named(sc.Arg2)); break;
            case "setregid": Add("rgid", FalcoArgs.Id(sc.Arg0)); Add("egid", FalcoArgs.Id(sc.Arg1)); break;
            case "setresgid": Add("rgid", FalcoArgs.Id(sc.Arg0)); Add("egid", FalcoArgs.Id(sc.Arg1)); Add("sgid", FalcoArgs.Id(sc.Arg2)); break;
            case "mount": Add("dir", text.Str); break;
            case "umount2" or "pivot_root": Add("name", text.Str); break;
            case "memfd_create": Add("name", text.Str); break;
            case "unshare": Add("flags", FalcoArgs.CloneFlags(sc.Arg0)); break;
            case "setns": Add("fd", FalcoArgs.Fd(sc.Arg0)); Add("nstype", FalcoArgs.CloneFlags(sc.Arg1)); break;
            case "link": Add("oldpath", Path1()); Add("newpath", file = Path2()); break;
            case "linkat":
                Add("olddir", FalcoArgs.Fd(sc.Arg0)); Add("oldpath", Path1()); Add("newdir", FalcoArgs.Fd(sc.Arg2)); Add("newpath", file = Path2());
                Add("flags", (sc.Arg4 & 0x400) != 0 ? "AT_SYMLINK_FOLLOW" : (sc.Arg4 & 0xffffffff).ToString(inv));
                break;
            case "symlink": Add("target", text.Str2); Add("linkpath", file = Path1()); break;
            case "symlinkat": Add("target", text.Str2); Add("linkdirfd", FalcoArgs.Fd(sc.Arg1)); Add("linkpath", file = Path1()); break;
            case "mkdir": Add("path", file = Path1()); Add("mode", (sc.Arg1 & 0xffffffff).ToString("X", inv)); break;
            case "mkdirat": Add("dirfd", FalcoArgs.Fd(sc.Arg0)); Add("path", file = Path1()); Add("mode", (sc.Arg2 & 0xffffffff).ToString("X", inv)); break;
            case "rename": Add("oldpath", Path1()); Add("newpath", file = Path2()); break;
            case "renameat" or "renameat2":
                Add("olddirfd", FalcoArgs.Fd(sc.Arg0)); Add("oldpath", Path1()); Add("newdirfd", FalcoArgs.Fd(sc.Arg2)); Add("newpath", file = Path2());
                if (name == "renameat2") Add("flags", (sc.Arg4 & 0xffffffff).ToString(inv));
                break;
            case "unlink" or "rmdir": Add("path", file = Path1()); break;
            case "unlinkat":
                Add("dirfd", FalcoArgs.Fd(sc.Arg0)); Add("name", file = Path1());
                Add("flags", (sc.Arg2 & 0x200) != 0 ? "AT_REMOVEDIR" : (sc.Arg2 & 0xffffffff).ToString(inv));
                break;
            case "chmod": Add("filename", file = Path1()); Add("mode", FalcoArgs.Mode((uint)sc.Arg1)); break;
            case "fchmod": Add("fd", FalcoArgs.Fd(sc.Arg0)); Add("mode", FalcoArgs.Mode((uint)sc.Arg1)); file = text.Base.Length > 0 ? text.Base : null; break;
            case "fchmodat": Add("dirfd", FalcoArgs.Fd(sc.Arg0)); Add("filename", file = Path1()); Add("mode", FalcoArgs.Mode((uint)sc.Arg2)); break;
            case "socket":
                Add("domain", FalcoArgs.Family(sc.Arg0)); Add("type", (sc.Arg1 & 0xffffffff).ToString(inv)); Add("proto", (sc.Arg2 & 0xffffffff).ToString(inv));
                if (result is not null) Add("fd", res);
                break;
            case "userfaultfd": Add("flags", (sc.Arg0 & 0xffffffff).ToString(inv)); break;
            // Reported only for a socket duplicated onto 0, 1 or 2, with its family in Arg5 (the sensor's filter). Like
            // libsinsp, the event's descriptor is the old one: fd.type is the socket's.
            case "dup" or "dup2" or "dup3":
                Add("oldfd", FalcoArgs.Fd(sc.Arg0));
                if (name != "dup") Add("newfd", FalcoArgs.Fd(sc.Arg1));
                if (name == "dup3") Add("flags", (sc.Arg2 & 0xffffffff).ToString(inv));
                socket = new FileDescriptorInfo { Type = SocketType(sc.Arg5), Number = (int)sc.Arg0 };
                break;
            // Falco renders bpf's command by name; BPF_PROG_LOAD (5) is what its rules test.
            case "bpf": Add("cmd", sc.Arg0 == 5 ? "BPF_PROG_LOAD" : sc.Arg0.ToString(inv)); break;
        }
        if (result is not null) Add("res", res);
        var dictionary = new Dictionary<string, string>(args.Count, StringComparer.Ordinal);
        foreach (var (k, v) in args) dictionary.TryAdd(k, v);
        var fd = file is { Length: > 0 }
            ? new FileDescriptorInfo { Type = name is "mkdir" or "mkdirat" or "rmdir" ? "directory" : "file", Name = file, Number = name == "fchmod" ? (int)sc.Arg0 : -1 }
            : socket;
        // evt.args shows a mode with its value, as libsinsp does.
        var modeShown = FalcoArgs.ModeWithValue((uint)(name == "fchmodat" ? sc.Arg2 : sc.Arg1));
        var shown = name is "chmod" or "fchmod" or "fchmodat"
            ? args.Select(a => a.Key == "mode" ? new KeyValuePair<string, string>("mode", modeShown) : a)
            : args;
        return c.Event(name, result, fd, dictionary) with { Process = process, ArgsText = FalcoArgs.Text(shown) };

        string Named(ulong id) => (uint)id == uint.MaxValue ? "-1" : userName((uint)id) ?? ((uint)id).ToString(inv);
    }

    /// <summary>Falco's fd.type for a socket of this address family.</summary>
    private static string SocketType(ulong family) => family switch { 2 => "ipv4", 10 => "ipv6", 1 => "unix", 16 => "netlink", _ => "unknown" };

    private static readonly Dictionary<string, string> Empty = new();

    /// <summary>What every event of one process in one container shares. <paramref name="Number"/> is Falco's
    /// <c>evt.num</c>: the agent numbers the sensor's records from 1 (never 0, which Falco's <c>never_true</c> macro
    /// tests).</summary>
    public readonly record struct Context(TrackedProcess Process, WorkloadBinding Binding, long TimeNs, string Hostname, ZeroDriftInfo ZeroDrift, long Number)
    {
        public SyscallEvent Event(string type, long? result, FileDescriptorInfo? fd, IReadOnlyDictionary<string, string> args) => new()
        {
            Type = type,
            Direction = "<",
            Number = Number,
            TimeNanoseconds = TimeNs,
            Result = result,
            Args = args,
            Process = Process.Info,
            Ancestors = Process.Ancestors,
            Fd = fd,
            Container = Binding.RuleContainer,
            Kubernetes = Binding.Kubernetes,
            ZeroDrift = ZeroDrift,
            Hostname = Hostname,
        };
    }
}
