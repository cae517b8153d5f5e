namespace ZeroDrift.Runtime.Profiles;

/// <summary>One section's difference between two profiles, as display lines.</summary>
/// <summary>One section's difference between two profiles, as display lines; <paramref name="Changed"/>: the same entry with other content (an executable whose SHA-256 changed).</summary>
public sealed record ProfileSectionDiff(string Section, IReadOnlyList<string> Added, IReadOnlyList<string> Removed)
{
    public IReadOnlyList<string> Changed { get; init; } = [];
}

/// <summary>
/// What changed between two profiles, typically the same workload on two image versions: behaviour the new
/// version adds (to review before trusting it) and behaviour it no longer shows.
/// </summary>
public sealed record ProfileDiff(WorkloadIdentity From, WorkloadIdentity To, IReadOnlyList<ProfileSectionDiff> Sections)
{
    public bool Empty => Sections.All(s => s.Added.Count == 0 && s.Removed.Count == 0 && s.Changed.Count == 0);

    public static ProfileDiff Between(BehaviourProfile from, BehaviourProfile to) => new(from.Identity, to.Identity,
    [
        Processes(from.Processes, to.Processes),
        Section("files", from.Files.Select(Describe), to.Files.Select(Describe)),
        Section("network", from.Network.Select(Describe), to.Network.Select(Describe)),
        Section("syscalls", from.Syscalls, to.Syscalls),
        Section("capabilities", from.Capabilities, to.Capabilities),
    ]);

    /// <summary>
    /// Processes keyed by executable, parent and user: one whose content hash differs between the two (the executable
    /// was rebuilt or replaced in the new image) is a change, listed with both hashes, not an addition and a removal.
    /// </summary>
    private static ProfileSectionDiff Processes(IReadOnlyList<ProcessEntry> from, IReadOnlyList<ProcessEntry> to)
    {
        static string Key(ProcessEntry p) => Describe(p with { Sha256 = null, Uid = null });
        var before = from.GroupBy(Key).ToDictionary(g => g.Key, g => g.Select(p => p.Sha256).OfType<string>().Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var after = to.GroupBy(Key).ToDictionary(g => g.Key, g => g.Select(p => p.Sha256).OfType<string>().Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var changed = new List<string>();
        foreach (var (key, hashes) in after.OrderBy(k => k.Key, StringComparer.Ordinal))
            if (before.TryGetValue(key, out var old) && old.Count > 0 && hashes.Count > 0 && !old.SequenceEqual(hashes))
                changed.Add($"{key}: sha256 {string.Join(",", old)} -> {string.Join(",", hashes)}");
        var changedKeys = changed.Select(c => c[..c.LastIndexOf(": sha256 ", StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        var section = Section("processes", from.Where(p => !changedKeys.Contains(Key(p))).Select(Describe), to.Where(p => !changedKeys.Contains(Key(p))).Select(Describe));
        return section with { Changed = changed };
    }

    private static ProfileSectionDiff Section(string name, IEnumerable<string> from, IEnumerable<string> to)
    {
        var before = new SortedSet<string>(from, StringComparer.Ordinal);
        var after = new SortedSet<string>(to, StringComparer.Ordinal);
        return new ProfileSectionDiff(name, after.Except(before).ToList(), before.Except(after).ToList());
    }

    public static string Describe(ProcessEntry p) =>
        p.Executable + (p.Name is null ? "" : $" as name {p.Name}") + (p.Parent is null ? "" : $" (parent {p.Parent})") + (p.User is null ? "" : $" as {p.User}")
        + (p.Uid is null || p.User == p.Uid.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) ? "" : $" (uid {p.Uid})")
        + (p.Sha256 is null ? "" : $" sha256:{p.Sha256}");

    public static string Describe(FileAccessEntry f) => $"{f.Path} {(f.Access == FileAccessKind.ReadWrite ? "rw" : f.Access == FileAccessKind.Write ? "w" : "r")}";

    public static string Describe(NetworkEntry n) =>
        $"{(n.Direction == NetworkDirection.Egress ? "egress to" : "ingress from")} {n.Peer} {n.Protocol}/{n.Port}"
        + (n.DnsName is null ? "" : $" ({n.DnsName})") + (n.PeerWorkload is null ? "" : $" [{n.PeerWorkload}]");
}
