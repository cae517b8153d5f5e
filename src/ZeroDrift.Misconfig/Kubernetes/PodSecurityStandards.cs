using System.Text.Json;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>One broken control: which (its rule id, control name and level), where (a JSON-path-like field path and the node).</summary>
public sealed record PssViolation(string CheckId, string Control, PssLevel Level, string Message, string Path, DocNode? Node);

/// <summary>The most restrictive level a pod meets, and every control it breaks.</summary>
public sealed record PssResult(PssLevel Level, IReadOnlyList<PssViolation> Violations)
{
    public bool Meets(PssLevel level) => Level >= level;
}

/// <summary>
/// Evaluates a pod spec against every control of the Kubernetes Pod Security Standards (baseline and restricted) at a
/// policy version, as Kubernetes' pod-security-admission judges it at that version (<see cref="PssVersion"/> holds what
/// changed when). Works over <see cref="DocNode"/> trees, so the same code judges manifests from YAML files (violations
/// carry line and column) and AdmissionReview pods from JSON. Each broken control is reported once, at the lowest level
/// that forbids it: a restricted check that replaces a baseline one in Kubernetes (seccomp, capabilities, volume types,
/// procMount) adds only what the baseline one lets through.
/// </summary>
public static class PodSecurityStandards
{
    private static readonly HashSet<string> BaselineCapabilities =
    [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ];

    // check_restrictedVolumes.go: `image` was added to the v1.0 check in place (Kubernetes 1.33), so every version allows it.
    private static readonly HashSet<string> RestrictedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    private const string AppArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";
    private const string SeccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";
    private const string SeccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/";

    /// <summary>Judges a pod spec (<c>spec</c> of a Pod, <c>spec.template.spec</c> of a workload) and its metadata (for the
    /// AppArmor and seccomp annotations) at a policy version (default <see cref="PssVersion.Newest"/>).</summary>
    /// <param name="pathPrefix">Prepended to violation paths, e.g. <c>spec.template.spec</c>.</param>
    public static PssResult Evaluate(DocNode podSpec, DocNode? podMetadata = null, string pathPrefix = "spec", PssVersion? version = null)
    {
        var pod = new Pod(podSpec, podMetadata, pathPrefix, version ?? PssVersion.Newest);
        Baseline(pod);
        Restricted(pod);
        var v = pod.Violations;
        var level = v.Any(x => x.Level == PssLevel.Baseline) ? PssLevel.Privileged : v.Count > 0 ? PssLevel.Baseline : PssLevel.Restricted;
        return new PssResult(level, v);
    }

    /// <summary>Judges a pod spec given as JSON (an AdmissionReview's <c>request.object.spec</c>).</summary>
    public static PssResult Evaluate(JsonElement podSpec, JsonElement? podMetadata = null, PssVersion? version = null) =>
        Evaluate(YamlDocuments.FromJson(podSpec), podMetadata is { } m ? YamlDocuments.FromJson(m) : null, version: version);

    /// <summary>Every container of a pod spec with its field path.</summary>
    internal static IEnumerable<(DocNode Container, string Path)> Containers(DocNode podSpec, string pathPrefix)
    {
        foreach (var list in ContainerLists)
        {
            var items = podSpec[list]?.Items ?? [];
            for (var i = 0; i < items.Count; i++) yield return (items[i], $"{pathPrefix}.{list}[{i}]");
        }
    }

    internal static string Name(DocNode n) => n["name"]?.Str is { } s ? $"\"{s}\"" : "(unnamed)";

