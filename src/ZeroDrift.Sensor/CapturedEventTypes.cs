namespace ZeroDrift.Sensor;

/// <summary>
/// The event types (Falco's <c>evt.type</c> names) the sensor's records become in the agent: the one source of truth
/// for what <c>zerodrift rules check</c> and the agent's load summary call captured. A rule that needs another type
/// cannot fire for it. Kept a plain literal set so that adding a hook means adding its name here.
/// </summary>
public static class CapturedEventTypes
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal)
    {
        // sched_process_exec: execve and execveat both arrive as execve.
        "execve",
        // open, openat, openat2 and creat, reported as openat with the absolute path.
        "openat",
        // Sockets: accept4 arrives as accept.
        "connect", "accept", "bind", "listen",
        // NotableSyscalls.X64, reported at the syscall's entry.
        "ptrace", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "capset",
        "mount", "umount2", "pivot_root", "init_module", "finit_module", "setns", "unshare", "memfd_create", "bpf",
        "perf_event_open", "kexec_load", "kexec_file_load",
    };
}
