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
    private static readonly IReadOnlySet<string> EntryOnly = NotableSyscalls.X64.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);

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
            ["evt.args"] = "the agent does not render all arguments as one string",
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
            ["setresuid"] = Set("ruid", "euid"),
            ["setregid"] = Set("rgid", "egid"),
            ["setresgid"] = Set("rgid", "egid"),
            ["mount"] = Set("dir"),
            ["umount2"] = Set("name"),
            ["pivot_root"] = Set("name"),
            ["memfd_create"] = Set("name"),
            ["setns"] = Set("flags"),
            ["unshare"] = Set("flags"),
            ["bpf"] = Set("cmd"),
        },
    };

    /// <summary>
    /// The agent's field binding: <see cref="SyscallFields"/>, with the fields <see cref="Profile"/> calls empty
    /// returning no value (rather than a constant), so that what runs is what the check judged.
    /// </summary>
    public static FieldTable<SyscallEvent> Fields()
    {
        var t = SyscallFields.Create();
        t.Add("user.loginname", _ => (string?)null)
         .Add("evt.args", _ => (string?)null)
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
