using System.Net;

namespace ZeroDrift.Runtime.Rules.Reference;

/// <summary>
/// The reference binding of Falco's syscall fields onto <see cref="SyscallEvent"/>: every field a Linux eBPF sensor
/// reporting exec/exit, open, connect/accept/bind/listen, DNS, credential changes, ptrace, module load, mount,
/// setns/unshare and memfd_create, with container and pod attribution and a process-tree cache, can honestly fill.
/// Fields left out (fd.types, fd.name_changed, evt.buffer, proc.pexe of exited parents…) need state the sensor
/// does not keep; rules using them are reported as not evaluated. The agent binds its own event type the same way.
/// </summary>
public static class SyscallFields
{
    public static FieldTable<SyscallEvent> Create()
    {
        var t = new FieldTable<SyscallEvent>();

        // evt.*
        t.Add("evt.type", e => e.Type, "syscall name")
         .Add("syscall.type", e => e.Type, "syscall name")
         .Add("evt.dir", e => e.Direction, "< exit, > entry")
         .Add("evt.num", e => (long?)e.Number)
         .Add("evt.time", e => (long?)e.TimeNanoseconds)
         .Add("evt.rawtime", e => (long?)e.TimeNanoseconds)
         .Add("evt.hostname", e => e.Hostname)
         .Add("evt.rawres", e => e.Result)
         .Add("evt.res", e => e.Result is { } r ? Errno.Name(r) : null, "SUCCESS or the errno name")
         .Add("evt.failed", e => e.Result is { } r ? r < 0 : null)
         .Add("evt.args", e => e.ArgsText)
         .Add("evt.is_open_read", e => IsOpen(e) ? HasFlag(e, "O_RDONLY") || HasFlag(e, "O_RDWR") : false)
         .Add("evt.is_open_write", e => IsOpen(e) ? HasFlag(e, "O_WRONLY") || HasFlag(e, "O_RDWR") : false)
         // libsinsp: a file created (O_CREAT or O_TMPFILE) with an execute bit in its mode.
         .Add("evt.is_open_exec", e => IsOpen(e) && (HasFlag(e, "O_CREAT") || HasFlag(e, "O_TMPFILE")) && ExecutableMode(e))
         .AddKeyed("evt.arg", (e, name) => e.Args.TryGetValue(name, out var v) ? v : null, dotted: true, description: "evt.arg.NAME / evt.arg[NAME]");

        // proc.* and thread.*
        t.Add("proc.name", e => e.Process.Name)
         .Add("proc.exe", e => e.Process.Exe)
         .Add("proc.exepath", e => e.Process.ExePath)
         .Add("proc.cmdline", e => e.Process.CommandLine)
         .Add("proc.args", e => e.Process.ArgsText)
         .Add("proc.pid", e => (long?)e.Process.Pid)
         .Add("proc.vpid", e => (long?)e.Process.Vpid)
         .Add("proc.sid", e => (long?)e.Process.Sid)
         .Add("proc.vpgid", e => (long?)e.Process.Vpgid)
         .Add("proc.tty", e => (long?)e.Process.Tty)
         .Add("proc.cwd", e => e.Process.Cwd)
         .Add("proc.duration", e => e.TimeNanoseconds - e.Process.StartTimeNanoseconds)
         .Add("proc.is_exe_writable", e => e.Process.IsExeWritable)
         .Add("proc.is_exe_upper_layer", e => e.Process.IsExeUpperLayer)
         .Add("proc.is_exe_from_memfd", e => e.Process.IsExeFromMemfd)
         .Add("proc.exe_ino", e => (long?)e.Process.ExeInode)
         .Add("proc.exe_ino.ctime", e => (long?)e.Process.ExeInodeCtime)
         .Add("proc.exe_ino.mtime", e => (long?)e.Process.ExeInodeMtime)
         .Add("proc.exe_ino.ctime_duration_proc_start", e => e.Process.StartTimeNanoseconds - e.Process.ExeInodeCtime)
         .Add("proc.is_vpgid_leader", e => e.Process.Vpid == e.Process.Vpgid)
         .Add("proc.is_sid_leader", e => e.Process.Vpid == e.Process.Sid)
         .Add("proc.sname", e => Find(e, e.Process.Sid, virtualPid: true)?.Name)
         .Add("proc.vpgid.name", e => Find(e, e.Process.Vpgid, virtualPid: true)?.Name)
         .Add("proc.vpgid.exe", e => Find(e, e.Process.Vpgid, virtualPid: true)?.Exe)
         .Add("proc.ppid", e => Parent(e)?.Pid)
         .Add("proc.pname", e => Parent(e)?.Name)
         .Add("proc.pexe", e => Parent(e)?.Exe)
         .Add("proc.pexepath", e => Parent(e)?.ExePath)
         .Add("proc.pcmdline", e => Parent(e)?.CommandLine)
         .Add("proc.ppid.duration", e => Parent(e) is { } p ? e.TimeNanoseconds - p.StartTimeNanoseconds : null)
         .AddIndexed("proc.aname", (e, n) => Ancestor(e, n)?.Name, e => e.AncestorNames, "ancestor name; [0] is the process, [1] its parent; bare: any ancestor")
         .AddIndexed("proc.apid", (e, n) => Ancestor(e, n)?.Pid)
         .AddIndexed("proc.aexe", (e, n) => Ancestor(e, n)?.Exe)
         .AddIndexed("proc.aexepath", (e, n) => Ancestor(e, n)?.ExePath)
         .AddIndexed("proc.acmdline", (e, n) => Ancestor(e, n)?.CommandLine)
         .AddKeyed("proc.env", (e, name) => e.Process.Env.TryGetValue(name, out var v) ? v : null, bare: e => e.Process.EnvText)
         .Add("thread.tid", e => (long?)e.Process.Tid)
         .Add("thread.cap_permitted", e => e.Process.CapPermitted)
         .Add("thread.cap_effective", e => e.Process.CapEffective)
         .Add("thread.cap_inheritable", e => e.Process.CapInheritable);

        // user.* and group.*
        t.Add("user.uid", e => (long?)e.Process.Uid)
         .Add("user.name", e => e.Process.UserName)
         .Add("user.homedir", e => e.Process.UserHome)
         .Add("user.shell", e => e.Process.UserShell)
         .Add("user.loginuid", e => (long?)e.Process.LoginUid)
         .Add("user.loginname", e => e.Process.LoginName)
         .Add("group.gid", e => (long?)e.Process.Gid)
         .Add("group.name", e => e.Process.GroupName);

        // fd.*
        t.Add("fd.num", e => e.Fd?.Number)
         .Add("fd.type", e => e.Fd?.Type)
         .Add("fd.typechar", e => e.Fd is { } f ? TypeChar(f.Type) : null)
         .Add("fd.name", e => e.Fd?.Name)
         .Add("fd.nameraw", e => e.Fd?.Name)
         .Add("fd.directory", e => e.Fd?.Directory)
         .Add("fd.filename", e => e.Fd?.FileName)
         .Add("fd.ino", e => e.Fd?.Inode)
         .Add("fd.l4proto", e => e.Fd?.L4Protocol)
         .Add("fd.sockfamily", e => e.Fd is { } f ? SockFamily(f.Type) : null)
         .Add("fd.connected", e => e.Fd?.Connected)
         .Add("fd.name_changed", e => e.Fd?.NameChanged, "the event (connect, accept, bind) gave the descriptor its name")
         .Add("fd.is_server", e => e.Fd is { ServerIp: not null } f ? !f.LocalIsClient : null)
         .Add("fd.cip", e => e.Fd?.ClientIp)
         .Add("fd.sip", e => e.Fd?.ServerIp)
         .Add("fd.lip", e => Local(e.Fd))
         .Add("fd.rip", e => Remote(e.Fd))
         .Add("fd.cnet", e => e.Fd?.ClientIp)
         .Add("fd.snet", e => e.Fd?.ServerIp)
         .Add("fd.lnet", e => Local(e.Fd))
         .Add("fd.rnet", e => Remote(e.Fd))
         // fd.ip/fd.net/fd.port match either end in Falco; one accessor gives one value, so they bind the remote end.
         .Add("fd.ip", e => Remote(e.Fd))
         .Add("fd.net", e => Remote(e.Fd))
         .Add("fd.cport", e => e.Fd?.ClientPort)
         .Add("fd.sport", e => e.Fd?.ServerPort)
         .Add("fd.lport", e => e.Fd is { } f ? (f.LocalIsClient ? f.ClientPort : f.ServerPort) : null)
         .Add("fd.rport", e => e.Fd is { } f ? (f.LocalIsClient ? f.ServerPort : f.ClientPort) : null)
         .Add("fd.port", e => e.Fd is { } f ? (f.LocalIsClient ? f.ServerPort : f.ClientPort) : null)
         .Add("fd.sip.name", e => e.Fd?.ServerName)
         .Add("fd.cip.name", e => e.Fd?.ClientName)
         .Add("fd.lip.name", e => e.Fd is { } f ? (f.LocalIsClient ? f.ClientName : f.ServerName) : null)
         .Add("fd.rip.name", e => e.Fd is { } f ? (f.LocalIsClient ? f.ServerName : f.ClientName) : null);

        // container.* (a host process has container.id "host", as in Falco)
        t.Add("container.id", e => e.Container?.Id ?? "host")
         .Add("container.name", e => e.Container?.Name ?? "host")
         .Add("container.image", e => e.Container?.Image)
         .Add("container.image.repository", e => e.Container?.ImageRepository)
         .Add("container.image.tag", e => e.Container?.ImageTag)
         .Add("container.image.digest", e => e.Container?.ImageDigest)
         .Add("container.image.id", e => e.Container?.ImageId)
         .Add("container.type", e => e.Container?.Runtime)
         .Add("container.privileged", e => e.Container?.Privileged)
         .Add("container.start_ts", e => e.Container is { StartTimeNanoseconds: > 0 } c ? c.StartTimeNanoseconds : null)
         .Add("container.duration", e => e.Container is { StartTimeNanoseconds: > 0 } c ? e.TimeNanoseconds - c.StartTimeNanoseconds : null)
         .Add("container.mounts", e => e.Container?.MountsText)
         // Falco's keyed mount fields: [N] is the N-th mount; otherwise a glob over the mount's source, except for
         // container.mount.source, keyed by destination. No match gives "N/A" (container.mount: "none"); see docs/rules.md.
         .AddKeyed("container.mount", (e, key) => Mount(e, key, bySource: true) is var (found, m) && found ? m?.ToString() ?? "none" : null)
         .AddKeyed("container.mount.source", (e, key) => Mount(e, key, bySource: false) is var (found, m) && found ? m?.Source ?? NoMount : null)
         .AddKeyed("container.mount.dest", (e, key) => Mount(e, key, bySource: true) is var (found, m) && found ? m?.Destination ?? NoMount : null)
         .AddKeyed("container.mount.mode", (e, key) => Mount(e, key, bySource: true) is var (found, m) && found ? m?.Mode ?? NoMount : null)
         .AddKeyed("container.mount.rdwr", (e, key) => Mount(e, key, bySource: true) is var (found, m) && found ? (m is null ? NoMount : m.ReadWrite ? "true" : "false") : null)
         .AddKeyed("container.mount.propagation", (e, key) => Mount(e, key, bySource: true) is var (found, m) && found ? m?.Propagation ?? NoMount : null);

        // k8s.*
        t.Add("k8s.ns.name", e => e.Kubernetes?.Namespace)
         .Add("k8s.pod.name", e => e.Kubernetes?.PodName)
         .Add("k8s.pod.uid", e => e.Kubernetes?.PodUid)
         .AddKeyed("k8s.pod.label", (e, key) => e.Kubernetes is { } k && k.PodLabels.TryGetValue(key, out var v) ? v : null);

        // zerodrift.*: facts from the profile and the image inventory.
        t.Add("zerodrift.exe_from_image", e => e.ZeroDrift.ExeFromImage, "the executable ships in the image (not written later, not in a memfd)")
         .Add("zerodrift.in_profile", e => e.ZeroDrift.InProfile, "the behaviour is in the workload's learned profile")
         .Add("zerodrift.mode", e => e.ZeroDrift.Mode, "learn, monitor or protect")
         .Add("zerodrift.workload", e => e.ZeroDrift.Workload, "the workload identity")
         .Add("zerodrift.exe_sha256", e => e.ZeroDrift.ExeSha256, "SHA-256 of the executable file (Falco has no such field); no value until hashed")
         .Add("zerodrift.stdin_type", e => e.Process.StdinType, "fd type of standard input at exec (file, pipe, ipv4, ipv6, unix, …)")
         .Add("zerodrift.stdout_type", e => e.Process.StdoutType, "fd type of standard output at exec");
        return t;
    }

