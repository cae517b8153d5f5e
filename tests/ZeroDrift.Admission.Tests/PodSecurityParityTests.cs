using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Kubernetes;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Admission.Tests;

/// <summary>
/// One Pod Security Standards evaluator (the misconfiguration checks') behind the policy: the webhook, <c>policy check</c>'s
/// engine and <c>scan --scanners misconfig</c> give the same answer for the same pod.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class PodSecurityParityTests(WebhookFixture fixture)
{
    private const string Header = "apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages:\n";

    /// <summary>Pods that each break (or keep) particular controls; images match a rule with no registry evidence, so only
    /// the pod spec decides.</summary>
    public static TheoryData<string, string, bool> Pods => new()
    {
        { "baseline", "spec: {hostPID: true, containers: [{name: c, image: ghcr.io/acme/a:1}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {capabilities: {add: [NET_ADMIN]}}}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {capabilities: {add: [CHOWN]}}}]}", true },
        { "baseline", "spec: {volumes: [{name: h, hostPath: {path: /etc}}], containers: [{name: c, image: ghcr.io/acme/a:1}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1, ports: [{containerPort: 80, hostPort: 8080}]}]}", false },
        { "baseline", "spec: {securityContext: {sysctls: [{name: kernel.msgmax, value: '1'}]}, containers: [{name: c, image: ghcr.io/acme/a:1}]}", false },
        // Controls the former built-in evaluator missed: AppArmor (field and annotation) and probes aimed at other hosts.
        { "baseline", "metadata: {name: p, annotations: {container.apparmor.security.beta.kubernetes.io/c: unconfined}}\nspec: {containers: [{name: c, image: ghcr.io/acme/a:1}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {appArmorProfile: {type: Unconfined}}}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]}", false },
        { "baseline", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1}]}", true },
        { "restricted", "spec: {containers: [{name: c, image: ghcr.io/acme/a:1}]}", false },
        { "restricted", "spec: {securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}}]}", true },
        { "restricted", "spec: {securityContext: {runAsNonRoot: true, runAsUser: 0, seccompProfile: {type: RuntimeDefault}}, containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]}", false },
        { "restricted", "spec: {securityContext: {runAsNonRoot: true, seccompProfile: {type: Localhost, localhostProfile: p.json}}, volumes: [{name: n, nfs: {server: s, path: /}}], containers: [{name: c, image: ghcr.io/acme/a:1, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]}", false },
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public async Task Admission_policy_check_and_the_misconfig_scan_agree(string level, string pod, bool meets)
    {
        var policy = fixture.Dir.File($"pss-{level}.yaml", Header + $"  - name: acme\n    match: [\"ghcr.io/acme/**\"]\n    podSecurity: {level}\n");
        var yaml = "apiVersion: v1\nkind: Pod\n" + (pod.StartsWith("metadata:", StringComparison.Ordinal) ? pod : "metadata: {name: p}\n" + pod);

        // policy check: the manifest file through the engine as `zerodrift policy check FILE` composes it.
        var engine = new PolicyEngine(SupplyPolicy.Load(policy), new ImageSigning(fixture.Client()), MisconfigPodSecurity.Instance, TimeSpan.Zero);
        var manifest = KubernetesManifests.Parse(yaml, "pod.yaml").Single();
        var check = (await engine.CheckWorkloadAsync(Workload.From(manifest)!, CancellationToken.None)).Verdicts.Single(v => v.Rule == "acme: podSecurity");

        // admission: the same pod as the API server sends it.
        var handler = fixture.NewHandler(policyPath: policy);
        var answer = JsonNode.Parse(await handler.ValidateAsync(Encoding.UTF8.GetBytes(WebhookTests.Review(manifest.DeepClone().AsObject()).ToJsonString()), CancellationToken.None))!["response"]!;

        // the misconfiguration scan's verdict on the same YAML.
        var doc = YamlDocuments.Load(yaml).Single()!;
        var scan = PodSecurityStandards.Evaluate(doc["spec"]!, doc["metadata"]);

        Assert.Equal(meets, check.Passed);
        Assert.Equal(meets, answer["allowed"]!.GetValue<bool>());
        Assert.Equal(meets, scan.Meets(level == "restricted" ? PssLevel.Restricted : PssLevel.Baseline));
        if (!meets)
        {
            Assert.Equal($"zerodrift denied Pod shop/p: rule 'acme: podSecurity' failed for Pod p: {check.Reason}", answer["status"]!["message"]!.GetValue<string>());
            var wanted = level == "restricted" ? PssLevel.Restricted : PssLevel.Baseline;
            foreach (var violation in scan.Violations.Where(v => v.Level <= wanted))
                Assert.Contains(violation.Message, check.Reason);
        }
    }

    [Fact]
    public async Task A_pod_spec_too_deep_to_judge_is_denied_not_allowed()
    {
        var policy = fixture.Dir.File("pss-deep.yaml", Header + "  - name: acme\n    match: [\"ghcr.io/acme/**\"]\n    podSecurity: baseline\n");
        JsonNode deep = new JsonObject();
        for (var i = 0; i < 110; i++) deep = new JsonObject { ["x"] = deep };
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "ghcr.io/acme/a:1" }), ["extra"] = deep },
        };
        var answer = JsonNode.Parse(await fixture.NewHandler(policyPath: policy).ValidateAsync(Encoding.UTF8.GetBytes(WebhookTests.Review(pod).ToJsonString()), CancellationToken.None))!["response"]!;
        Assert.False(answer["allowed"]!.GetValue<bool>());
        Assert.Contains("the pod spec cannot be judged: JSON nested too deeply", answer["status"]!["message"]!.GetValue<string>());
    }
}
