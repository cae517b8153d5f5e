namespace ZeroDrift.Runtime.Profiles;

/// <summary>One section's difference between two profiles, as display lines.</summary>
public sealed record ProfileSectionDiff(string Section, IReadOnlyList<string> Added, IReadOnlyList<string> Removed);

/// <summary>
/// What changed between two profiles, typically the same workload on two image versions: behaviour the new
/// version adds (to review before trusting it) and behaviour it no longer shows.
/// </summary>
public sealed record ProfileDiff(WorkloadIdentity From, WorkloadIdentity To, IReadOnlyList<ProfileSectionDiff> Sections)
{
    public bool Empty => Sections.All(s => s.Added.Count == 0 && s.Removed.Count == 0);

    public static ProfileDiff Between(BehaviourProfile from, BehaviourProfile to) => new(from.Identity, to.Identity,
    [
        Section("processes", from.Processes.Select(Describe), to.Processes.Select(Describe)),
        Section("files", from.Files.Select(Describe), to.Files.Select(Describe)),
        Section("network", from.Network.Select(Describe), to.Network.Select(Describe)),
        Section("syscalls", from.Syscalls, to.Syscalls),
        Section("capabilities", from.Capabilities, to.Capabilities),
    ]);

    private static ProfileSectionDiff Section(string name, IEnumerable<string> from, IEnumerable<string> to)
    {
        var before = new SortedSet<string>(from, StringComparer.Ordinal);
        var after = new SortedSet<string>(to, StringComparer.Ordinal);
        return new ProfileSectionDiff(name, after.Except(before).ToList(), before.Except(after).ToList());
    }

    public static string Describe(ProcessEntry p) =>
        p.Executable + (p.Name is null ? "" : $" as name {p.Name}") + (p.Parent is null ? "" : $" (parent {p.Parent})") + (p.User is null ? "" : $" as {p.User}") + (p.Sha256 is null ? "" : $" sha256:{p.Sha256}");

    public static string Describe(FileAccessEntry f) => $"{f.Path} {(f.Access == FileAccessKind.ReadWrite ? "rw" : f.Access == FileAccessKind.Write ? "w" : "r")}";

    public static string Describe(NetworkEntry n) =>
        $"{(n.Direction == NetworkDirection.Egress ? "egress to" : "ingress from")} {n.Peer} {n.Protocol}/{n.Port}"
        + (n.DnsName is null ? "" : $" ({n.DnsName})") + (n.PeerWorkload is null ? "" : $" [{n.PeerWorkload}]");
}
