using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>The Kubernetes checks over one manifest document: the Pod Security Standards for every kind with a pod
/// spec, and the workload, RBAC and Service checks beyond them.</summary>
internal static class KubernetesChecks
{
    private static readonly string[] SensitiveHostPaths =
        ["/", "/etc", "/proc", "/sys", "/root", "/home", "/boot", "/dev", "/var/run", "/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/etc/kubernetes", "/var/log"];

    private static readonly string[] RuntimeSockets =
    [
        "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock", "/var/run/cri-dockerd.sock",
        "/run/k3s/containerd/containerd.sock",
    ];

    // Directories that hold the runtime sockets: mounting them mounts the socket.
    private static readonly string[] RuntimeSocketDirectories = ["/var/run", "/run", "/var/run/docker", "/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio", "/run/podman"];

    /// <summary>Whether a document is a Kubernetes object: a mapping with apiVersion and kind strings.</summary>
    public static bool IsResource(DocNode? doc) => doc?["apiVersion"]?.Str is { Length: > 0 } && doc["kind"]?.Str is { Length: > 0 };

    /// <summary>The pod spec (and its metadata and field path) of a resource kind that has one.</summary>
    public static (DocNode Spec, DocNode? Metadata, string Path)? PodSpecOf(DocNode doc) => doc["kind"]?.Str switch
    {
        "Pod" => doc["spec"] is { } s ? (s, doc["metadata"], "spec") : null,
        "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" or "ReplicationController" =>
            doc["spec"]?["template"]?["spec"] is { } s ? (s, doc["spec"]!["template"]!["metadata"], "spec.template.spec") : null,
        "CronJob" => doc["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"] is { } s
            ? (s, doc["spec"]!["jobTemplate"]!["spec"]!["template"]!["metadata"], "spec.jobTemplate.spec.template.spec") : null,
        "PodTemplate" => doc["template"]?["spec"] is { } s ? (s, doc["template"]!["metadata"], "template.spec") : null,
        _ => null,
    };

    public static string ResourceKey(DocNode doc) =>
        $"{doc["kind"]?.Str}/{doc["metadata"]?["namespace"]?.Str ?? ""}/{doc["metadata"]?["name"]?.Str ?? ""}";

    public static IEnumerable<Issue> Check(DocNode doc, PssVersion version)
    {
        var key = ResourceKey(doc);
        var kindNode = doc["kind"]!;
        if (PodSpecOf(doc) is var (spec, metadata, path))
        {
            foreach (var v in PodSecurityStandards.Evaluate(spec, metadata, path, version).Violations)
                yield return At(v.CheckId, v.Node ?? spec, v.Message, key, v.Path) with { Pss = version, Control = new PssControl(v.CheckId, v.Control, v.Level) };
            foreach (var issue in Workload(spec, path, key)) yield return issue;
        }
        switch (kindNode.Str)
        {
            case "Role" or "ClusterRole":
                var rules = doc["rules"]?.Items ?? [];
                for (var i = 0; i < rules.Count; i++)
                {
                    foreach (var field in new[] { "verbs", "resources" })
                    {
                        foreach (var item in rules[i][field]?.Items ?? [])
                        {
                            if (item.Str == "*")
                                yield return At("ZD-K8S-027", item, $"{kindNode.Str} {doc["metadata"]?["name"]?.Str} grants {field} \"*\"", key, $"rules[{i}].{field}");
                        }
                    }
                }
                foreach (var issue in RbacPowers(doc, key)) yield return issue;
                break;
            case "RoleBinding" or "ClusterRoleBinding":
                if (doc["roleRef"]?["name"] is { Str: "cluster-admin" } roleName && doc["roleRef"]?["kind"]?.Str is null or "ClusterRole")
                    yield return At("ZD-K8S-028", roleName, $"{kindNode.Str} {doc["metadata"]?["name"]?.Str} grants cluster-admin", key, "roleRef.name");
                break;
            case "Service":
                if (doc["spec"]?["type"] is { Str: "NodePort" or "LoadBalancer" } type)
                    yield return At("ZD-K8S-029", type, $"Service {doc["metadata"]?["name"]?.Str} is of type {type.Str}", key, "spec.type");
                break;
        }
    }

