using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;

namespace ZeroDrift.Agent;

/// <summary>
/// What the agent's events really carry, for rules: the event types from the sensor's
/// <see cref="CapturedEventTypes"/>, the fields <see cref="EventMapper"/> never fills, and the arguments it gives each
/// type. <c>zerodrift rules check</c> and the agent at load judge rules against it, so a rule is called evaluated
/// only if the agent's events can make it fire. Whoever adds an event type or an argument to
/// <see cref="EventMapper"/> adds it here.
/// </summary>
public static class AgentCapture
{
    /// <summary>
    /// Notable syscalls reported at their entry, without a result: those whose exit trace event a kernel lacks. The
    /// running agent knows its kernel's (<c>KernelSensor.NotableAtEntry</c>, said at start); judged without a kernel,
    /// these four, which kernels of this project's kind have no <c>sys_exit_*</c> event for.
    /// </summary>
    public static readonly IReadOnlySet<string> EntryOnly = Set("init_module", "finit_module", "kexec_load", "kexec_file_load");

    public static readonly CaptureProfile Profile = new()
    {
        EventTypes = CapturedEventTypes.Names,
        // The sensor hooks these syscalls and the mapper names them after their family (EventMapper.OpenEvent, ExecEvent, NetworkEvent).
        ReportedAs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["open"] = "openat", ["openat2"] = "openat", ["creat"] = "openat", ["execveat"] = "execve", ["accept4"] = "accept",
        },
        EmptyFields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["user.loginname"] = "the agent does not name the login user",
            ["fd.ino"] = "the sensor does not read the file's inode at open",
            ["fd.types"] = "the agent keeps no process fd table",
            ["zerodrift.stdin_type"] = "the sensor does not read the type of standard input at exec",
            ["zerodrift.stdout_type"] = "the sensor does not read the type of standard output at exec",
        },
        EmptyForTypes = new Dictionary<string, (IReadOnlySet<string>, string)>(StringComparer.Ordinal)
        {
            ["evt.res"] = (EntryOnly, "reported at the syscall's entry, before its result"),
            ["evt.rawres"] = (EntryOnly, "reported at the syscall's entry, before its result"),
            ["evt.failed"] = (EntryOnly, "reported at the syscall's entry, before its result"),
            ["fd.num"] = (Set("connect", "accept", "bind", "listen"), "the sensor does not report the socket's descriptor number"),
            ["fd.name"] = (Set("dup", "dup2", "dup3"), "the sensor reports a duplicated socket's family, not its addresses"),
            // Notable syscalls render their arguments as libsinsp does (EventMapper.NotableEvent); records of their own do not.
            ["evt.args"] = (CapturedEventTypes.FromRecords.ToHashSet(StringComparer.Ordinal), "the agent renders all arguments as one string for notable syscalls only"),
        },
        Args = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            ["openat"] = Set("flags", "name", "fd", "mode"),
            ["execve"] = Set("filename"),
            ["ptrace"] = Set("request", "pid"),
            ["setuid"] = Set("uid"),
            ["setfsuid"] = Set("uid"),
            ["setgid"] = Set("gid"),
            ["setfsgid"] = Set("gid"),
            ["setreuid"] = Set("ruid", "euid"),
            ["setresuid"] = Set("ruid", "euid", "suid"),
            ["setregid"] = Set("rgid", "egid"),
            ["setresgid"] = Set("rgid", "egid", "sgid"),
            ["mount"] = Set("dir"),
            ["umount2"] = Set("name"),
            ["pivot_root"] = Set("name"),
            ["memfd_create"] = Set("name"),
            ["setns"] = Set("fd", "nstype"),
            ["unshare"] = Set("flags"),
            ["bpf"] = Set("cmd"),
            ["link"] = Set("oldpath", "newpath"),
            ["linkat"] = Set("olddir", "oldpath", "newdir", "newpath", "flags"),
            ["symlink"] = Set("target", "linkpath"),
            ["symlinkat"] = Set("target", "linkdirfd", "linkpath"),
            ["mkdir"] = Set("path", "mode"),
            ["mkdirat"] = Set("dirfd", "path", "mode"),
            ["rename"] = Set("oldpath", "newpath"),
            ["renameat"] = Set("olddirfd", "oldpath", "newdirfd", "newpath"),
            ["renameat2"] = Set("olddirfd", "oldpath", "newdirfd", "newpath", "flags"),
            ["unlink"] = Set("path"),
            ["rmdir"] = Set("path"),
            ["unlinkat"] = Set("dirfd", "name", "flags"),
            ["chmod"] = Set("filename", "mode"),
            ["fchmod"] = Set("fd", "mode"),
            ["fchmodat"] = Set("dirfd", "filename", "mode"),
            ["socket"] = Set("domain", "type", "proto", "fd"),
            ["userfaultfd"] = Set("flags"),
            ["dup"] = Set("oldfd", "res"),
            ["dup2"] = Set("oldfd", "newfd", "res"),
            ["dup3"] = Set("oldfd", "newfd", "flags", "res"),
        },
        // The path-carrying calls added for Falco's rules carry libsinsp's argument names for their exit event, all of
        // them: a condition asking one of them for another call's argument is false in Falco too.
        ArgsAsFalco = Set("link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat", "rename", "renameat", "renameat2",
            "unlink", "unlinkat", "rmdir", "chmod", "fchmod", "fchmodat", "userfaultfd", "dup", "dup2", "dup3"),
    };

    /// <summary>
    /// The agent's field binding: <see cref="SyscallFields"/>, with the fields <see cref="Profile"/> calls empty
    /// returning no value (rather than a constant), so that what runs is what the check judged.
    /// </summary>
    public static FieldTable<SyscallEvent> Fields()
    {
        var t = SyscallFields.Create();
        t.Add("user.loginname", _ => (string?)null)
         .Add("fd.ino", _ => (long?)null)
         .Add("fd.num", e => e.Fd is { Number: >= 0 } f ? f.Number : e.Type == "openat" ? -1 : null)
         .Add("zerodrift.stdin_type", _ => (string?)null)
         .Add("zerodrift.stdout_type", _ => (string?)null);
        return t;
    }

    /// <summary>Loads and compiles a rule set as the agent runs it.</summary>
    public static RuleEngine<SyscallEvent> Compile(RuleSet set) => RuleEngine<SyscallEvent>.Compile(set, Fields(), Profile);

    private static IReadOnlySet<string> Set(params string[] names) => names.ToHashSet(StringComparer.Ordinal);
}
