using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Kubernetes audit events judged by Falco's k8s_audit_rules.yaml (../shared/data/rules/falco-plugins, or
/// ZERODRIFT_BENCH_K8S_AUDIT_RULES): an EventList of <see cref="Events"/> events shaped like a cluster's audit log
/// (mostly controllers and kubelets renewing leases and reading objects, some people creating, exec-ing and reading
/// secrets). Time per operation is per event, so 1e9 / ns is events per second on one core. The reference, in the
/// same run, is parsing the same EventList with System.Text.Json alone (what any consumer pays before a rule runs).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 20)]
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class AuditEvaluationBenchmarks
{
    public const int Events = 2048;

    private byte[] _eventList = [];
    private AuditJudge _judge = null!;
    private JsonDocument _parsed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var path = Environment.GetEnvironmentVariable("ZERODRIFT_BENCH_K8S_AUDIT_RULES") ?? Find();
        _judge = AuditJudge.FromFiles([path]);
        var random = new Random(7);
        var items = new JsonArray();
        for (var i = 0; i < Events; i++) items.Add(Event(i, random));
        _eventList = Encoding.UTF8.GetBytes(new JsonObject { ["kind"] = "EventList", ["apiVersion"] = "audit.k8s.io/v1", ["items"] = items }.ToJsonString());
        _parsed = JsonDocument.Parse(_eventList);
        var alerts = JudgeAll(_parsed);
        if (alerts == 0 || alerts > Events / 4) throw new InvalidOperationException($"{alerts} alerts: the mix should raise a few");
        Console.WriteLine($"// EventList {_eventList.Length / Events} bytes per event, {alerts} alerts per {Events} events");
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed.Dispose();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ZeroDrift.slnx")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "rules", "falco-plugins", "k8s_audit_rules.yaml"));
        throw new InvalidOperationException("set ZERODRIFT_BENCH_K8S_AUDIT_RULES to Falco's k8s_audit_rules.yaml");
    }

    /// <summary>Reference: parse the EventList, nothing else.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int ParseOnly()
    {
        using var doc = JsonDocument.Parse(_eventList);
        return doc.RootElement.GetProperty("items").GetArrayLength();
    }

    /// <summary>What the webhook does per body: parse, make the events, judge each with every k8s_audit rule.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int ParseAndJudge()
    {
        using var doc = JsonDocument.Parse(_eventList);
        return JudgeAll(doc);
    }

    /// <summary>The rules alone, on an already parsed document (events made afresh, so nothing is cached between runs).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int JudgeOnly() => JudgeAll(_parsed);

    private int JudgeAll(JsonDocument doc)
    {
        var alerts = 0;
        var n = 0;
        foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            var e = K8sAuditEvent.From(item, ++n, 0, out _)!;
            if (_judge.K8s.FirstMatch(e) is not null) alerts++;
        }
        return alerts;
    }

    private static JsonObject Event(int i, Random random)
    {
        var roll = random.Next(100);
        (string User, string Verb, string Resource, string? Ns, string? Sub, int Code) shape = roll switch
        {
            < 35 => ("system:node:node-" + random.Next(20), "update", "leases", "kube-node-lease", null, 200),
            < 55 => ("system:serviceaccount:kube-system:replicaset-controller", "get", "replicasets", "shop", null, 200),
            < 70 => ("system:kube-scheduler", "create", "bindings", "shop", null, 201),
            < 80 => ("system:serviceaccount:kube-system:endpointslice-controller", "update", "endpointslices", "shop", null, 200),
            < 90 => ("kubernetes-admin", "get", "pods", "shop", null, 200),
            < 94 => ("kubernetes-admin", "list", "deployments", "shop", null, 200),
            < 96 => ("kubernetes-admin", "patch", "deployments", "shop", null, 200),
            < 98 => ("kubernetes-admin", "get", "secrets", "shop", null, 200),
            _ => ("alice", "create", "pods", "shop", "exec", 101),
        };
        var objectRef = new JsonObject { ["resource"] = shape.Resource, ["namespace"] = shape.Ns, ["name"] = $"obj-{i % 50}", ["apiVersion"] = "v1" };
        if (shape.Sub is not null) objectRef["subresource"] = shape.Sub;
        return new JsonObject
        {
            ["kind"] = "Event", ["apiVersion"] = "audit.k8s.io/v1", ["level"] = "Metadata",
            ["auditID"] = Guid.NewGuid().ToString(),
            ["stage"] = shape.Sub is not null ? "ResponseStarted" : "ResponseComplete",
            ["requestURI"] = $"/api/v1/namespaces/{shape.Ns}/{shape.Resource}/obj-{i % 50}" + (shape.Sub is not null ? "/exec?command=sh&stdin=true" : ""),
            ["verb"] = shape.Verb,
            ["user"] = new JsonObject { ["username"] = shape.User, ["groups"] = new JsonArray("system:authenticated") },
            ["sourceIPs"] = new JsonArray($"10.0.{random.Next(255)}.{random.Next(255)}"),
            ["userAgent"] = "kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:replicaset-controller",
            ["objectRef"] = objectRef,
            ["responseStatus"] = new JsonObject { ["metadata"] = new JsonObject(), ["code"] = shape.Code },
            ["requestReceivedTimestamp"] = "2026-12-07T10:00:00.000000Z",
            ["stageTimestamp"] = "2026-12-07T10:00:00.004000Z",
            ["annotations"] = new JsonObject { ["authorization.k8s.io/decision"] = "allow", ["authorization.k8s.io/reason"] = "RBAC: allowed by ClusterRoleBinding \"system:controller\"" },
        };
    }
}