    /// <summary>Why a Role or ClusterRole is broad (a wildcard, or a power that leads to more); null when it is not.</summary>
    public static string? Broad(DocNode role)
    {
        var rules = role["rules"]?.Items ?? [];
        if (rules.Any(r => (r["verbs"]?.Items ?? []).Any(v => v.Str == "*") || (r["resources"]?.Items ?? []).Any(v => v.Str == "*")))
            return "it grants \"*\"";
        return RbacPowers(role, "").Select(i => i.Message[(i.Message.IndexOf(" lets ", StringComparison.Ordinal) + 1)..]).FirstOrDefault();
    }

    /// <summary>The powers a rule hands out that lead to more (exec, secrets, pod creation in kube-system, impersonation,
    /// escalate/bind); a rule of "*" verbs on "*" resources is ZD-K8S-027's alone.</summary>
    private static IEnumerable<Issue> RbacPowers(DocNode doc, string key)
    {
        var kind = doc["kind"]!.Str;
        var name = doc["metadata"]?["name"]?.Str;
        var ns = doc["metadata"]?["namespace"]?.Str;
        var rules = doc["rules"]?.Items ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var verbs = (rule["verbs"]?.Items ?? []).Select(v => v.Str).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var resources = (rule["resources"]?.Items ?? []).Select(v => v.Str).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var groups = (rule["apiGroups"]?.Items ?? []).Select(v => v.Str ?? "").ToHashSet(StringComparer.Ordinal);
            if (verbs.Contains("*") && resources.Contains("*")) continue;
            bool Grants(string group, string resource, params string[] anyVerb) =>
                (groups.Contains("*") || groups.Contains(group)) && (resources.Contains("*") || resources.Contains(resource))
                && (verbs.Contains("*") || anyVerb.Any(verbs.Contains));
            var at = rule["verbs"] ?? rule;
            var who = $"{kind} {name}";
            if (Grants("", "pods/exec", "create", "get"))
                yield return At("ZD-K8S-030", at, $"{who} lets its subjects exec into pods", key, $"rules[{i}]");
            if (Grants("", "secrets", "get", "list", "watch"))
                yield return At("ZD-K8S-031", at, $"{who} lets its subjects read secrets", key, $"rules[{i}]");
            var creates = new[] { ("", "pods"), ("apps", "deployments"), ("apps", "daemonsets"), ("apps", "statefulsets"), ("batch", "jobs"), ("batch", "cronjobs") }
                .Where(r => Grants(r.Item1, r.Item2, "create")).Select(r => r.Item2).ToList();
            if (creates.Count > 0 && (kind == "ClusterRole" || ns == "kube-system"))
                yield return At("ZD-K8S-032", at, $"{who} lets its subjects create {string.Join(", ", creates)} {(kind == "ClusterRole" ? "in any namespace it is bound for, kube-system included" : "in kube-system")}", key, $"rules[{i}]");
            if (new[] { "users", "groups", "serviceaccounts", "userextras", "uids" }.Any(r => Grants("", r, "impersonate") || Grants("authentication.k8s.io", r, "impersonate")))
                yield return At("ZD-K8S-033", at, $"{who} lets its subjects impersonate other users, groups or service accounts", key, $"rules[{i}]");
            if (new[] { "roles", "clusterroles" }.Any(r => Grants("rbac.authorization.k8s.io", r, "escalate", "bind")))
                yield return At("ZD-K8S-034", at, $"{who} lets its subjects escalate or bind roles (grant permissions they do not hold)", key, $"rules[{i}]");
        }
    }

    private static IEnumerable<Issue> Workload(DocNode spec, string path, string key)
    {
        foreach (var (c, cpath) in PodSecurityStandards.Containers(spec, path))
        {
            var name = PodSecurityStandards.Name(c);
            if (!cpath.Contains(".ephemeralContainers[", StringComparison.Ordinal))
            {
                var limits = c["resources"]?["limits"];
                var missing = new[] { "cpu", "memory" }.Where(r => limits?[r] is null).ToList();
                if (missing.Count > 0)
                    yield return At("ZD-K8S-020", limits ?? c["resources"] ?? c, $"container {name} has no {string.Join(" or ", missing)} limit", key, $"{cpath}.resources.limits");
            }

            if (c["image"] is { } image && ImageReference.TagProblem(image.Str ?? "") is { } problem)
                yield return At("ZD-K8S-021", image, $"container {name} uses image {image.Str} ({problem})", key, $"{cpath}.image");

            var ro = c["securityContext"]?["readOnlyRootFilesystem"];
            if (ro?.Bool != true)
                yield return At("ZD-K8S-022", ro ?? c, $"container {name} has a writable root file system", key, $"{cpath}.securityContext.readOnlyRootFilesystem");

            var env = c["env"]?.Items ?? [];
            for (var i = 0; i < env.Count; i++)
            {
                if (env[i]["name"]?.Str is { } envName && SecretNames.LooksSecret(envName) && env[i]["value"] is { } value && SecretNames.IsLiteral(value.Str))
                    yield return At("ZD-K8S-024", value, $"container {name} sets {envName} to a literal value", key, $"{cpath}.env[{i}].value");
            }
        }

        var automount = spec["automountServiceAccountToken"];
        if (automount?.Bool != false)
            yield return At("ZD-K8S-023", automount ?? spec, "the service account token is mounted into the pod (automountServiceAccountToken is not false)", key, $"{path}.automountServiceAccountToken");

        var volumes = spec["volumes"]?.Items ?? [];
        for (var i = 0; i < volumes.Count; i++)
        {
            if (volumes[i]["hostPath"]?["path"] is not { Str: { } hostPath } pathNode) continue;
            var normalized = NormalizePath(hostPath);
            if (SensitiveHostPaths.Contains(normalized))
                yield return At("ZD-K8S-025", pathNode, $"volume {PodSecurityStandards.Name(volumes[i])} mounts the node's {normalized}", key, $"{path}.volumes[{i}].hostPath.path");
            if (RuntimeSockets.Contains(normalized) || RuntimeSocketDirectories.Contains(normalized))
                yield return At("ZD-K8S-026", pathNode, $"volume {PodSecurityStandards.Name(volumes[i])} mounts the container runtime socket ({normalized})", key, $"{path}.volumes[{i}].hostPath.path");
        }
    }

    internal static string NormalizePath(string path)
    {
        var p = path.Trim();
        while (p.Contains("//", StringComparison.Ordinal)) p = p.Replace("//", "/", StringComparison.Ordinal);
        return p.Length > 1 ? p.TrimEnd('/') : p;
    }

    private static Issue At(string checkId, DocNode node, string message, string key, string path) =>
        new(checkId, node.Start?.Line ?? 0, node.Start?.Column ?? 0, message, $"{key}:{path}");
}

/// <summary>Reading image references: whether the tag pins anything.</summary>
public static class ImageReference
{
    /// <summary>"no tag" or "tag latest" when the reference does not pin a version; null when it does (a tag or a digest).</summary>
    public static string? TagProblem(string image)
    {
        if (image.Length == 0 || image.Contains('@', StringComparison.Ordinal)) return null; // a digest pins the content
        // A build argument or a template placeholder: its value is not known here.
        if (image.StartsWith('$') || image.Contains("{{", StringComparison.Ordinal)) return null;
        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        if (colon < 0) return "no tag, so latest";
        return image[(colon + 1)..] == "latest" ? "tag latest" : null;
    }
}
