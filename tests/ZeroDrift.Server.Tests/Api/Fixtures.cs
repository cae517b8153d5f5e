using System.Text.Json.Nodes;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Server.Tests.Api;

/// <summary>Small handwritten documents in the shapes docs/formats.md and docs/server.md define.</summary>
internal static class Fixtures
{
    /// <summary>
    /// The admission webhook both hosted-admission tests run: images from registry.local only, the shop's images at the
    /// restricted Pod Security level. The policy file goes into <paramref name="dir"/>; dispose the registry client after.
    /// </summary>
    public static (ZeroDrift.Admission.AdmissionHandler Handler, ZeroDrift.Artifacts.Registry.RegistryClient Registry) RestrictedShopAdmission(TempDir dir)
    {
        var policy = dir.File("policy.yaml", """
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            allowedRegistries: ["registry.local"]
            images:
              - name: shop
                match: ["registry.local/shop/**"]
                podSecurity: restricted
            """);
        var registry = new ZeroDrift.Artifacts.Registry.RegistryClient(new ZeroDrift.Artifacts.Registry.RegistryClientOptions());
        var engine = new ZeroDrift.Supply.Policy.PolicyEngine(ZeroDrift.Supply.Policy.SupplyPolicy.Load(policy), new ZeroDrift.Supply.Signing.ImageSigning(registry),
            ZeroDrift.Admission.MisconfigPodSecurity.Instance, TimeSpan.FromSeconds(30));
        return (new ZeroDrift.Admission.AdmissionHandler(engine, new ZeroDrift.Admission.AdmissionOptions()), registry);
    }

    public const long T0 = 1_780_000_000_000;

    /// <summary>A <c>zerodrift scan --format json</c> report (schema version 1) with the given findings.</summary>
    public static string ScanReport(string target, params (string Id, string Purl, string Severity, double? Score, string? Fix, string Path)[] findings)
    {
        var list = new JsonArray();
        foreach (var f in findings)
        {
            var name = f.Purl.Split('/')[^1].Split('@')[0];
            var version = f.Purl.Split('@')[^1];
            var severity = new JsonObject { ["level"] = f.Severity, ["source"] = "osv" };
            if (f.Score is { } s) severity["score"] = s;
            var finding = new JsonObject
            {
                ["id"] = f.Id, ["ids"] = new JsonArray(f.Id), ["status"] = "affected",
                ["package"] = new JsonObject { ["name"] = name, ["version"] = version, ["purl"] = f.Purl, ["id"] = "p1", ["locations"] = new JsonArray(new JsonObject { ["path"] = f.Path }) },
                ["matched"] = new JsonObject { ["ecosystem"] = "npm", ["name"] = name, ["version"] = version, ["comparator"] = "semver", ["advisories"] = new JsonArray(f.Id) },
                ["severity"] = severity, ["summary"] = $"{f.Id} in {name}", ["reference"] = $"https://osv.dev/{f.Id}",
            };
            if (f.Fix is not null) finding["fixedIn"] = f.Fix;
            list.Add(finding);
        }
        return new JsonObject
        {
            ["schemaVersion"] = 1, ["tool"] = "zerodrift 0.1.0",
            ["target"] = new JsonObject { ["name"] = target, ["kind"] = "image", ["manifestDigest"] = "sha256:0123", ["packages"] = 12 },
            ["database"] = new JsonObject { ["path"] = "/tmp/v.db", ["advisories"] = 10 },
            ["findings"] = list, ["notScannable"] = new JsonArray(), ["unmatched"] = new JsonArray(), ["warnings"] = new JsonArray(),
        }.ToJsonString();
    }

    /// <summary>Adds content findings (docs/formats.md "contentFindings") and the scanners that made them to a scan report.</summary>
    public static string WithContent(string report, string[] scanners, params JsonObject[] contentFindings)
    {
        var root = JsonNode.Parse(report)!.AsObject();
        root["scanners"] = new JsonArray([.. scanners.Select(s => (JsonNode)s)]);
        root["contentFindings"] = new JsonArray([.. contentFindings]);
        return root.ToJsonString();
    }

