using ZeroDrift.Remediation.Images.Apt;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// Chooses what to install: for each vulnerable package, the newest version in the verified indices that is at
/// least the fixed version (as Copacetic takes the newest update); then, transitively, the newest version of
/// every Depends/Pre-Depends relation the image no longer satisfies. Nothing is removed or newly chosen beyond that.
/// </summary>
public sealed class PatchPlanner(IReadOnlyList<AptPackage> index, DpkgDatabase installed, string architecture, int maxPackages)
{
    private static readonly VersionScheme Dpkg = VersionSchemes.Debian;
    private readonly ILookup<string, AptPackage> _byName = index.ToLookup(p => p.Name, StringComparer.Ordinal);
    private readonly ILookup<string, AptPackage> _byProvides = index
        .SelectMany(p => Relations(p.Provides).Select(r => (r.Name, p))).ToLookup(x => x.Name, x => x.p, StringComparer.Ordinal);

    public (List<PlannedUpgrade> Plan, List<UnfixablePackage> Unfixable) Plan(IReadOnlyList<UpgradeRequest> requests)
    {
        var plan = new Dictionary<string, PlannedUpgrade>(StringComparer.Ordinal);
        var unfixable = new List<UnfixablePackage>();
        foreach (var group in requests.GroupBy(r => r.Name, StringComparer.Ordinal))
        {
            var request = group.First();
            // The highest fixed version over all the package's advisories: every one of them must be closed.
            var fixedIn = group.Select(r => r.FixedIn).Aggregate((a, b) => Order(a, b) >= 0 ? a : b);
            var advisories = group.SelectMany(r => r.Advisories).Distinct(StringComparer.Ordinal).ToList();
            var candidate = Newest(request.Name, request.Architecture, v => Order(v, fixedIn) >= 0 && Order(v, request.InstalledVersion) > 0);
            if (candidate is null)
            {
                unfixable.Add(new UnfixablePackage(request.Name, request.InstalledVersion, fixedIn, $"no version >= {fixedIn} in the repositories"));
                continue;
            }
            plan[request.Name] = new PlannedUpgrade(candidate, request.InstalledVersion, advisories,
                advisories.Count > 0 ? $"fixes {string.Join(", ", advisories)}" : "newer version in the repository (--all-updates)");
        }
        Close(plan, new Queue<PlannedUpgrade>(plan.Values));
        ResolveConflicts(plan);
        return (plan.Values.OrderBy(u => u.Package.Name, StringComparer.Ordinal).ToList(), unfixable);
    }

    /// <summary>
    /// <c>--all-updates</c>: every installed package the indices have a newer version of (for its architecture),
    /// as a request for that newest version with no advisory attached.
    /// </summary>
    public List<UpgradeRequest> Updates()
    {
        var updates = new List<UpgradeRequest>();
        foreach (var (name, paragraph) in installed.Installed.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (paragraph["Version"] is not { } version) continue;
            var arch = paragraph["Architecture"];
            if (Newest(name, arch, v => Order(v, version) > 0) is { } newest)
                updates.Add(new UpgradeRequest(name, version, arch, newest.Version, []));
        }
        return updates;
    }

    /// <summary>Adds, transitively, the newest version of every Depends/Pre-Depends relation the image no longer satisfies.</summary>
    private void Close(Dictionary<string, PlannedUpgrade> plan, Queue<PlannedUpgrade> queue)
    {
        while (queue.Count > 0)
        {
            var upgrade = queue.Dequeue();
            foreach (var clause in Clauses(upgrade.Package.PreDepends).Concat(Clauses(upgrade.Package.Depends)))
            {
                if (clause.Any(r => Satisfied(r, plan))) continue;
                AptPackage? chosen = null;
                foreach (var r in clause)
                {
                    chosen = Newest(r.Name, null, v => r.Allows(v));
                    if (chosen is not null) break;
                }
                if (chosen is null)
                    throw new RemediationException($"{upgrade.Package.Name} {upgrade.Package.Version}: dependency '{string.Join(" | ", clause)}' is not installed and not in the repositories");
                var from = installed.Installed.TryGetValue(chosen.Name, out var p) ? p["Version"] : null;
                var added = new PlannedUpgrade(chosen, from, [], $"needed by {upgrade.Package.Name} {upgrade.Package.Version}");
                plan[chosen.Name] = added;
                if (plan.Count > maxPackages) throw new RemediationException($"the upgrade needs more than {maxPackages} packages");
                queue.Enqueue(added);
            }
        }
    }

