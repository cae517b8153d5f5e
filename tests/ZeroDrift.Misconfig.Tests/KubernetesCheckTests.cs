using System.Text.Json;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Kubernetes;

namespace ZeroDrift.Misconfig.Tests;

public class KubernetesCheckTests
{
    /// <summary>A pod that meets the restricted profile and passes every built-in check; each parameter changes one part.</summary>
    internal static string Pod(string spec = "", string podSc = "", string container = "", string sc = "", string meta = "",
        string? automount = "false", string nonRoot = "true", string? podSeccomp = "RuntimeDefault", string ape = "false", string ro = "true",
        string drop = "[ALL]", string image = "registry.example/app:1.2.3", string limits = "        limits:\n          cpu: 500m\n          memory: 256Mi\n",
        string specMarker = "", string containerMarker = "")
    {
        var automountLine = automount is null ? "" : $"  automountServiceAccountToken: {automount}\n";
        var seccomp = podSeccomp is null ? "" : $"    seccompProfile:\n      type: {podSeccomp}\n";
        return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n" + meta +
               $"spec: {specMarker}\n" + automountLine + spec +
               $"  securityContext:\n    runAsNonRoot: {nonRoot}\n" + seccomp + podSc +
               $"  containers:\n    - name: app {containerMarker}\n      image: {image}\n      resources:\n" + limits + container +
               $"      securityContext:\n        allowPrivilegeEscalation: {ape}\n        readOnlyRootFilesystem: {ro}\n        capabilities:\n          drop: {drop}\n" + sc;
    }