    private static void Baseline(Pod pod)
    {
        var (spec, prefix, version) = (pod.Spec, pod.Prefix, pod.Version);
        pod.Flag("ZD-K8S-001", pod.Sc?["windowsOptions"]?["hostProcess"], $"{prefix}.securityContext.windowsOptions.hostProcess",
            n => n.Bool == true, "the pod runs Windows HostProcess containers");
        foreach (var (c, path) in pod.Containers)
            pod.Flag("ZD-K8S-001", c["securityContext"]?["windowsOptions"]?["hostProcess"], $"{path}.securityContext.windowsOptions.hostProcess",
                n => n.Bool == true, $"container {Name(c)} is a Windows HostProcess container");

        foreach (var ns in new[] { "hostNetwork", "hostPID", "hostIPC" })
            pod.Flag("ZD-K8S-002", spec[ns], $"{prefix}.{ns}", n => n.Bool == true, $"the pod shares the host's namespace ({ns}: true)");

        foreach (var (c, path) in pod.Containers)
        {
            var sc = c["securityContext"];
            pod.Flag("ZD-K8S-003", sc?["privileged"], $"{path}.securityContext.privileged", n => n.Bool == true, $"container {Name(c)} is privileged");
            foreach (var cap in sc?["capabilities"]?["add"]?.Items ?? [])
                pod.Flag("ZD-K8S-004", cap, $"{path}.securityContext.capabilities.add",
                    n => !BaselineCapabilities.Contains(n.Str ?? ""), $"container {Name(c)} adds capability {cap.Str} beyond the baseline set");
        }

        for (var i = 0; i < pod.Volumes.Count; i++)
            pod.Flag("ZD-K8S-005", Set(pod.Volumes[i]["hostPath"]), $"{prefix}.volumes[{i}].hostPath",
                _ => true, $"volume {Name(pod.Volumes[i])} mounts a host path ({pod.Volumes[i]["hostPath"]?["path"]?.Str})");

        foreach (var (c, path) in pod.Containers)
        {
            var ports = c["ports"]?.Items ?? [];
            for (var i = 0; i < ports.Count; i++)
                pod.Flag("ZD-K8S-006", ports[i]["hostPort"], $"{path}.ports[{i}].hostPort", n => n.Int is not 0, $"container {Name(c)} binds host port {ports[i]["hostPort"]?.Str}");
        }

        AppArmor(pod, pod.Sc, $"{prefix}.securityContext", "the pod");
        foreach (var (c, path) in pod.Containers) AppArmor(pod, c["securityContext"], $"{path}.securityContext", $"container {Name(c)}");
        foreach (var (key, value) in pod.Annotations)
        {
            if (!key.StartsWith(AppArmorAnnotationPrefix, StringComparison.Ordinal)) continue;
            pod.Flag("ZD-K8S-007", value, $"metadata.annotations['{key}']",
                n => n.Str is { Length: > 0 } s && s != "runtime/default" && !s.StartsWith("localhost/", StringComparison.Ordinal),
                $"annotation {key} sets AppArmor profile {value.Str}");
        }

        SeLinux(pod, pod.Sc, $"{prefix}.securityContext", "the pod");
        foreach (var (c, path) in pod.Containers) SeLinux(pod, c["securityContext"], $"{path}.securityContext", $"container {Name(c)}");

        // From v1.35 a pod in its own user namespace may unmask /proc under the baseline; the restricted profile keeps the
        // ban (PssControls.UserNamespaceProcMount), as Kubernetes' procMount_restricted check does there.
        var userNamespace = version.RelaxesUserNamespacePods && spec["hostUsers"]?.Bool == false;
        foreach (var (c, path) in pod.Containers)
        {
            var procMount = c["securityContext"]?["procMount"];
            if (procMount?.Str is not { } type || type == "Default") continue;
            if (userNamespace)
                pod.Add(PssControls.UserNamespaceProcMount, $"container {Name(c)} unmasks /proc (procMount: {type}); allowed with hostUsers: false, but not in the restricted profile",
                    $"{path}.securityContext.procMount", procMount);
            else pod.Add("ZD-K8S-009", $"container {Name(c)} unmasks /proc (procMount: {type})", $"{path}.securityContext.procMount", procMount);
        }

        if (version.SeccompFromFields) SeccompFields(pod);
        else SeccompAnnotations(pod);

        var sysctls = pod.Sc?["sysctls"]?.Items ?? [];
        for (var i = 0; i < sysctls.Count; i++)
            pod.Flag("ZD-K8S-011", sysctls[i]["name"], $"{prefix}.securityContext.sysctls[{i}].name",
                n => !version.SafeSysctls.Contains(n.Str ?? ""), $"sysctl {sysctls[i]["name"]?.Str} is outside the safe set of policy {version}");

        if (!version.ChecksProbeHosts) return;
        foreach (var (c, path) in pod.Containers)
        {
            foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
                HostField(pod, c[probe], $"{path}.{probe}", $"container {Name(c)} {probe}");
            foreach (var hook in new[] { "postStart", "preStop" })
                HostField(pod, c["lifecycle"]?[hook], $"{path}.lifecycle.{hook}", $"container {Name(c)} {hook} hook");
        }
    }

