namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// The parent a profile records for a process the container runtime started: one stable name per way in, whoever
/// the runtime's process was and whether it was still there when the exec was read. <see cref="Entry"/> is the
/// runtime starting the container's init (conmon, a containerd shim: the entrypoint and what pid 1 exec's into);
/// <see cref="Exec"/> is its exec path into a running container (runc or crun for <c>podman exec</c>,
/// <c>kubectl exec</c>). The kernel classes parents the same way (bpf/lineage.h), so what the profile allows and what
/// the kernel allows agree, and a shell entering through <c>podman exec</c> is never the entrypoint's shell.
/// </summary>
public static class RuntimeParent
{
    public const string Entry = "runtime:entry";
    public const string Exec = "runtime:exec";

    /// <summary>
    /// The stable name for a parent given as the runtime's own executable (profiles learned before these names
    /// recorded <c>/usr/bin/conmon</c> or <c>/usr/sbin/runc</c>); any other parent unchanged.
    /// </summary>
    public static string? Canonical(string? parent)
    {
        if (parent is null or Entry or Exec) return parent;
        var path = parent.EndsWith(" (deleted)", StringComparison.Ordinal) ? parent[..^10] : parent;
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (name == "conmon" || name.StartsWith("containerd-shim", StringComparison.Ordinal)) return Entry;
        // runc re-executes itself from a memfd copy before it names itself.
        if (name is "runc" or "crun" or "youki" or "runsc" || path.StartsWith("memfd:", StringComparison.Ordinal) || path.StartsWith("/memfd:", StringComparison.Ordinal))
            return Exec;
        return parent;
    }

    /// <summary>The parent as an alert says it.</summary>
    public static string Describe(string? parent) => parent switch
    {
        null => "nothing known",
        Entry => "the runtime's entry (the container's start)",
        Exec => "the runtime's exec path (podman exec, kubectl exec)",
        _ => parent,
    };
}