    public static JsonObject ContentFinding(string findingClass, string ruleId, string severity, string path, int line, string match) => new()
    {
        ["class"] = findingClass, ["ruleId"] = ruleId, ["title"] = $"{ruleId} title", ["severity"] = severity, ["path"] = path,
        ["startLine"] = line, ["startColumn"] = 1, ["endLine"] = line, ["endColumn"] = 20,
        ["message"] = $"{ruleId} found", ["match"] = match, ["fingerprint"] = $"{path.TrimStart('/')}:{ruleId}:{line}",
        ["layer"] = new JsonObject { ["digest"] = "sha256:aa", ["index"] = 0 },
    };

    /// <summary>An AdmissionReview v1 request as kube-apiserver sends it (admission.k8s.io/v1) for a Deployment.</summary>
    public static string AdmissionReview(string uid, string name, string image, bool privileged, bool dryRun = false) => new JsonObject
    {
        ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" },
            ["resource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = "deployments" },
            ["requestKind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" },
            ["name"] = name, ["namespace"] = "shop", ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "kubernetes-admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") },
            ["object"] = new JsonObject
            {
                ["apiVersion"] = "apps/v1", ["kind"] = "Deployment",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "shop" },
                ["spec"] = new JsonObject
                {
                    ["replicas"] = 1,
                    ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                        ["spec"] = new JsonObject
                        {
                            ["securityContext"] = new JsonObject { ["runAsNonRoot"] = true, ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } },
                            ["containers"] = new JsonArray(new JsonObject
                            {
                                ["name"] = "app", ["image"] = image,
                                ["securityContext"] = privileged
                                    ? new JsonObject { ["privileged"] = true }
                                    : new JsonObject { ["allowPrivilegeEscalation"] = false, ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") } },
                            }),
                        },
                    },
                },
            },
            ["oldObject"] = null,
            ["dryRun"] = dryRun,
            ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "CreateOptions" },
        },
    }.ToJsonString();

    public static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A node's registration; <paramref name="enforcement"/> null for an agent that does not report it.</summary>
    public static HostRecord Host(string name, AgentEnforcement? enforcement = null) => new() { Name = name, Kernel = "6.1.0", Enforcement = enforcement };

    public static AgentEnforcement Kernel(string pinRoot = "/sys/fs/bpf/zerodrift") => new() { Mode = EnforcementKind.Kernel, PinRoot = pinRoot };

    public static AgentEnforcement UserSpace(string reason) => new() { Mode = EnforcementKind.UserSpace, Reason = reason };

    public static ContainerRecord Container(string id, string host, string workload, string image, bool exposed) => new()
    {
        Id = id, Host = host, Workload = workload, Image = image, ImageDigest = "sha256:0123", State = ContainerState.Running, Exposed = exposed,
        StartedAt = DateTimeOffset.Parse("2026-06-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static EventRecord Event(string kind, long at, string container, string workload, string path) => new()
    {
        Kind = kind, Time = At(at), ContainerId = container, Workload = workload, Path = path, Process = "node", Pid = 4242,
    };

    public static ProfileRecord Profile(string workload, string mode) => new()
    {
        Workload = workload,
        Mode = Enum.Parse<WorkloadMode>(mode, ignoreCase: true),
        Profile = new ProfileModel
        {
            Exec = ["/usr/bin/node"],
            Files = ["/app/**", "/etc/ssl/certs/"],
            Network = [new ProfileFlow("shop/db", 5432), new ProfileFlow("203.0.113.7", 443) { Protocol = "tcp" }],
        },
    };

    /// <summary>An alert; <paramref name="action"/> as the wire names it (none, detected, blocked, killed, kill-failed, …).</summary>
    public static AlertRecord Alert(string id, string rule, string severity, long eventAt, string container, string workload, string action = "none", long? actionAt = null)
    {
        Assert.True(WireEnumConverter<AlertResponse>.TryParse(action, out var response), action);
        return new AlertRecord
        {
            Id = id, Rule = rule, Severity = Enum.Parse<AlertSeverity>(severity, ignoreCase: true), EventTime = At(eventAt), Time = At(eventAt + 35),
            ContainerId = container, Workload = workload, Action = response, ActionTime = actionAt is { } a ? At(a) : null, Output = "/tmp/x started by node",
        };
    }
}