    /// <summary>
    /// Conflicts and Breaks between the image as it will be and the planned packages, both ways. Where the package
    /// hit is installed and not planned, and the repository has a newer version of it the relation no longer hits,
    /// that upgrade is added (as apt does for a Breaks); anything else would need a package removed, which a patch
    /// does not do: refused with one line. A Conflicts that comes with Replaces is apt's "this package replaces
    /// that one": it too would remove a package, and is refused.
    /// </summary>
    private void ResolveConflicts(Dictionary<string, PlannedUpgrade> plan)
    {
        for (var round = 0; ; round++)
        {
            if (FirstConflict(plan) is not { } hit) return;
            var (owner, kind, relation, target, targetVersion) = hit;
            var replaces = owner.Replaces is { } rp && Relations(rp).Any(r => r.Name == target && r.Allows(targetVersion));
            if (round < maxPackages && !plan.ContainsKey(target) && !(kind == "Conflicts" && replaces)
                && installed.Installed.ContainsKey(target)
                && Newest(target, null, v => !relation.Allows(v) && Order(v, targetVersion) > 0) is { } newer)
            {
                var added = new PlannedUpgrade(newer, targetVersion, [], $"{owner.Name} {owner.Version} {kind} {relation}");
                plan[target] = added;
                if (plan.Count > maxPackages) throw new RemediationException($"the upgrade needs more than {maxPackages} packages");
                Close(plan, new Queue<PlannedUpgrade>([added]));
                continue;
            }
            throw new RemediationException($"{owner.Name} {owner.Version} {kind} {relation}{(replaces ? " and Replaces it" : "")}, and {target} {targetVersion} would {(plan.ContainsKey(target) ? "be" : "stay")} installed: "
                + "resolving it needs a package removed, which a patch does not do; refused");
        }
    }

    private sealed record Conflict(Owner Owner, string Kind, Relation Relation, string Target, string TargetVersion);

    private sealed record Owner(string Name, string Version, string? Replaces);

    private Conflict? FirstConflict(Dictionary<string, PlannedUpgrade> plan)
    {
        // The image as it will be: name → (version, Provides, Conflicts, Breaks, Replaces, planned?).
        var after = new Dictionary<string, (string Version, string? Provides, string? Conflicts, string? Breaks, string? Replaces, bool Planned)>(StringComparer.Ordinal);
        foreach (var (name, p) in installed.Installed)
            if (p["Version"] is { } v) after[name] = (v, p["Provides"], p["Conflicts"], p["Breaks"], p["Replaces"], false);
        foreach (var (name, u) in plan)
            after[name] = (u.Package.Version, u.Package.Provides, u.Package.Conflicts, u.Package.Breaks, u.Package.Replaces, true);
        var providers = after.SelectMany(a => Relations(a.Value.Provides).Select(r => (Virtual: r.Name, Provider: a.Key)))
            .ToLookup(x => x.Virtual, x => x.Provider, StringComparer.Ordinal);
        foreach (var (name, state) in after.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            foreach (var (kind, field) in new[] { ("Conflicts", state.Conflicts), ("Breaks", state.Breaks) })
            {
                foreach (var r in Relations(field))
                {
                    if (r.Name != name && after.TryGetValue(r.Name, out var target) && (state.Planned || target.Planned) && r.Allows(target.Version))
                        return new Conflict(new Owner(name, state.Version, state.Replaces), kind, r, r.Name, target.Version);
                    // An unversioned relation on a virtual package hits every other package that provides it.
                    if (r.Op is not null) continue;
                    foreach (var provider in providers[r.Name])
                        if (provider != name && (state.Planned || after[provider].Planned))
                            return new Conflict(new Owner(name, state.Version, state.Replaces), kind, r, provider, after[provider].Version);
                }
            }
        }
        return null;
    }