    private static bool IsOpen(SyscallEvent e) => e.Type is "open" or "openat" or "openat2" or "creat";

    private static bool HasFlag(SyscallEvent e, string flag) =>
        e.Args.TryGetValue("flags", out var flags) && flags.Contains(flag, StringComparison.Ordinal);

    /// <summary>The open's mode argument (octal, as Falco renders it) has an execute bit for user, group or others.</summary>
    private static bool ExecutableMode(SyscallEvent e)
    {
        if (!e.Args.TryGetValue("mode", out var text) || text.Length == 0) return false;
        var mode = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '7') return false;
            mode = mode * 8 + (c - '0');
            if (mode > 0xFFFF) return false;
        }
        return (mode & 0b001_001_001) != 0;
    }

    private static ProcessInfo? Parent(SyscallEvent e) => e.Ancestors.Count > 0 ? e.Ancestors[0] : null;

    private static ProcessInfo? Ancestor(SyscallEvent e, int n) =>
        n == 0 ? e.Process : n - 1 < e.Ancestors.Count ? e.Ancestors[n - 1] : null;

    private static ProcessInfo? Find(SyscallEvent e, long pid, bool virtualPid = false)
    {
        if ((virtualPid ? e.Process.Vpid : e.Process.Pid) == pid) return e.Process;
        foreach (var a in e.Ancestors)
            if ((virtualPid ? a.Vpid : a.Pid) == pid) return a;
        return null;
    }

    private static IPAddress? Local(FileDescriptorInfo? f) => f is null ? null : f.LocalIsClient ? f.ClientIp : f.ServerIp;

    private static IPAddress? Remote(FileDescriptorInfo? f) => f is null ? null : f.LocalIsClient ? f.ServerIp : f.ClientIp;

    /// <summary>Falco's one-letter fd types.</summary>
    private static string TypeChar(string type) => type switch
    {
        "file" => "f",
        "directory" => "d",
        "ipv4" => "4",
        "ipv6" => "6",
        "unix" => "u",
        "pipe" => "p",
        "event" => "e",
        "signalfd" => "s",
        "eventpoll" => "l",
        "inotify" => "i",
        "timerfd" => "t",
        "netlink" => "n",
        "bpf" => "b",
        "userfaultfd" => "u",
        "io_uring" => "r",
        "memfd" => "m",
        "pidfd" => "P",
        _ => "o",
    };

    private static string? SockFamily(string type) => type switch
    {
        "ipv4" or "ipv6" => "ip",
        "unix" => "unix",
        _ => null,
    };

    private const string NoMount = "N/A";
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Glob> MountGlobs = new(StringComparer.Ordinal);

    /// <summary>
    /// The mount a keyed container.mount* field names: (false, _) when the event has no container or its mounts are
    /// unknown (no value); (true, null) when the container has none that matches; else (true, the mount). A numeric key
    /// is an index; any other is an fnmatch glob over the source (over the destination with <paramref name="bySource"/>
    /// false), the first match winning as in Falco.
    /// </summary>
    private static (bool Known, MountInfo? Mount) Mount(SyscallEvent e, string key, bool bySource)
    {
        if (e.Container?.Mounts is not { } mounts) return (false, null);
        if (int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return (true, n < mounts.Count ? mounts[n] : null);
        var glob = MountGlobs.Count < 4096 ? MountGlobs.GetOrAdd(key, k => new Glob(k, ignoreCase: false)) : new Glob(key, ignoreCase: false);
        for (var i = 0; i < mounts.Count; i++) // indexed: a foreach over the interface would allocate per event
            if (glob.IsMatch(bySource ? mounts[i].Source : mounts[i].Destination)) return (true, mounts[i]);
        return (true, null);
    }
}
