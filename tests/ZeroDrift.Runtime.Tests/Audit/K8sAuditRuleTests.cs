using System.Text.Json.Nodes;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;
using static ZeroDrift.Runtime.Tests.Audit.AuditEvents;

namespace ZeroDrift.Runtime.Tests.Audit;

/// <summary>
/// Oracle for Falco's k8s_audit_rules.yaml, loaded unchanged: for each of its 48 rules an audit event that must fire it
/// and a near miss (one detail changed) that must not. Five rules ship behind placeholder macros that make them unable
/// to fire (the file expects the user to override them); they are judged "cannot fire as shipped", and their events
/// are checked with the override a user would write.
/// </summary>
public sealed class K8sAuditRuleTests
{
    private sealed record Case(Func<JsonObject> Fire, Func<JsonObject> Miss, string? Override = null);

    private static JsonObject Privileged(string image) =>
        K8s("create", "pods", request: Pod([image], securityContext: new JsonObject { ["privileged"] = true }), code: 201);

    private static JsonObject HostPath(string path) => K8s("create", "pods", code: 201, request: Pod(["nginx:1.27"], s => s["volumes"] = new JsonArray(
        new JsonObject { ["name"] = "cache", ["emptyDir"] = new JsonObject() },
        new JsonObject { ["name"] = "host", ["hostPath"] = new JsonObject { ["path"] = path, ["type"] = "Directory" } })));

    private static JsonObject PodSpec(string flag, bool value) => K8s("create", "pods", code: 201, request: Pod(["nginx:1.27"], s => s[flag] = value));

