using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Policy;

/// <summary>
/// Checks a pod spec against a Pod Security Standards level and returns each violation as one sentence. The policy
/// engine depends on this interface only, so a fuller evaluator (the misconfiguration checks) can replace the built-in one.
/// </summary>
public interface IPodSecurityEvaluator
{
    IReadOnlyList<string> Violations(JsonObject podSpec, PodSecurityLevel level);
}

/// <summary>
/// The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/) controls that
/// concern the pod spec: baseline (host namespaces, privileged, capabilities, hostPath, hostPort, SELinux, /proc mount,
/// seccomp, sysctls) and restricted (volume types, privilege escalation, non-root, seccomp, capabilities).
/// AppArmor is set through annotations outside the spec and is not checked here.
/// </summary>
public sealed class BuiltInPodSecurity : IPodSecurityEvaluator
{
    public static readonly BuiltInPodSecurity Instance = new();

    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };
    private static readonly HashSet<string> SafeSysctls = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    };
    private static readonly HashSet<string> SeLinuxTypes = new(StringComparer.Ordinal) { "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t" };
    private static readonly HashSet<string> RestrictedVolumes = new(StringComparer.Ordinal)
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    };

    public IReadOnlyList<string> Violations(JsonObject spec, PodSecurityLevel level)
    {
        var v = new List<string>();
        if (level == PodSecurityLevel.Privileged) return v;
        var pod = spec["securityContext"] as JsonObject;
        foreach (var field in new[] { "hostNetwork", "hostPID", "hostIPC" })
            if (Bool(spec[field]) == true) v.Add($"{field}=true");
        if (Bool(pod?["windowsOptions"]?["hostProcess"]) == true) v.Add("windowsOptions.hostProcess=true");
        SeLinux(pod, "pod", v);
        if (Str(pod?["seccompProfile"]?["type"]) == "Unconfined") v.Add("pod seccompProfile.type=Unconfined");
        foreach (var sysctl in (pod?["sysctls"] as JsonArray ?? []).OfType<JsonObject>())
            if (Str(sysctl["name"]) is { } name && !SafeSysctls.Contains(name)) v.Add($"sysctl {name} is not in the safe set");
        foreach (var volume in (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(volume["name"]) ?? "?";
            if (volume.ContainsKey("hostPath")) v.Add($"volume {name} is a hostPath");
            else if (level == PodSecurityLevel.Restricted)
            {
                var type = volume.Select(p => p.Key).FirstOrDefault(k => k != "name");
                if (type is not null && !RestrictedVolumes.Contains(type)) v.Add($"volume {name} has type {type}, not allowed by restricted");
            }
        }

        var podNonRoot = Bool(pod?["runAsNonRoot"]);
        var podSeccomp = Str(pod?["seccompProfile"]?["type"]);
        if (level == PodSecurityLevel.Restricted && Num(pod?["runAsUser"]) == 0) v.Add("pod runAsUser=0");
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (var c in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var name = $"container {Str(c["name"]) ?? "?"}";
                var sc = c["securityContext"] as JsonObject;
                if (Bool(sc?["privileged"]) == true) v.Add($"{name}: privileged=true");
                if (Bool(sc?["windowsOptions"]?["hostProcess"]) == true) v.Add($"{name}: windowsOptions.hostProcess=true");
                foreach (var cap in Strings(sc?["capabilities"]?["add"]))
                    if (!BaselineCapabilities.Contains(cap)) v.Add($"{name}: adds capability {cap}");
                foreach (var port in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
                    if (Num(port["hostPort"]) is { } hp && hp != 0) v.Add($"{name}: hostPort {hp}");
                SeLinux(sc, name, v);
                if (Str(sc?["procMount"]) is { } proc && proc != "Default") v.Add($"{name}: procMount={proc}");
                var seccomp = Str(sc?["seccompProfile"]?["type"]);
                if (seccomp == "Unconfined") v.Add($"{name}: seccompProfile.type=Unconfined");
                if (level != PodSecurityLevel.Restricted) continue;

                if (Bool(sc?["allowPrivilegeEscalation"]) != false) v.Add($"{name}: allowPrivilegeEscalation must be false");
                if ((Bool(sc?["runAsNonRoot"]) ?? podNonRoot) != true) v.Add($"{name}: runAsNonRoot must be true");
                if (Num(sc?["runAsUser"]) == 0) v.Add($"{name}: runAsUser=0");
                if ((seccomp ?? podSeccomp) is not ("RuntimeDefault" or "Localhost")) v.Add($"{name}: seccompProfile.type must be RuntimeDefault or Localhost");
                if (!Strings(sc?["capabilities"]?["drop"]).Contains("ALL")) v.Add($"{name}: capabilities must drop ALL");
                foreach (var cap in Strings(sc?["capabilities"]?["add"]))
                    if (cap != "NET_BIND_SERVICE") v.Add($"{name}: restricted allows adding only NET_BIND_SERVICE, not {cap}");
            }
        }
        return v.Distinct().ToList();
    }

    private static void SeLinux(JsonObject? context, string who, List<string> v)
    {
        if (context?["seLinuxOptions"] is not JsonObject se) return;
        if (!SeLinuxTypes.Contains(Str(se["type"]) ?? "")) v.Add($"{who}: seLinuxOptions.type {Str(se["type"])} is not allowed");
        if (!string.IsNullOrEmpty(Str(se["user"]))) v.Add($"{who}: seLinuxOptions.user must not be set");
        if (!string.IsNullOrEmpty(Str(se["role"]))) v.Add($"{who}: seLinuxOptions.role must not be set");
    }

    private static bool? Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
    private static long? Num(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static IEnumerable<string> Strings(JsonNode? n) => (n as JsonArray ?? []).Select(Str).OfType<string>();
}