    public static TheoryData<string, string> Failing => new()
    {
        { "ZD-K8S-001", Pod(podSc: "    windowsOptions:\n      hostProcess: true # <-\n") },
        { "ZD-K8S-001", Pod(sc: "        windowsOptions:\n          hostProcess: true # <-\n") },
        { "ZD-K8S-002", Pod(spec: "  hostNetwork: true # <-\n") },
        { "ZD-K8S-002", Pod(spec: "  hostPID: true # <-\n") },
        { "ZD-K8S-002", Pod(spec: "  hostIPC: true # <-\n") },
        { "ZD-K8S-003", Pod(sc: "        privileged: true # <-\n") },
        { "ZD-K8S-004", Pod(sc: "          add: [SYS_ADMIN] # <-\n") },
        { "ZD-K8S-005", Pod(spec: "  volumes:\n    - name: data\n      hostPath: # <-\n        path: /data\n") },
        { "ZD-K8S-006", Pod(container: "      ports:\n        - containerPort: 8080\n          hostPort: 8080 # <-\n") },
        { "ZD-K8S-007", Pod(sc: "        appArmorProfile:\n          type: Unconfined # <-\n") },
        { "ZD-K8S-007", Pod(meta: "  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: unconfined # <-\n") },
        { "ZD-K8S-008", Pod(sc: "        seLinuxOptions:\n          type: spc_t # <-\n") },
        { "ZD-K8S-008", Pod(podSc: "    seLinuxOptions:\n      user: system_u # <-\n") },
        { "ZD-K8S-009", Pod(sc: "        procMount: Unmasked # <-\n") },
        { "ZD-K8S-010", Pod(sc: "        seccompProfile:\n          type: Unconfined # <-\n") },
        { "ZD-K8S-010", Pod(podSeccomp: "Unconfined # <-") },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: kernel.msgmax # <-\n        value: '65536'\n") },
        { "ZD-K8S-012", Pod(container: "      livenessProbe:\n        httpGet:\n          host: 10.0.0.1 # <-\n          port: 80\n") },
        { "ZD-K8S-012", Pod(container: "      lifecycle:\n        preStop:\n          tcpSocket:\n            host: metadata.internal # <-\n            port: 80\n") },
        { "ZD-K8S-013", Pod(spec: "  volumes:\n    - name: shared\n      nfs: # <-\n        server: nfs.internal\n        path: /exports\n") },
        { "ZD-K8S-014", Pod(ape: "true # <-") },
        { "ZD-K8S-015", Pod(sc: "        runAsNonRoot: false # <-\n") },
        { "ZD-K8S-015", Pod(nonRoot: "false # <-") },
        { "ZD-K8S-016", Pod(sc: "        runAsUser: 0 # <-\n") },
        { "ZD-K8S-017", Pod(podSeccomp: null, containerMarker: "# <-") },
        { "ZD-K8S-018", Pod(drop: "[NET_RAW] # <-") },
        { "ZD-K8S-015", Pod(spec: "  hostUsers: false\n", sc: "        procMount: Unmasked # <-\n") }, // in its own user namespace: the restricted /proc ban
        { "ZD-K8S-018", Pod(sc: "          add: [CHOWN] # <-\n") },
        { "ZD-K8S-020", Pod(limits: "        limits: # <-\n          cpu: 500m\n") },
        { "ZD-K8S-021", Pod(image: "nginx # <-") },
        { "ZD-K8S-021", Pod(image: "registry.local:5000/team/nginx:latest # <-") },
        { "ZD-K8S-022", Pod(ro: "false # <-") },
        { "ZD-K8S-023", Pod(automount: null, specMarker: "# <-") },
        { "ZD-K8S-024", Pod(container: "      env:\n        - name: DB_PASSWORD\n          value: hunter2 # <-\n") },
        { "ZD-K8S-025", Pod(spec: "  volumes:\n    - name: etc\n      hostPath:\n        path: /etc/ # <-\n") },
        { "ZD-K8S-026", Pod(spec: "  volumes:\n    - name: docker\n      hostPath:\n        path: /var/run/docker.sock # <-\n        type: Socket\n") },
        { "ZD-K8S-027", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [\"*\"] # <-\n" },
        { "ZD-K8S-027", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ops\nrules:\n  - apiGroups: [\"\"]\n    resources:\n      - \"*\" # <-\n    verbs: [get]\n" },
        { "ZD-K8S-028", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin # <-\nsubjects:\n  - kind: ServiceAccount\n    name: ci\n    namespace: ci\n" },
        { "ZD-K8S-029", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer # <-\n  ports:\n    - port: 80\n" },
        { "ZD-K8S-029", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort # <-\n  ports:\n    - port: 80\n" },
        { "ZD-K8S-030", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: app\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods/exec]\n    verbs: [create] # <-\n" },
        { "ZD-K8S-031", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [list] # <-\n" },
        { "ZD-K8S-032", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: kube-system\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [create] # <-\n" },
        { "ZD-K8S-032", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"apps\"]\n    resources: [deployments]\n    verbs: [create] # <-\n" },
        { "ZD-K8S-033", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"\"]\n    resources: [serviceaccounts]\n    verbs: [impersonate] # <-\n" },
        { "ZD-K8S-034", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"rbac.authorization.k8s.io\"]\n    resources: [clusterroles]\n    verbs: [bind] # <-\n" },
    };

    public static TheoryData<string, string> Passing => new()
    {
        { "ZD-K8S-001", Pod(podSc: "    windowsOptions:\n      hostProcess: false\n") },
        { "ZD-K8S-002", Pod(spec: "  hostNetwork: false\n  hostPID: false\n") },
        { "ZD-K8S-003", Pod(sc: "        privileged: false\n") },
        { "ZD-K8S-004", Pod(sc: "          add: [NET_BIND_SERVICE]\n") },
        { "ZD-K8S-005", Pod(spec: "  volumes:\n    - name: tmp\n      emptyDir: {}\n") },
        { "ZD-K8S-006", Pod(container: "      ports:\n        - containerPort: 8080\n          hostPort: 0\n") },
        { "ZD-K8S-007", Pod(sc: "        appArmorProfile:\n          type: RuntimeDefault\n", meta: "  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: localhost/k8s-app\n") },
        { "ZD-K8S-008", Pod(sc: "        seLinuxOptions:\n          type: container_t\n          level: s0:c123,c456\n") },
        { "ZD-K8S-009", Pod(sc: "        procMount: Default\n") },
        { "ZD-K8S-009", Pod(spec: "  hostUsers: false\n", sc: "        procMount: Unmasked\n") }, // its own user namespace: ZD-K8S-015's
        { "ZD-K8S-010", Pod(sc: "        seccompProfile:\n          type: Localhost\n          localhostProfile: app.json\n") },
        { "ZD-K8S-011", Pod(podSc: "    sysctls:\n      - name: net.ipv4.tcp_syncookies\n        value: '1'\n") },
        { "ZD-K8S-012", Pod(container: "      livenessProbe:\n        httpGet:\n          path: /healthz\n          port: 80\n") },
        { "ZD-K8S-013", Pod(spec: "  volumes:\n    - name: conf\n      configMap:\n        name: web\n    - name: data\n      persistentVolumeClaim:\n        claimName: data\n") },
        { "ZD-K8S-014", Pod() },
        { "ZD-K8S-015", Pod(nonRoot: "null", sc: "        runAsNonRoot: true\n") },
        { "ZD-K8S-016", Pod(sc: "        runAsUser: 10001\n") },
        { "ZD-K8S-017", Pod(podSeccomp: null, sc: "        seccompProfile:\n          type: RuntimeDefault\n") },
        { "ZD-K8S-018", Pod(sc: "          add: [NET_BIND_SERVICE]\n") },
        { "ZD-K8S-015", Pod(spec: "  hostUsers: false\n", sc: "        procMount: Default\n") },
        { "ZD-K8S-020", Pod() },
        { "ZD-K8S-021", Pod(image: "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31") },
        { "ZD-K8S-022", Pod() },
        { "ZD-K8S-023", Pod() },
        { "ZD-K8S-024", Pod(container: "      env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db\n              key: password\n        - name: TOKEN_FILE\n          value: /run/secrets/token\n        - name: LOG_LEVEL\n          value: debug\n") },
        { "ZD-K8S-025", Pod(spec: "  volumes:\n    - name: data\n      hostPath:\n        path: /srv/data\n") },
        { "ZD-K8S-026", Pod(spec: "  volumes:\n    - name: data\n      hostPath:\n        path: /srv/data\n") },
        { "ZD-K8S-027", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [get, list, watch]\n" },
        { "ZD-K8S-028", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n  - kind: ServiceAccount\n    name: ci\n    namespace: ci\n" },
        { "ZD-K8S-029", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n  ports:\n    - port: 80\n" },
        { "ZD-K8S-030", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: app\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods/log]\n    verbs: [get]\n" },
        { "ZD-K8S-031", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [list]\n" },
        { "ZD-K8S-032", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: app\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [create]\n" },
        { "ZD-K8S-033", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"\"]\n    resources: [serviceaccounts]\n    verbs: [get]\n" },
        { "ZD-K8S-034", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - apiGroups: [\"rbac.authorization.k8s.io\"]\n    resources: [clusterroles]\n    verbs: [get, list]\n" },
    };

    [Theory]
    [MemberData(nameof(Failing))]
    public void Failing_example_is_reported_at_its_line(string checkId, string yaml) => Scan.AssertReportedAtMarker(checkId, "pod.yaml", yaml);

    [Theory]
    [MemberData(nameof(Passing))]
    public void Passing_example_is_not_reported(string checkId, string yaml) => Scan.AssertNotReported(checkId, "pod.yaml", yaml);

    [Fact]
    public void Every_kubernetes_check_has_a_failing_and_a_passing_example()
    {
        // ZD-K8S-035 and 036 judge the target's manifests together: ClusterExposureTests.
        var ids = Checks.All.Select(c => c.Id).Where(id => id.StartsWith("ZD-K8S-", StringComparison.Ordinal) && id is not ("ZD-K8S-035" or "ZD-K8S-036")).ToHashSet();
        Assert.Equal(ids, Failing.Select(row => (string)row[0]).ToHashSet());
        Assert.Equal(ids, Passing.Select(row => (string)row[0]).ToHashSet());
    }

    [Fact]
    public void Hardened_pod_has_no_findings_and_meets_restricted()
    {
        Assert.Empty(Scan.Text("pod.yaml", Pod()));
        var doc = YamlDocuments.Load(Pod())[0]!;
        var result = PodSecurityStandards.Evaluate(doc["spec"]!, doc["metadata"]);
        Assert.Equal(PssLevel.Restricted, result.Level);
        Assert.Empty(result.Violations);
    }

    [Fact]
    public void Pss_level_is_the_most_restrictive_one_met()
    {
        var baselineOnly = YamlDocuments.Load(Pod(ape: "true"))[0]!;
        var r = PodSecurityStandards.Evaluate(baselineOnly["spec"]!);
        Assert.Equal(PssLevel.Baseline, r.Level);
        Assert.True(r.Meets(PssLevel.Baseline));
        Assert.False(r.Meets(PssLevel.Restricted));
        var v = Assert.Single(r.Violations);
        Assert.Equal("spec.containers[0].securityContext.allowPrivilegeEscalation", v.Path);
        Assert.Equal(new Mark(19, 35), v.Node!.Start); // line 19: "        allowPrivilegeEscalation: true"

        var privileged = YamlDocuments.Load(Pod(spec: "  hostPID: true\n"))[0]!;
        Assert.Equal(PssLevel.Privileged, PodSecurityStandards.Evaluate(privileged["spec"]!).Level);
    }

    [Fact]
    public void Pss_evaluates_an_admission_review_pod_given_as_json()
    {
        const string review = """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{
          "apiVersion":"v1","kind":"Pod","metadata":{"name":"x","annotations":{"container.apparmor.security.beta.kubernetes.io/c":"unconfined"}},
          "spec":{"containers":[{"name":"c","image":"busybox:1.36","securityContext":{"privileged":true,"runAsUser":0}}]}}}}
        """;
        using var json = JsonDocument.Parse(review);
        var pod = json.RootElement.GetProperty("request").GetProperty("object");
        var result = PodSecurityStandards.Evaluate(pod.GetProperty("spec"), pod.GetProperty("metadata"));
        Assert.Equal(PssLevel.Privileged, result.Level);
        var ids = result.Violations.Select(x => x.CheckId).ToHashSet();
        Assert.Superset(new HashSet<string> { "ZD-K8S-003", "ZD-K8S-007", "ZD-K8S-014", "ZD-K8S-015", "ZD-K8S-016", "ZD-K8S-017", "ZD-K8S-018" }, ids);
        Assert.All(result.Violations, x => Assert.Null(x.Node!.Start)); // JSON carries no positions
    }

    [Fact]
    public void Windows_pods_are_exempt_from_the_linux_only_restricted_controls()
    {
        var doc = YamlDocuments.Load(Pod(podSeccomp: null, ape: "true", drop: "[]", spec: "  os:\n    name: windows\n"))[0]!;
        var ids = PodSecurityStandards.Evaluate(doc["spec"]!).Violations.Select(v => v.CheckId).ToList();
        Assert.DoesNotContain("ZD-K8S-014", ids);
        Assert.DoesNotContain("ZD-K8S-017", ids);
        Assert.DoesNotContain("ZD-K8S-018", ids);
    }

    [Theory]
    [InlineData("Deployment", "spec:\n  template:\n    spec:\n")]
    [InlineData("StatefulSet", "spec:\n  template:\n    spec:\n")]
    [InlineData("DaemonSet", "spec:\n  template:\n    spec:\n")]
    [InlineData("ReplicaSet", "spec:\n  template:\n    spec:\n")]
    [InlineData("Job", "spec:\n  template:\n    spec:\n")]
    [InlineData("ReplicationController", "spec:\n  template:\n    spec:\n")]
    [InlineData("CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n")]
    [InlineData("PodTemplate", "template:\n  spec:\n")]
    public void Every_kind_with_a_pod_template_is_checked(string kind, string path)
    {
        var indent = new string(' ', path.Split('\n').Length * 2 - 2);
        var yaml = $"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: w\n{path}{indent}containers:\n{indent}  - name: c\n{indent}    image: busybox\n{indent}    securityContext:\n{indent}      privileged: true {Scan.Marker}\n";
        Scan.AssertReportedAtMarker("ZD-K8S-003", "workload.yaml", yaml);
        var finding = Scan.Text("workload.yaml", yaml).First(f => f.RuleId == "ZD-K8S-003");
        Assert.Contains(kind + "/", finding.Fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_document_files_and_lists_report_each_resource_at_its_own_line()
    {
        var yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  type: NodePort\n---\n# second\n" +
                   "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: b\n    spec:\n      type: LoadBalancer\n";
        var lines = Scan.Text("all.yml", yaml).Where(f => f.RuleId == "ZD-K8S-029").Select(f => f.Span!.StartLine).ToList();
        Assert.Equal([6, 17], lines);
    }

    [Fact]
    public void Findings_carry_column_metadata_and_a_fingerprint_that_survives_line_shifts()
    {
        var a = Scan.Text("pod.yaml", Pod(sc: "        privileged: true\n")).Single(f => f.RuleId == "ZD-K8S-003");
        Assert.Equal(21, a.Span!.StartColumn);
        Assert.Equal(ZeroDrift.Core.Severity.Critical, a.Severity);
        var b = Scan.Text("pod.yaml", "# a comment\n" + Pod(sc: "        privileged: true\n")).Single(f => f.RuleId == "ZD-K8S-003");
        Assert.Equal(a.Span.StartLine + 1, b.Span!.StartLine);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
    }

    [Fact]
    public void Yaml_and_json_files_that_are_not_kubernetes_objects_are_ignored()
    {
        Assert.Empty(Scan.Text("package.json", "{\"name\":\"x\",\"kind\":\"lib\",\"privileged\":true}"));
        Assert.Empty(Scan.Text("values.yaml", "image: nginx\nprivileged: true\n"));
        // JSON manifests are Kubernetes objects too, with positions from the YAML parser.
        var json = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"x\"},\n  \"spec\": {\"type\": \"NodePort\"}\n}\n";
        Assert.Equal(5, Assert.Single(Scan.Text("svc.json", json)).Span!.StartLine);
    }
}