    private static JsonObject Service(string type) => K8s("create", "services", code: 201, request: new JsonObject
    {
        ["kind"] = "Service",
        ["spec"] = new JsonObject { ["type"] = type, ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["nodePort"] = 30080 }) },
    });

    private static JsonObject Activity(string verb, string resource, int code, string? ns = "default", string user = "alice", JsonNode? request = null) =>
        K8s(verb, resource, ns: ns, code: code, user: user, request: request);

    private const string Stage = "ResponseStarted";

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        ["Disallowed K8s User"] = new(() => K8s("get", "pods", user: "mallory"), () => K8s("get", "pods", user: "kubernetes-admin")),
        ["Create Disallowed Pod"] = new(
            () => K8s("create", "pods", code: 201, request: Pod(["registry.local/shop/web:1.4", "evil.example/miner:latest"])),
            () => K8s("create", "pods", code: 201, request: Pod(["registry.local/shop/web:1.4"])),
            "- macro: allowed_k8s_containers\n  condition: (ka.req.pod.containers.image.repository in (registry.local/shop/web))\n"),
        ["Create Privileged Pod"] = new(() => Privileged("nginx:1.27"), () => Privileged("docker.io/calico/node:v3.28.0")),
        ["Create Sensitive Mount Pod"] = new(() => HostPath("/etc"), () => HostPath("/srv/data")),
        ["Create HostNetwork Pod"] = new(() => PodSpec("hostNetwork", true), () => PodSpec("hostNetwork", false)),
        ["Create HostPid Pod"] = new(() => PodSpec("hostPID", true), () => PodSpec("hostPID", false)),
        ["Create HostIPC Pod"] = new(() => PodSpec("hostIPC", true), () => PodSpec("hostIPC", false)),
        ["Create NodePort Service"] = new(() => Service("NodePort"), () => Service("ClusterIP")),
        ["Create/Modify Configmap With Private Credentials"] = new(
            () => K8s("update", "configmaps", request: new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["db_password"] = "hunter2" } }),
            () => K8s("update", "configmaps", request: new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["color"] = "blue" } })),
        ["Anonymous Request Allowed"] = new(
            () => K8s("list", "secrets", name: null, user: "system:anonymous"),
            () => K8s("get", "healthz", name: null, ns: null, user: "system:anonymous", change: e => e["requestURI"] = "/healthz?verbose=1")),
        ["Attach/Exec Pod"] = new(
            () => K8s("create", "pods", subresource: "exec", stage: Stage, change: e => e["requestURI"] = "/api/v1/namespaces/default/pods/demo/exec?command=sh&stdin=true&tty=true"),
            () => K8s("create", "pods", subresource: "exec", stage: "ResponseComplete", change: e => e["requestURI"] = "/api/v1/namespaces/default/pods/demo/exec?command=sh")),
        ["port-forward"] = new(() => K8s("create", "pods", subresource: "portforward", stage: Stage), () => K8s("get", "pods", subresource: "log")),
        ["EphemeralContainers Created"] = new(
            () => K8s("patch", "pods", subresource: "ephemeralcontainers", request: new JsonObject { ["ephemeralContainers"] = new JsonArray(new JsonObject { ["name"] = "debugger", ["image"] = "busybox" }) }),
            () => K8s("get", "pods", subresource: "ephemeralcontainers")),
        ["Create Disallowed Namespace"] = new(() => K8s("create", "namespaces", name: "crypto", ns: null, code: 201), () => K8s("create", "namespaces", name: "default", ns: null, code: 201)),
        ["Pod Created in Kube Namespace"] = new(
            () => K8s("create", "pods", ns: "kube-system", code: 201, request: Pod(["evil.example/miner:latest"])),
            () => K8s("create", "pods", ns: "kube-system", code: 201, request: Pod(["registry.k8s.io/kube-apiserver:v1.31.0"]))),
        ["Service Account Created in Kube Namespace"] = new(
            () => K8s("create", "serviceaccounts", name: "backdoor", ns: "kube-system", code: 201),
            () => K8s("create", "serviceaccounts", name: "coredns", ns: "kube-system", code: 201)),
        ["System ClusterRole Modified/Deleted"] = new(
            () => K8s("update", "clusterroles", name: "system:node", ns: null),
            () => K8s("update", "clusterroles", name: "system:coredns", ns: null)),
        ["Attach to cluster-admin Role"] = new(
            () => K8s("create", "clusterrolebindings", ns: null, code: 201, request: Binding("ClusterRoleBinding", "cluster-admin")),
            () => K8s("create", "clusterrolebindings", ns: null, code: 201, request: Binding("ClusterRoleBinding", "view"))),
        ["ClusterRole With Wildcard Created"] = new(
            () => K8s("create", "clusterroles", ns: null, code: 201, request: Role("ClusterRole", ["*"], ["pods"])),
            () => K8s("create", "clusterroles", ns: null, code: 201, request: Role("ClusterRole", ["get"], ["pods"]))),
        ["ClusterRole With Write Privileges Created"] = new(
            () => K8s("create", "roles", code: 201, request: Role("Role", ["get", "patch"], ["deployments"])),
            () => K8s("create", "roles", code: 201, request: Role("Role", ["get", "list", "watch"], ["deployments"]))),
        ["ClusterRole With Pod Exec Created"] = new(
            () => K8s("create", "clusterroles", ns: null, code: 201, request: Role("ClusterRole", ["create"], ["pods/exec"])),
            () => K8s("create", "clusterroles", ns: null, code: 201, request: Role("ClusterRole", ["get"], ["pods/log"]))),
        ["K8s Deployment Created"] = new(() => Activity("create", "deployments", 201), () => Activity("create", "deployments", 409)),
        ["K8s Deployment Deleted"] = new(() => Activity("delete", "deployments", 200), () => Activity("delete", "deployments", 404)),
        ["K8s Service Created"] = new(() => Activity("create", "services", 201), () => Activity("create", "services", 422)),
        ["K8s Service Deleted"] = new(() => Activity("delete", "services", 200), () => Activity("delete", "services", 403)),
        ["K8s ConfigMap Created"] = new(() => Activity("create", "configmaps", 201), () => Activity("update", "configmaps", 200)),
        ["K8s ConfigMap Deleted"] = new(() => Activity("delete", "configmaps", 200), () => Activity("delete", "configmaps", 404)),
        ["K8s Namespace Created"] = new(() => Activity("create", "namespaces", 201, ns: null), () => Activity("create", "namespaces", 409, ns: null)),
        ["K8s Namespace Deleted"] = new(() => Activity("delete", "namespaces", 200, ns: null), () => Activity("delete", "namespaces", 200, ns: null, user: "system:serviceaccount:kube-system:namespace-controller")),
        ["K8s Serviceaccount Created"] = new(() => Activity("create", "serviceaccounts", 201), () => Activity("create", "serviceaccounts", 403)),
        ["K8s Serviceaccount Deleted"] = new(() => Activity("delete", "serviceaccounts", 200), () => Activity("delete", "serviceaccounts", 404)),
        ["K8s Role Created"] = new(() => Activity("create", "roles", 201, request: Role("Role", ["get"], ["pods"])), () => Activity("create", "clusterroles", 201, ns: null, request: Role("ClusterRole", ["get"], ["pods"]))),
        ["K8s Role Deleted"] = new(() => Activity("delete", "roles", 200), () => Activity("delete", "roles", 404)),
        ["K8s ClusterRole Created"] = new(() => Activity("create", "clusterroles", 201, ns: null, request: Role("ClusterRole", ["get"], ["pods"])), () => Activity("create", "roles", 201, request: Role("Role", ["get"], ["pods"]))),
        ["K8s ClusterRole Deleted"] = new(() => Activity("delete", "clusterroles", 200, ns: null), () => Activity("delete", "clusterroles", 404, ns: null)),
        ["K8s RoleBinding Created"] = new(() => Activity("create", "rolebindings", 201, request: Binding("RoleBinding", "edit")), () => Activity("create", "rolebindings", 403, request: Binding("RoleBinding", "edit"))),
        ["K8s RoleBinding Deleted"] = new(() => Activity("delete", "rolebindings", 200), () => Activity("delete", "rolebindings", 404)),
        ["K8s ClusterRoleBinding Created"] = new(() => Activity("create", "clusterrolebindings", 201, ns: null, request: Binding("ClusterRoleBinding", "view")), () => Activity("create", "clusterrolebindings", 409, ns: null)),
        ["K8s ClusterRoleBinding Deleted"] = new(() => Activity("delete", "clusterrolebindings", 200, ns: null), () => Activity("delete", "clusterrolebindings", 404, ns: null)),
        ["K8s Secret Created"] = new(() => Activity("create", "secrets", 201), () => Activity("create", "secrets", 201, ns: "kube-system")),
        ["K8s Secret Deleted"] = new(() => Activity("delete", "secrets", 200), () => Activity("delete", "secrets", 200, user: "system:serviceaccount:default:cleaner")),
        ["K8s Secret Get Successfully"] = new(() => Activity("get", "secrets", 200), () => Activity("get", "secrets", 403)),
        ["K8s Secret Get Unsuccessfully Tried"] = new(() => Activity("get", "secrets", 403), () => Activity("get", "secrets", 200)),
        ["All K8s Audit Events"] = new(
            () => K8s("get", "pods"),
            () => K8s("get", "pods", stage: "RequestReceived"),
            "- macro: consider_all_events\n  condition: (k8s_audit_always_true)\n"),
        ["Full K8s Administrative Access"] = new(
            () => K8s("delete", "pods", user: "kubernetes-admin"),
            () => K8s("delete", "pods", user: "alice"),
            "- macro: allowed_full_admin_users\n  condition: (k8s_audit_never_true)\n"),
        ["Ingress Object without TLS Certificate Created"] = new(
            () => K8s("create", "ingresses", code: 201, request: new JsonObject { ["kind"] = "Ingress", ["spec"] = new JsonObject { ["rules"] = new JsonArray() } }),
            () => K8s("create", "ingresses", code: 201, request: new JsonObject { ["kind"] = "Ingress", ["spec"] = new JsonObject { ["tls"] = new JsonArray(new JsonObject { ["secretName"] = "web-tls" }) } })),
        ["Untrusted Node Successfully Joined the Cluster"] = new(
            () => K8s("create", "nodes", name: "rogue-node", ns: null, code: 201, user: "system:node:rogue-node"),
            () => K8s("create", "nodes", name: "rogue-node", ns: null, code: 403, user: "system:node:rogue-node"),
            "- macro: allow_all_k8s_nodes\n  condition: (k8s_audit_never_true)\n"),
        ["Untrusted Node Unsuccessfully Tried to Join the Cluster"] = new(
            () => K8s("create", "nodes", name: "rogue-node", ns: null, code: 403, user: "system:node:rogue-node"),
            () => K8s("create", "nodes", name: "rogue-node", ns: null, code: 201, user: "system:node:rogue-node"),
            "- macro: allow_all_k8s_nodes\n  condition: (k8s_audit_never_true)\n"),
    };

    public static TheoryData<string> Rules => [.. Cases.Keys];

    [Fact]
    public void The_file_has_48_rules_and_every_one_has_a_case()
    {
        var set = Load(K8sRules);
        var names = set.Rules.Select(r => r.Name).ToList();
        Assert.Equal(48, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), Cases.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_rule_is_evaluated_except_the_five_behind_placeholder_macros()
    {
        var engine = AuditSources.CompileK8sAudit(Load(K8sRules));
        var notEvaluated = engine.Statuses.Where(s => !s.IsFullyEvaluated).ToDictionary(s => s.Name, s => s);
        Assert.Equal(
            ["All K8s Audit Events", "Create Disallowed Pod", "Full K8s Administrative Access", "Untrusted Node Successfully Joined the Cluster", "Untrusted Node Unsuccessfully Tried to Join the Cluster"],
            notEvaluated.Keys.Order(StringComparer.Ordinal));
        Assert.All(notEvaluated.Values, s => Assert.Equal(RuleState.NeverTrue, s.State));
        Assert.Equal(43, engine.Rules.Count);
        // Exactly the rules with an override in the table.
        Assert.Equal(Cases.Where(c => c.Value.Override is not null).Select(c => c.Key).Order(StringComparer.Ordinal), notEvaluated.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_fires_on_its_event_and_not_on_the_near_miss(string rule)
    {
        var c = Cases[rule];
        var engine = AuditSources.CompileK8sAudit(Load(K8sRules, c.Override));
        Assert.Contains(engine.Statuses, s => s.Name == rule && s.IsFullyEvaluated);
        Assert.Contains(rule, Fired(engine, c.Fire()));
        Assert.DoesNotContain(rule, Fired(engine, c.Miss()));
    }

    [Fact]
    public void Alerts_carry_the_plugin_fields_in_Falco_output()
    {
        var engine = AuditSources.CompileK8sAudit(Load(K8sRules));
        using var doc = System.Text.Json.JsonDocument.Parse(K8s("create", "pods", subresource: "exec", stage: Stage,
            change: e => e["requestURI"] = "/api/v1/namespaces/shop/pods/web-0/exec?command=%2Fbin%2Fsh&command=-c&stdin=true").ToJsonString());
        var ev = K8sAuditEvent.From(doc.RootElement, 1, 0, out _)!;
        var rule = engine.Rules.Single(r => r.Name == "Attach/Exec Pod");
        Assert.True(rule.Condition(ev));
        var alert = rule.CreateAlert(ev, ev.TimeNs, "cluster");
        Assert.Equal("k8s_audit", alert.Source);
        Assert.EndsWith("Notice Attach/Exec to pod (user=alice pod=demo resource=pods ns=default action=exec command=/bin/sh)", alert.Output);
        Assert.Equal("/bin/sh", alert.OutputFields["ka.uri.param[command]"]);
        Assert.Equal(1_796_637_600_012_345_000, alert.UnixTimeNanoseconds);
    }

    [Fact]
    public void List_fields_follow_the_plugin_all_in_and_intersects_semantics()
    {
        var engine = AuditSources.CompileK8sAudit(Load(K8sRules));
        // One privileged container among allowed images still has an image outside the list: "in" means every repository.
        var mixed = K8s("create", "pods", code: 201, request: Pod(["docker.io/calico/node:v3", "nginx:1.27"], securityContext: new JsonObject { ["privileged"] = true }));
        Assert.Contains("Create Privileged Pod", Fired(engine, mixed));
        // Privilege in an init container counts too; a container without securityContext is skipped, not a failure.
        var init = K8s("create", "pods", code: 201, request: Pod(["nginx:1.27"], s => s["initContainers"] = new JsonArray(
            new JsonObject { ["name"] = "init", ["image"] = "busybox", ["securityContext"] = new JsonObject { ["privileged"] = true } })));
        Assert.Contains("Create Privileged Pod", Fired(engine, init));
        // An image by digest: the repository stops at '@'.
        var digest = K8s("create", "pods", code: 201, request: Pod(["docker.io/calico/node@sha256:0123"], securityContext: new JsonObject { ["privileged"] = true }));
        Assert.DoesNotContain("Create Privileged Pod", Fired(engine, digest));
    }
}
