using System.Collections.Concurrent;

namespace ZeroDrift.Agent;

/// <summary>Capability bit sets as Falco prints <c>thread.cap_*</c>: the <c>CAP_…</c> names of the bits set, separated by spaces.</summary>
public static class CapabilityNames
{
    /// <summary>linux/capability.h, bit number → name (0 … 40).</summary>
    public static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    // A handful of distinct sets in practice (root, root in a container, unprivileged): each rendered once.
    private static readonly ConcurrentDictionary<ulong, string> Rendered = new();

    public static string Text(ulong bits) => Rendered.Count < 4096
        ? Rendered.GetOrAdd(bits, Render)
        : Rendered.TryGetValue(bits, out var known) ? known : Render(bits);

    private static string Render(ulong bits)
    {
        var names = new List<string>();
        for (var bit = 0; bit < 64; bit++)
            if ((bits & (1UL << bit)) != 0) names.Add(bit < Names.Length ? Names[bit] : $"CAP_{bit}");
        return string.Join(' ', names);
    }
}
