using System.Text.Json;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>The Pod Security Standards profiles, from the most permissive to the most restrictive.</summary>
public enum PssLevel
{
    Privileged,
    Baseline,
    Restricted,
}

/// <summary>One broken control: which (its check id and name), at which level, where (a JSON-path-like field path and the node).</summary>
public sealed record PssViolation(string CheckId, string Control, PssLevel Level, string Message, string Path, DocNode? Node);

/// <summary>The most restrictive level a pod meets, and every control it breaks.</summary>
public sealed record PssResult(PssLevel Level, IReadOnlyList<PssViolation> Violations)
{
    public bool Meets(PssLevel level) => Level >= level;
}

/// <summary>
/// Evaluates a pod spec against every control of the Kubernetes Pod Security Standards (baseline and restricted,
/// as the Kubernetes documentation defines them for v1.34). Works over <see cref="DocNode"/> trees, so the same code
/// judges manifests from YAML files (violations carry line and column) and AdmissionReview pods from JSON.
/// </summary>
public static class PodSecurityStandards
{
    private static readonly HashSet<string> BaselineCapabilities =
    [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ];

    private static readonly HashSet<string> SafeSysctls =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    ];

    private static readonly HashSet<string> SeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    private static readonly HashSet<string> RestrictedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    /// <summary>Judges a pod spec (<c>spec</c> of a Pod, <c>spec.template.spec</c> of a workload) and its metadata (for the AppArmor annotations).</summary>
    /// <param name="pathPrefix">Prepended to violation paths, e.g. <c>spec.template.spec</c>.</param>
    public static PssResult Evaluate(DocNode podSpec, DocNode? podMetadata = null, string pathPrefix = "spec")
    {
        var v = new List<PssViolation>();
        var windows = podSpec["os"]?["name"]?.Str == "windows";
        var podSc = podSpec["securityContext"];
        var containers = Containers(podSpec, pathPrefix).ToList();

        // ---- Baseline ----
        Check(v, "ZD-K8S-001", "HostProcess", PssLevel.Baseline, podSc?["windowsOptions"]?["hostProcess"], $"{pathPrefix}.securityContext.windowsOptions.hostProcess",
            n => n.Bool == true, "the pod runs Windows HostProcess containers");
        foreach (var (c, path) in containers)
            Check(v, "ZD-K8S-001", "HostProcess", PssLevel.Baseline, c["securityContext"]?["windowsOptions"]?["hostProcess"], $"{path}.securityContext.windowsOptions.hostProcess",
                n => n.Bool == true, $"container {Name(c)} is a Windows HostProcess container");

        foreach (var ns in new[] { "hostNetwork", "hostPID", "hostIPC" })
            Check(v, "ZD-K8S-002", "Host Namespaces", PssLevel.Baseline, podSpec[ns], $"{pathPrefix}.{ns}", n => n.Bool == true, $"the pod shares the host's namespace ({ns}: true)");

        foreach (var (c, path) in containers)
        {
            var sc = c["securityContext"];
            Check(v, "ZD-K8S-003", "Privileged Containers", PssLevel.Baseline, sc?["privileged"], $"{path}.securityContext.privileged",
                n => n.Bool == true, $"container {Name(c)} is privileged");
            foreach (var cap in sc?["capabilities"]?["add"]?.Items ?? [])
                Check(v, "ZD-K8S-004", "Capabilities", PssLevel.Baseline, cap, $"{path}.securityContext.capabilities.add",
                    n => !BaselineCapabilities.Contains(n.Str ?? ""), $"container {Name(c)} adds capability {cap.Str} beyond the baseline set");
        }

        var volumes = podSpec["volumes"]?.Items ?? [];
        for (var i = 0; i < volumes.Count; i++)
            Check(v, "ZD-K8S-005", "HostPath Volumes", PssLevel.Baseline, volumes[i]["hostPath"], $"{pathPrefix}.volumes[{i}].hostPath",
                _ => true, $"volume {Name(volumes[i])} mounts a host path ({volumes[i]["hostPath"]?["path"]?.Str})");

        foreach (var (c, path) in containers)
        {
            var ports = c["ports"]?.Items ?? [];
            for (var i = 0; i < ports.Count; i++)
                Check(v, "ZD-K8S-006", "Host Ports", PssLevel.Baseline, ports[i]["hostPort"], $"{path}.ports[{i}].hostPort",
                    n => n.Int is not 0, $"container {Name(c)} binds host port {ports[i]["hostPort"]?.Str}");
        }

        AppArmor(v, podSc, $"{pathPrefix}.securityContext", "the pod");
        foreach (var (c, path) in containers) AppArmor(v, c["securityContext"], $"{path}.securityContext", $"container {Name(c)}");
        foreach (var (key, value) in podMetadata?["annotations"]?.Entries ?? [])
        {
            if (!key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal)) continue;
            Check(v, "ZD-K8S-007", "AppArmor", PssLevel.Baseline, value, $"metadata.annotations['{key}']",
                n => n.Str is { Length: > 0 } s && s != "runtime/default" && !s.StartsWith("localhost/", StringComparison.Ordinal),
                $"annotation {key} sets AppArmor profile {value.Str}");
        }

        SeLinux(v, podSc, $"{pathPrefix}.securityContext", "the pod");
        foreach (var (c, path) in containers) SeLinux(v, c["securityContext"], $"{path}.securityContext", $"container {Name(c)}");

        foreach (var (c, path) in containers)
            Check(v, "ZD-K8S-009", "/proc Mount Type", PssLevel.Baseline, c["securityContext"]?["procMount"], $"{path}.securityContext.procMount",
                n => n.Str is { } s && s != "Default", $"container {Name(c)} unmasks /proc (procMount: {c["securityContext"]?["procMount"]?.Str})");

        Check(v, "ZD-K8S-010", "Seccomp", PssLevel.Baseline, podSc?["seccompProfile"]?["type"], $"{pathPrefix}.securityContext.seccompProfile.type",
            n => n.Str == "Unconfined", "the pod runs without seccomp (Unconfined)");
        foreach (var (c, path) in containers)
            Check(v, "ZD-K8S-010", "Seccomp", PssLevel.Baseline, c["securityContext"]?["seccompProfile"]?["type"], $"{path}.securityContext.seccompProfile.type",
                n => n.Str == "Unconfined", $"container {Name(c)} runs without seccomp (Unconfined)");

        var sysctls = podSc?["sysctls"]?.Items ?? [];
        for (var i = 0; i < sysctls.Count; i++)
            Check(v, "ZD-K8S-011", "Sysctls", PssLevel.Baseline, sysctls[i]["name"], $"{pathPrefix}.securityContext.sysctls[{i}].name",
                n => !SafeSysctls.Contains(n.Str ?? ""), $"sysctl {sysctls[i]["name"]?.Str} is outside the safe set");

        foreach (var (c, path) in containers)
        {
            foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
                HostField(v, c[probe], $"{path}.{probe}", $"container {Name(c)} {probe}");
            foreach (var hook in new[] { "postStart", "preStop" })
                HostField(v, c["lifecycle"]?[hook], $"{path}.lifecycle.{hook}", $"container {Name(c)} {hook} hook");
        }

        // ---- Restricted ----
        for (var i = 0; i < volumes.Count; i++)
        {
            foreach (var (key, node) in volumes[i].Entries)
            {
                if (key is "name" or "hostPath" || RestrictedVolumeTypes.Contains(key)) continue; // hostPath is already a baseline violation
                v.Add(new("ZD-K8S-013", "Volume Types", PssLevel.Restricted, $"volume {Name(volumes[i])} is of type {key}, not one of the restricted profile's",
                    $"{pathPrefix}.volumes[{i}].{key}", node));
            }
        }

        if (!windows)
        {
            foreach (var (c, path) in containers)
            {
                var ape = c["securityContext"]?["allowPrivilegeEscalation"];
                if (ape?.Bool != false)
                    v.Add(new("ZD-K8S-014", "Privilege Escalation", PssLevel.Restricted,
                        $"container {Name(c)} does not set allowPrivilegeEscalation: false", $"{path}.securityContext.allowPrivilegeEscalation", ape ?? c));
            }
        }

        var podNonRoot = podSc?["runAsNonRoot"]?.Bool;
        if (podNonRoot == false)
            v.Add(new("ZD-K8S-015", "Running as Non-root", PssLevel.Restricted, "the pod sets runAsNonRoot: false",
                $"{pathPrefix}.securityContext.runAsNonRoot", podSc!["runAsNonRoot"]));
        foreach (var (c, path) in containers)
        {
            var own = c["securityContext"]?["runAsNonRoot"];
            if (own?.Bool == false || (own?.Bool != true && podNonRoot != true))
                v.Add(new("ZD-K8S-015", "Running as Non-root", PssLevel.Restricted,
                    own?.Bool == false ? $"container {Name(c)} sets runAsNonRoot: false" : $"container {Name(c)} may run as root (runAsNonRoot is not true for the pod or the container)",
                    $"{path}.securityContext.runAsNonRoot", own ?? c));
        }

        Check(v, "ZD-K8S-016", "Running as Non-root user", PssLevel.Restricted, podSc?["runAsUser"], $"{pathPrefix}.securityContext.runAsUser",
            n => n.Int == 0, "the pod runs as user 0 (root)");
        foreach (var (c, path) in containers)
            Check(v, "ZD-K8S-016", "Running as Non-root user", PssLevel.Restricted, c["securityContext"]?["runAsUser"], $"{path}.securityContext.runAsUser",
                n => n.Int == 0, $"container {Name(c)} runs as user 0 (root)");

        if (!windows)
        {
            var podSeccomp = podSc?["seccompProfile"]?["type"]?.Str;
            var podSet = podSeccomp is "RuntimeDefault" or "Localhost";
            foreach (var (c, path) in containers)
            {
                var own = c["securityContext"]?["seccompProfile"]?["type"];
                var ok = own?.Str is "RuntimeDefault" or "Localhost" || (own is null && podSet);
                if (!ok && own?.Str != "Unconfined") // Unconfined is already a baseline violation
                    v.Add(new("ZD-K8S-017", "Seccomp", PssLevel.Restricted,
                        $"container {Name(c)} has no RuntimeDefault or Localhost seccomp profile (set it for the pod or the container)",
                        $"{path}.securityContext.seccompProfile.type", own ?? c));
            }

            foreach (var (c, path) in containers)
            {
                var caps = c["securityContext"]?["capabilities"];
                var drop = caps?["drop"];
                if (!(drop?.Items ?? []).Any(d => d.Str == "ALL"))
                    v.Add(new("ZD-K8S-018", "Capabilities", PssLevel.Restricted, $"container {Name(c)} does not drop ALL capabilities",
                        $"{path}.securityContext.capabilities.drop", drop ?? caps ?? c));
                foreach (var add in caps?["add"]?.Items ?? [])
                {
                    if (add.Str != "NET_BIND_SERVICE")
                        v.Add(new("ZD-K8S-018", "Capabilities", PssLevel.Restricted, $"container {Name(c)} adds {add.Str}; only NET_BIND_SERVICE may be added",
                            $"{path}.securityContext.capabilities.add", add));
                }
            }
        }

        var level = v.Any(x => x.Level == PssLevel.Baseline) ? PssLevel.Privileged : v.Count > 0 ? PssLevel.Baseline : PssLevel.Restricted;
        return new PssResult(level, v);
    }

    /// <summary>Judges a pod spec given as JSON (an AdmissionReview's <c>request.object.spec</c>).</summary>
    public static PssResult Evaluate(JsonElement podSpec, JsonElement? podMetadata = null) =>
        Evaluate(YamlDocuments.FromJson(podSpec), podMetadata is { } m ? YamlDocuments.FromJson(m) : null);

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

    private static void Check(List<PssViolation> v, string id, string control, PssLevel level, DocNode? node, string path, Func<DocNode, bool> bad, string message)
    {
        if (node is not null && bad(node)) v.Add(new(id, control, level, message, path, node));
    }

    private static void AppArmor(List<PssViolation> v, DocNode? sc, string path, string who) =>
        Check(v, "ZD-K8S-007", "AppArmor", PssLevel.Baseline, sc?["appArmorProfile"]?["type"], $"{path}.appArmorProfile.type",
            n => n.Str is not ("RuntimeDefault" or "Localhost"), $"{who} sets AppArmor profile type {sc?["appArmorProfile"]?["type"]?.Str}");

    private static void SeLinux(List<PssViolation> v, DocNode? sc, string path, string who)
    {
        var se = sc?["seLinuxOptions"];
        if (se is null) return;
        Check(v, "ZD-K8S-008", "SELinux", PssLevel.Baseline, se["type"], $"{path}.seLinuxOptions.type",
            n => !SeLinuxTypes.Contains(n.Str ?? ""), $"{who} sets SELinux type {se["type"]?.Str}");
        foreach (var field in new[] { "user", "role" })
            Check(v, "ZD-K8S-008", "SELinux", PssLevel.Baseline, se[field], $"{path}.seLinuxOptions.{field}",
                n => !string.IsNullOrEmpty(n.Str), $"{who} sets a custom SELinux {field} ({se[field]?.Str})");
    }

    private static void HostField(List<PssViolation> v, DocNode? handler, string path, string who)
    {
        foreach (var kind in new[] { "httpGet", "tcpSocket" })
            Check(v, "ZD-K8S-012", "Host Probes / Lifecycle Hooks", PssLevel.Baseline, handler?[kind]?["host"], $"{path}.{kind}.host",
                n => !string.IsNullOrEmpty(n.Str), $"{who} targets host {handler?[kind]?["host"]?.Str}");
    }
}
