using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Runtime.Hardening;

/// <summary>
/// A seccomp profile in the OCI/Docker JSON format (what <c>podman run --security-opt seccomp=FILE</c> and a
/// Kubernetes <c>Localhost</c> seccomp profile read) that allows exactly the system calls a workload was seen to
/// use, plus the few the container runtime itself makes after installing the filter and before the workload's
/// first instruction; everything else fails with EPERM.
/// </summary>
public static class SeccompProfileGenerator
{
    /// <summary>
    /// What runc calls between installing the filter and running the workload's program (it installs the filter
    /// before dropping privileges unless no_new_privs is set): close inherited descriptors, check the working
    /// directory, switch user and groups, set capabilities, wait on the exec fifo, then execve. Traced with
    /// strace from runc's prctl(PR_SET_SECCOMP) to its execve (Debian's podman and runc); removing any of capget,
    /// capset, chdir, close, execve, fstat, fstatfs, futex, getcwd, getdents64, openat, read, setgid, setgroups or
    /// setuid stops the container from starting; the others are called and kept so that a runc release that
    /// checks their results still starts.
    /// </summary>
    public static readonly IReadOnlyList<string> RuntimeBaseline =
    [
        "capget", "capset", "chdir", "close", "epoll_ctl", "execve", "faccessat2", "fcntl", "fstat", "fstatfs", "futex", "getcwd",
        "getdents64", "getpid", "getppid", "newfstatat", "openat", "prctl", "read", "rt_sigreturn", "setgid", "setgroups", "setuid", "write",
    ];

    /// <param name="syscalls">Names of the system calls the workload used.</param>
    /// <param name="includeRuntimeBaseline">Add <see cref="RuntimeBaseline"/> (needed for a profile a runtime applies at start).</param>
    public static string Generate(IEnumerable<string> syscalls, bool includeRuntimeBaseline = true)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in syscalls)
        {
            if (SyscallTable.Number(name) is null) throw new ArgumentException($"unknown system call '{name}'", nameof(syscalls));
            names.Add(name);
        }
        if (includeRuntimeBaseline) names.UnionWith(RuntimeBaseline);
        var profile = new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ERRNO",
            ["defaultErrnoRet"] = 1,
            ["architectures"] = new JsonArray("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
            ["syscalls"] = new JsonArray(new JsonObject
            {
                ["names"] = new JsonArray([.. names.Select(n => (JsonNode)n!)]),
                ["action"] = "SCMP_ACT_ALLOW",
            }),
        };
        return profile.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
