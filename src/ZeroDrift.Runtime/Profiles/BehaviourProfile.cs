namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// An executable the workload runs: its path, content hash (SHA-256 of the file, lowercase hex), the executable that
/// started it, and the user: the name from the container's own /etc/passwd (the numeric uid when it has none), with the uid.
/// <paramref name="Name"/>: the name it ran under when that is not its file's name — the applet of a multi-call
/// binary (busybox's <c>sh</c>, <c>httpd</c>: one file), or a symlink's name; null for its own name.
/// </summary>
public sealed record ProcessEntry(string Executable, string? Sha256 = null, string? Parent = null, string? User = null, long? Uid = null, string? Name = null)
{
    /// <summary>Same executable, name, parent and user: the entry a content hash refines.</summary>
    public bool SameProcess(ProcessEntry other) =>
        Executable == other.Executable && Name == other.Name && Parent == other.Parent && User == other.User
        && (Uid is null || other.Uid is null || Uid == other.Uid);
}

[Flags]
public enum FileAccessKind
{
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}

/// <summary>A path or a folded pattern (<c>/proc/*/stat</c>, <c>/tmp/**</c>) and how it is accessed.</summary>
public sealed record FileAccessEntry(string Path, FileAccessKind Access);

public enum NetworkDirection
{
    Egress,
    Ingress,
}

/// <summary>
/// A peer the workload talks to: direction, protocol (<c>tcp</c>/<c>udp</c>), the peer as an address or CIDR, the
/// port (the peer's for egress, the workload's own for ingress), and the names it is known by when seen.
/// </summary>
public sealed record NetworkEntry(NetworkDirection Direction, string Protocol, string Peer, int Port, string? DnsName = null, string? PeerWorkload = null);

/// <summary>
/// What one workload was seen to do: its model of normal. Immutable; <see cref="ProfileBuilder"/> grows it while
/// learning. Sets are kept sorted so exports and diffs are stable.
/// </summary>
public sealed record BehaviourProfile
{
    public required WorkloadIdentity Identity { get; init; }
    public ProfileMode Mode { get; init; } = ProfileMode.Learn;

    /// <summary>Drift prevention for this workload in every mode: an executable from the container's writable layer
    /// or a memfd is killed at exec, with or without a profile (<c>zerodrift profile drift-prevention</c>). Like the
    /// mode, a user's setting: learning never changes it.</summary>
    public bool DriftPrevention { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }

    /// <summary>When the profile last grew: learning is done after a quiet period measured from here.</summary>
    public DateTimeOffset LastNewBehaviour { get; init; }

    public IReadOnlyList<ProcessEntry> Processes { get; init; } = [];
    public IReadOnlyList<FileAccessEntry> Files { get; init; } = [];
    public IReadOnlyList<NetworkEntry> Network { get; init; } = [];
    public IReadOnlyList<string> Syscalls { get; init; } = [];
    public IReadOnlyList<string> Capabilities { get; init; } = [];
}
