using System.Collections.Concurrent;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>
/// What the manifests of one target say about the cluster as a whole, gathered document by document (only the facts
/// needed, never the trees) and judged once all files are read: which service accounts hold broad roles through
/// which bindings, and which pods a NetworkPolicy selects. These findings need several documents, often in several
/// files (a chart's templates), so they cannot be decided one document at a time.
/// </summary>
internal sealed class ClusterModel
{
    private sealed record Workload(string File, int Line, string Key, string Namespace, string Kind, string Name, IReadOnlyDictionary<string, string> Labels, string ServiceAccount, bool? Automount);
    private sealed record Account(string Namespace, string Name, bool? Automount);
    private sealed record Role(string Kind, string Namespace, string Name, string Why);
    private sealed record Binding(string Kind, string Namespace, string Name, string RoleKind, string RoleName, IReadOnlyList<(string Namespace, string Name)> Accounts);
    private sealed record Policy(string Namespace, DocNode? Selector);

    private readonly ConcurrentBag<Workload> _workloads = [];
    private readonly ConcurrentBag<Account> _accounts = [];
    private readonly ConcurrentBag<Role> _roles = [];
    private readonly ConcurrentBag<Binding> _bindings = [];
    private readonly ConcurrentBag<Policy> _policies = [];

    /// <summary>Built-in ClusterRoles that are broad by definition.</summary>
    private static readonly Dictionary<string, string> BroadBuiltIns = new(StringComparer.Ordinal)
    {
        ["cluster-admin"] = "cluster-admin", ["admin"] = "admin (read secrets, exec, create workloads)", ["edit"] = "edit (read secrets, exec, create workloads)",
    };

    public bool IsEmpty => _workloads.IsEmpty;

    public void Add(string file, DocNode doc)
    {
        var kind = doc["kind"]?.Str ?? "";
        var ns = doc["metadata"]?["namespace"]?.Str ?? "default";
        var name = doc["metadata"]?["name"]?.Str ?? "";
        switch (kind)
        {
            case "ServiceAccount":
                _accounts.Add(new Account(ns, name, doc["automountServiceAccountToken"]?.Bool));
                return;
            case "Role" or "ClusterRole":
                if (KubernetesChecks.Broad(doc) is { } why) _roles.Add(new Role(kind, kind == "Role" ? ns : "", name, why));
                return;
            case "RoleBinding" or "ClusterRoleBinding":
                var accounts = (doc["subjects"]?.Items ?? []).Where(s => s["kind"]?.Str == "ServiceAccount" && s["name"]?.Str is not null)
                    .Select(s => (s["namespace"]?.Str ?? ns, s["name"]!.Str!)).ToList();
                if (accounts.Count > 0 && doc["roleRef"]?["name"]?.Str is { } roleName)
                    _bindings.Add(new Binding(kind, ns, name, doc["roleRef"]?["kind"]?.Str ?? "ClusterRole", roleName, accounts));
                return;
            case "NetworkPolicy":
                _policies.Add(new Policy(ns, doc["spec"]?["podSelector"]));
                return;
        }
        if (KubernetesChecks.PodSpecOf(doc) is not var (spec, metadata, _)) return;
        var labels = (metadata?["labels"]?.Entries ?? []).Where(e => e.Value.Str is not null).ToDictionary(e => e.Key, e => e.Value.Str!, StringComparer.Ordinal);
        var account = spec["serviceAccountName"]?.Str ?? spec["serviceAccount"]?.Str ?? "default";
        _workloads.Add(new Workload(file, doc["kind"]!.Start?.Line ?? 0, KubernetesChecks.ResourceKey(doc), ns, kind, name, labels, account, spec["automountServiceAccountToken"]?.Bool));
    }

    /// <summary>The findings of the whole target: ZD-K8S-035 (a pod's automounted token carries a broad role), then
    /// ZD-K8S-036 (namespaces whose pods no NetworkPolicy of the target selects).</summary>
    public IEnumerable<(string File, Issue Issue)> Judge() => Tokens().Concat(UnselectedNamespaces());

    private IEnumerable<(string File, Issue Issue)> Tokens()
    {
        var accounts = _accounts.GroupBy(a => (a.Namespace, a.Name)).ToDictionary(g => g.Key, g => g.First());
        var roles = _roles.ToList();
        foreach (var w in _workloads.OrderBy(w => w.File, StringComparer.Ordinal).ThenBy(w => w.Line))
        {
            // The pod's own setting wins over the service account's, as the kubelet decides.
            var automount = w.Automount ?? (accounts.TryGetValue((w.Namespace, w.ServiceAccount), out var sa) ? sa.Automount : null) ?? true;
            if (automount)
            {
                foreach (var b in _bindings.Where(b => b.Accounts.Contains((w.Namespace, w.ServiceAccount))))
                {
                    if (b.Kind == "RoleBinding" && b.Namespace != w.Namespace) continue;
                    var why = b.RoleKind == "ClusterRole" && BroadBuiltIns.TryGetValue(b.RoleName, out var builtIn) ? builtIn
                        : roles.FirstOrDefault(r => r.Name == b.RoleName && r.Kind == b.RoleKind && (r.Kind == "ClusterRole" || r.Namespace == b.Namespace))?.Why;
                    if (why is null) continue;
                    yield return (w.File, new Issue("ZD-K8S-035", w.Line, 1,
                        $"{w.Kind} {w.Name} mounts the token of service account {w.Namespace}/{w.ServiceAccount}, which {b.Kind} {b.Name} binds to {b.RoleKind} {b.RoleName}: {why}",
                        $"{w.Key}:serviceAccount"));
                    break;
                }
            }
        }
    }

    /// <summary>ZD-K8S-036, once per namespace (the finding is the namespace's, not each pod's): at the first workload
    /// of the namespace that no NetworkPolicy of the target selects, naming how many there are.</summary>
    public IEnumerable<(string File, Issue Issue)> UnselectedNamespaces()
    {
        foreach (var group in _workloads.Where(w => !_policies.Any(p => p.Namespace == w.Namespace && Selects(p.Selector, w.Labels)))
            .GroupBy(w => w.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var list = group.OrderBy(w => w.File, StringComparer.Ordinal).ThenBy(w => w.Line).ToList();
            var names = string.Join(", ", list.Take(5).Select(w => $"{w.Kind} {w.Name}")) + (list.Count > 5 ? $" and {list.Count - 5} more" : "");
            yield return (list[0].File, new Issue("ZD-K8S-036", list[0].Line, 1,
                $"namespace {group.Key}: no NetworkPolicy selects the pods of {names}, so they accept traffic from anywhere", $"Namespace//{group.Key}:networkPolicy"));
        }
    }

    /// <summary>A label selector as Kubernetes matches it; an empty (or absent) podSelector selects every pod.</summary>
    private static bool Selects(DocNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in selector?["matchLabels"]?.Entries ?? [])
            if (!labels.TryGetValue(k, out var actual) || actual != v.Str) return false;
        foreach (var e in selector?["matchExpressions"]?.Items ?? [])
        {
            var key = e["key"]?.Str ?? "";
            var values = (e["values"]?.Items ?? []).Select(x => x.Str).ToList();
            var has = labels.TryGetValue(key, out var value);
            var ok = e["operator"]?.Str switch
            {
                "In" => has && values.Contains(value),
                "NotIn" => !has || !values.Contains(value),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