    private static void Restricted(Pod pod)
    {
        var (spec, prefix, version) = (pod.Spec, pod.Prefix, pod.Version);
        for (var i = 0; i < pod.Volumes.Count; i++)
        {
            var sources = pod.Volumes[i].Entries.Where(e => e.Key != "name" && Set(e.Value) is not null).ToList();
            // hostPath is already a baseline violation; a volume of an allowed type is fine whatever else it holds, as in Kubernetes.
            if (sources.Any(e => e.Key == "hostPath" || RestrictedVolumeTypes.Contains(e.Key))) continue;
            foreach (var (key, node) in sources)
                pod.Add("ZD-K8S-013", $"volume {Name(pod.Volumes[i])} is of type {key}, not one of the restricted profile's", $"{prefix}.volumes[{i}].{key}", node);
        }

        var exempt = version.ExemptsWindowsPods && spec["os"]?["name"]?.Str == "windows";
        if (version.ChecksPrivilegeEscalation && !exempt)
        {
            foreach (var (c, path) in pod.Containers)
            {
                var ape = c["securityContext"]?["allowPrivilegeEscalation"];
                if (ape?.Bool != false)
                    pod.Add("ZD-K8S-014", $"container {Name(c)} does not set allowPrivilegeEscalation: false", $"{path}.securityContext.allowPrivilegeEscalation", ape ?? c);
            }
        }

        // From v1.35 a pod in its own user namespace runs as root only inside it: Kubernetes no longer asks it for these two.
        var userNamespace = version.RelaxesUserNamespacePods && spec["hostUsers"]?.Bool == false;
        if (!userNamespace) RunAsNonRoot(pod);
        if (!userNamespace && version.ChecksRunAsUser)
        {
            pod.Flag("ZD-K8S-016", pod.Sc?["runAsUser"], $"{prefix}.securityContext.runAsUser", n => n.Int == 0, "the pod runs as user 0 (root)");
            foreach (var (c, path) in pod.Containers)
                pod.Flag("ZD-K8S-016", c["securityContext"]?["runAsUser"], $"{path}.securityContext.runAsUser", n => n.Int == 0, $"container {Name(c)} runs as user 0 (root)");
        }

        if (version.ChecksRestrictedSeccomp && !exempt)
        {
            var podSet = Set(pod.Sc?["seccompProfile"]) is not null;
            var podValid = ValidSeccompType(pod.Sc?["seccompProfile"]?["type"]);
            foreach (var (c, path) in pod.Containers)
            {
                // A container's own profile is judged by the baseline check (ZD-K8S-010): only one left unset is added here.
                var own = Set(c["securityContext"]?["seccompProfile"]);
                if (own is null && !podValid)
                    pod.Add("ZD-K8S-017", podSet
                            ? $"container {Name(c)} has no seccomp profile and the pod's is not RuntimeDefault or Localhost"
                            : $"container {Name(c)} has no RuntimeDefault or Localhost seccomp profile (set it for the pod or the container)",
                        $"{path}.securityContext.seccompProfile.type", c);
            }
        }

        if (version.ChecksRestrictedCapabilities && !exempt)
        {
            foreach (var (c, path) in pod.Containers)
            {
                var caps = c["securityContext"]?["capabilities"];
                var drop = caps?["drop"];
                if (!(drop?.Items ?? []).Any(d => d.Str == "ALL"))
                    pod.Add("ZD-K8S-018", $"container {Name(c)} does not drop ALL capabilities", $"{path}.securityContext.capabilities.drop", drop ?? caps ?? c);
                foreach (var add in caps?["add"]?.Items ?? [])
                {
                    if (add.Str != "NET_BIND_SERVICE")
                        pod.Add("ZD-K8S-018", $"container {Name(c)} adds {add.Str}; only NET_BIND_SERVICE may be added", $"{path}.securityContext.capabilities.add", add);
                }
            }
        }
    }

    private static void RunAsNonRoot(Pod pod)
    {
        var podNonRoot = pod.Sc?["runAsNonRoot"]?.Bool;
        if (podNonRoot == false)
            pod.Add("ZD-K8S-015", "the pod sets runAsNonRoot: false", $"{pod.Prefix}.securityContext.runAsNonRoot", pod.Sc!["runAsNonRoot"]!);
        foreach (var (c, path) in pod.Containers)
        {
            var own = c["securityContext"]?["runAsNonRoot"];
            if (own?.Bool == false || (own?.Bool != true && podNonRoot != true))
                pod.Add("ZD-K8S-015",
                    own?.Bool == false ? $"container {Name(c)} sets runAsNonRoot: false" : $"container {Name(c)} may run as root (runAsNonRoot is not true for the pod or the container)",
                    $"{path}.securityContext.runAsNonRoot", own ?? c);
        }
    }

    /// <summary>v1.19 and later: a seccompProfile that is set must be RuntimeDefault or Localhost (an unknown or missing
    /// type is as bad as Unconfined: Kubernetes allows exactly those two).</summary>
    private static void SeccompFields(Pod pod)
    {
        Seccomp(pod, pod.Sc, $"{pod.Prefix}.securityContext", "the pod");
        foreach (var (c, path) in pod.Containers) Seccomp(pod, c["securityContext"], $"{path}.securityContext", $"container {Name(c)}");
    }

