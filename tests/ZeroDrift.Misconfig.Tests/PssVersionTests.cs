using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Kubernetes;
using static ZeroDrift.Misconfig.Tests.KubernetesCheckTests;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>The Pod Security Standards at each policy version, as Kubernetes' pod-security-admission registers its checks
/// (policy/check_*.go): each behaviour that changed is reported on one side of the version it changed at and not on the other.</summary>
public class PssVersionTests
{
    [Theory]
    [InlineData("latest", 37)]
    [InlineData("v1.0", 0)]
    [InlineData("v1.8", 8)]
    [InlineData("v1.34", 34)]
    [InlineData("v1.37", 37)]
    [InlineData("v1.40", 37)] // a version newer than the checks know judges as the newest, as Kubernetes clamps it
    public void Versions_read_as_kubernetes_reads_them(string text, int minor)
    {
        Assert.True(PssVersion.TryParse(text, out var version));
        Assert.Equal(minor, version.Minor);
        Assert.Equal($"v1.{minor}", version.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.34")]
    [InlineData("v1.034")]
    [InlineData("v2.0")]
    [InlineData("v1.34.1")]
    [InlineData("v1.")]
    [InlineData("V1.34")]
    [InlineData("v1.-1")]
    [InlineData("Latest")]
    [InlineData("v1.99999999999")]
    public void Anything_else_is_not_a_version(string text) => Assert.False(PssVersion.TryParse(text, out _));

    private const string HostUsersFalse = "  hostUsers: false\n";

    /// <summary>(rule, pod, a version it is not reported at, the version it is first reported at) — or, for relaxations, the
    /// other way round: the older version reports it and the newer does not.</summary>
    public static TheoryData<string, string, string, string> Introduced => new()
    {
        { "ZD-K8S-012", Pod(container: "      livenessProbe:\n        tcpSocket:\n          host: 10.0.0.1\n          port: 80\n"), "v1.33", "v1.34" },
        { "ZD-K8S-010", Pod(podSeccomp: "Unconfined"), "v1.18", "v1.19" },     // before v1.19 only the annotations count
        { "ZD-K8S-010", Pod(podSeccomp: "Unknown"), "v1.18", "v1.19" },        // anything but RuntimeDefault or Localhost
        { "ZD-K8S-014", Pod(ape: "true"), "v1.7", "v1.8" },
        { "ZD-K8S-016", Pod(sc: "        runAsUser: 0\n"), "v1.22", "v1.23" },
        { "ZD-K8S-017", Pod(podSeccomp: null), "v1.18", "v1.19" },
        { "ZD-K8S-018", Pod(drop: "[]"), "v1.21", "v1.22" },
        { "ZD-K8S-015", Pod(spec: HostUsersFalse, sc: "        procMount: Unmasked\n"), "v1.34", "v1.35" },
    };

    public static TheoryData<string, string, string, string> Relaxed => new()
    {
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.ip_local_reserved_ports\n        value: '30000'\n"), "v1.26", "v1.27" },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.tcp_keepalive_time\n        value: '600'\n"), "v1.28", "v1.29" },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.tcp_rmem\n        value: 4096 87380 16777216\n"), "v1.31", "v1.32" },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.tcp_notsent_lowat\n        value: '16384'\n"), "v1.36", "v1.37" },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.tcp_slow_start_after_idle\n        value: '0'\n"), "v1.36", "latest" },
        { "ZD-K8S-008", Pod(sc: "        seLinuxOptions:\n          type: container_engine_t\n"), "v1.30", "v1.31" },
        { "ZD-K8S-010", Pod(meta: "  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n"), "v1.18", "v1.19" },
        { "ZD-K8S-010", Pod(meta: "  annotations:\n    container.seccomp.security.alpha.kubernetes.io/app: unconfined\n"), "v1.18", "v1.19" },
        { "ZD-K8S-009", Pod(spec: HostUsersFalse, sc: "        procMount: Unmasked\n"), "v1.34", "v1.35" },
        { "ZD-K8S-015", Pod(spec: HostUsersFalse, nonRoot: "false"), "v1.34", "v1.35" },
        { "ZD-K8S-016", Pod(spec: HostUsersFalse, sc: "        runAsUser: 0\n"), "v1.34", "v1.35" },
        { "ZD-K8S-014", Pod(spec: "  os:\n    name: windows\n", ape: "true"), "v1.24", "v1.25" },
        { "ZD-K8S-017", Pod(spec: "  os:\n    name: windows\n", podSeccomp: null), "v1.24", "v1.25" },
        { "ZD-K8S-018", Pod(spec: "  os:\n    name: windows\n", drop: "[]"), "v1.24", "v1.25" },
    };

    [Theory]
    [MemberData(nameof(Introduced))]
    public void A_check_applies_from_the_version_kubernetes_added_it(string ruleId, string yaml, string before, string from)
    {
        Assert.DoesNotContain(Reported(yaml, before), f => f == ruleId);
        Assert.Contains(Reported(yaml, from), f => f == ruleId);
    }

    [Theory]
    [MemberData(nameof(Relaxed))]
    public void A_relaxation_applies_from_the_version_kubernetes_made_it(string ruleId, string yaml, string before, string from)
    {
        Assert.Contains(Reported(yaml, before), f => f == ruleId);
        Assert.DoesNotContain(Reported(yaml, from), f => f == ruleId);
    }

    [Theory]
    [InlineData("v1.0")]
    [InlineData("v1.37")]
    public void Checks_kubernetes_amended_in_place_apply_at_every_version(string version)
    {
        // check_appArmorProfile.go and check_restrictedVolumes.go have one implementation, from v1.0: the AppArmor fields
        // and the image volume type count at every pinned version.
        Assert.Contains("ZD-K8S-007", Reported(Pod(sc: "        appArmorProfile:\n          type: Unconfined\n"), version));
        Assert.DoesNotContain("ZD-K8S-013", Reported(Pod(spec: "  volumes:\n    - name: tools\n      image:\n        reference: registry.example/tools:1\n"), version));
    }

    [Fact]
    public void Seccomp_annotations_before_v1_19_allow_runtime_docker_and_localhost_profiles_and_ignore_other_containers()
    {
        var meta = "  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: docker/default\n" +
                   "    container.seccomp.security.alpha.kubernetes.io/app: localhost/profile.json\n" +
                   "    container.seccomp.security.alpha.kubernetes.io/not-a-container: unconfined\n";
        Assert.DoesNotContain("ZD-K8S-010", Reported(Pod(meta: meta), "v1.18"));
    }

    [Fact]
    public void A_seccomp_or_apparmor_profile_without_a_type_is_not_an_allowed_one()
    {
        var ids = Reported(Pod(sc: "        seccompProfile: {localhostProfile: p.json}\n        appArmorProfile: {localhostProfile: p}\n"), "latest");
        Assert.Contains("ZD-K8S-010", ids);
        Assert.Contains("ZD-K8S-007", ids);
    }

    [Fact]
    public void A_restricted_procmount_violation_leaves_the_pod_at_baseline()
    {
        var doc = YamlDocuments.Load(Pod(spec: HostUsersFalse, sc: "        procMount: Unmasked\n"))[0]!;
        var newest = PodSecurityStandards.Evaluate(doc["spec"]!, doc["metadata"]);
        var v = Assert.Single(newest.Violations);
        Assert.Equal(("ZD-K8S-015", "/proc Mount Type", PssLevel.Restricted), (v.CheckId, v.Control, v.Level));
        Assert.Equal(PssLevel.Baseline, newest.Level);
        Assert.Equal(PssLevel.Privileged, PodSecurityStandards.Evaluate(doc["spec"]!, doc["metadata"], version: PssVersion.Of(34)).Level);
    }

    [Fact]
    public void Findings_of_a_control_say_its_name_level_and_the_version_judged()
    {
        var detector = MisconfigDetector.Create(new MisconfigOptions { PssVersion = PssVersion.Of(34) });
        var findings = Scan.Text("pod.yaml", Pod(spec: "  hostPID: true\n", ape: "true", limits: ""), detector: detector);
        var hostPid = findings.Single(f => f.RuleId == "ZD-K8S-002");
        Assert.Equal("Host Namespaces", hostPid.Properties["control"]);
        Assert.Equal("baseline", hostPid.Properties["level"]);
        Assert.Equal("v1.34", hostPid.Properties["pssVersion"]);
        var escalation = findings.Single(f => f.RuleId == "ZD-K8S-014");
        Assert.Equal(("Privilege Escalation", "restricted"), (escalation.Properties["control"], escalation.Properties["level"]));
        // Checks beyond the standard name no control.
        Assert.DoesNotContain("control", findings.Single(f => f.RuleId == "ZD-K8S-020").Properties.Keys);
    }

    [Fact]
    public void The_restricted_proc_ban_of_a_user_namespace_pod_names_its_own_control()
    {
        var findings = Scan.Text("pod.yaml", Pod(spec: HostUsersFalse, sc: "        procMount: Unmasked\n"), detector: MisconfigDetector.Create(new MisconfigOptions()));
        var procMount = findings.Single(f => f.Properties.GetValueOrDefault("control") == "/proc Mount Type");
        Assert.Equal(("ZD-K8S-015", "restricted", "v1.37"), (procMount.RuleId, procMount.Properties["level"], procMount.Properties["pssVersion"]));
    }

    [Fact]
    public void Every_pss_rule_names_one_control_and_level()
    {
        var pssRules = Checks.All.Select(c => c.Id).Where(id => string.CompareOrdinal(id, "ZD-K8S-020") < 0 && id.StartsWith("ZD-K8S-", StringComparison.Ordinal));
        Assert.Equal(pssRules.ToHashSet(), PssControls.All.Select(c => c.RuleId).ToHashSet());
    }

    private static List<string> Reported(string yaml, string version)
    {
        Assert.True(PssVersion.TryParse(version, out var v));
        return [.. Scan.Text("pod.yaml", yaml, detector: MisconfigDetector.Create(new MisconfigOptions { PssVersion = v })).Select(f => f.RuleId)];
    }
}