    private AptPackage? Newest(string name, string? arch, Func<string, bool> accept) =>
        _byName[name]
            .Where(p => p.Architecture == "all" || p.Architecture == (arch is null or "all" ? architecture : arch) || (arch == "all" && p.Architecture == architecture))
            .Where(p => accept(p.Version))
            .OrderByDescending(p => p.Version, Comparer<string>.Create(Order))
            .FirstOrDefault();

    private bool Satisfied(Relation r, Dictionary<string, PlannedUpgrade> plan)
    {
        if (plan.TryGetValue(r.Name, out var planned)) return r.Allows(planned.Package.Version);
        if (installed.Installed.TryGetValue(r.Name, out var p) && p["Version"] is { } v && !plan.ContainsKey(r.Name) && r.Allows(v)) return true;
        // A virtual package: an installed or planned package that Provides it (with a version when one is asked).
        foreach (var paragraph in installed.Installed.Values.Where(x => !plan.ContainsKey(x["Package"] ?? "")))
            foreach (var provided in Relations(paragraph["Provides"]))
                if (provided.Name == r.Name && (r.Op is null || (provided.Version is not null && r.Allows(provided.Version)))) return true;
        foreach (var upgrade in plan.Values)
            foreach (var provided in Relations(upgrade.Package.Provides))
                if (provided.Name == r.Name && (r.Op is null || (provided.Version is not null && r.Allows(provided.Version)))) return true;
        return false;
    }

    internal static int Order(string a, string b) =>
        Dpkg.Compare(a, b).Order ?? throw new RemediationException($"versions '{a}' and '{b}' cannot be compared");

    /// <summary>One relation: <c>name[:arch] [(op version)] [arch list] [&lt;profiles&gt;]</c>.</summary>
    internal sealed record Relation(string Name, string? Op, string? Version)
    {
        public bool Allows(string version)
        {
            if (Op is null || Version is null) return true;
            var order = Order(version, Version);
            return Op switch
            {
                "<<" or "<" => order < 0,
                "<=" => order <= 0,
                "=" => order == 0,
                ">=" => order >= 0,
                ">>" or ">" => order > 0,
                _ => false,
            };
        }

        public override string ToString() => Op is null ? Name : $"{Name} ({Op} {Version})";
    }

    internal static IEnumerable<List<Relation>> Clauses(string? field) =>
        (field ?? "").Replace('\n', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => c.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseRelation).ToList())
            .Where(c => c.Count > 0);

    internal static IEnumerable<Relation> Relations(string? field) => Clauses(field).SelectMany(c => c);

    private static Relation ParseRelation(string text)
    {
        var s = text;
        var bracket = s.IndexOfAny(['[', '<']);
        var paren = s.IndexOf('(', StringComparison.Ordinal);
        string? op = null, version = null;
        if (paren >= 0 && (bracket < 0 || paren < bracket))
        {
            var close = s.IndexOf(')', paren);
            if (close < 0) throw new RemediationException($"unreadable dependency '{text}'");
            var inner = s[(paren + 1)..close].Trim();
            var i = 0;
            while (i < inner.Length && inner[i] is '<' or '>' or '=') i++;
            op = inner[..i];
            version = inner[i..].Trim();
            s = s[..paren];
        }
        else if (bracket >= 0) s = s[..bracket];
        var name = s.Trim();
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) name = name[..colon];
        return new Relation(name, string.IsNullOrEmpty(op) ? null : op, version);
    }
}