    private static void Seccomp(Pod pod, DocNode? sc, string path, string who)
    {
        if (Set(sc?["seccompProfile"]) is not { } profile) return;
        var type = profile["type"];
        if (ValidSeccompType(type)) return;
        pod.Add("ZD-K8S-010", type?.Str == "Unconfined" ? $"{who} runs without seccomp (Unconfined)" : $"{who} sets seccomp profile type {type?.Str ?? "(none)"}, not RuntimeDefault or Localhost",
            $"{path}.seccompProfile.type", type ?? profile);
    }

    private static bool ValidSeccompType(DocNode? type) => type?.Str is "RuntimeDefault" or "Localhost";

    /// <summary>Before v1.19: the alpha annotations for the pod and for each of its containers by name.</summary>
    private static void SeccompAnnotations(Pod pod)
    {
        var names = pod.Containers.Select(c => c.Container["name"]?.Str).OfType<string>().Select(n => SeccompContainerAnnotationPrefix + n).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in pod.Annotations)
        {
            if (key != SeccompPodAnnotation && !names.Contains(key)) continue;
            pod.Flag("ZD-K8S-010", value, $"metadata.annotations['{key}']",
                n => n.Str is not ("runtime/default" or "docker/default") && n.Str?.StartsWith("localhost/", StringComparison.Ordinal) != true,
                $"annotation {key} sets seccomp profile {value.Str}");
        }
    }

    private static void AppArmor(Pod pod, DocNode? sc, string path, string who)
    {
        if (Set(sc?["appArmorProfile"]) is not { } profile) return;
        var type = profile["type"];
        if (type?.Str is "RuntimeDefault" or "Localhost") return;
        pod.Add("ZD-K8S-007", $"{who} sets AppArmor profile type {type?.Str ?? "(none)"}", $"{path}.appArmorProfile.type", type ?? profile);
    }

    private static void SeLinux(Pod pod, DocNode? sc, string path, string who)
    {
        if (Set(sc?["seLinuxOptions"]) is not { } se) return;
        var type = se["type"];
        if (!pod.Version.SeLinuxTypes.Contains(type?.Str ?? ""))
            pod.Add("ZD-K8S-008", $"{who} sets SELinux type {type?.Str}", $"{path}.seLinuxOptions.type", type ?? se);
        foreach (var field in new[] { "user", "role" })
            pod.Flag("ZD-K8S-008", se[field], $"{path}.seLinuxOptions.{field}", n => !string.IsNullOrEmpty(n.Str), $"{who} sets a custom SELinux {field} ({se[field]?.Str})");
    }

    private static void HostField(Pod pod, DocNode? handler, string path, string who)
    {
        foreach (var kind in new[] { "httpGet", "tcpSocket" })
            pod.Flag("ZD-K8S-012", handler?[kind]?["host"], $"{path}.{kind}.host", n => !string.IsNullOrEmpty(n.Str), $"{who} targets host {handler?[kind]?["host"]?.Str}");
    }

    /// <summary>The node, unless absent or an explicit null (which Kubernetes' decoder reads as unset).</summary>
    private static DocNode? Set(DocNode? node) => node is null or ScalarNode { Type: ScalarType.Null } ? null : node;

    /// <summary>One pod being judged: its parts as the checks read them, the version, and the violations found so far.</summary>
    private sealed class Pod(DocNode spec, DocNode? metadata, string prefix, PssVersion version)
    {
        public DocNode Spec { get; } = spec;
        public string Prefix { get; } = prefix;
        public PssVersion Version { get; } = version;
        public DocNode? Sc { get; } = spec["securityContext"];
        public List<(DocNode Container, string Path)> Containers { get; } = [.. PodSecurityStandards.Containers(spec, prefix)];
        public IReadOnlyList<DocNode> Volumes { get; } = spec["volumes"]?.Items ?? [];
        public List<KeyValuePair<string, DocNode>> Annotations { get; } = [.. metadata?["annotations"]?.Entries ?? []];
        public List<PssViolation> Violations { get; } = [];

        public void Add(string ruleId, string message, string path, DocNode node) => Add(PssControls.Of(ruleId)!, message, path, node);

        public void Add(PssControl control, string message, string path, DocNode node) =>
            Violations.Add(new(control.RuleId, control.Name, control.Level, message, path, node));

        public void Flag(string ruleId, DocNode? node, string path, Func<DocNode, bool> bad, string message)
        {
            if (node is not null && bad(node)) Add(ruleId, message, path, node);
        }
    }
}
