using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Tests.Audit;

/// <summary>
/// Audit events written from their documented schemas: the Kubernetes <c>audit.k8s.io/v1</c> Event (auditID, stage,
/// requestURI, verb, user, objectRef, responseStatus, requestObject, responseObject, annotations, timestamps) and the
/// CloudTrail record (eventVersion, userIdentity, eventTime, eventSource, eventName, awsRegion, sourceIPAddress,
/// requestParameters, responseElements, errorCode, additionalEventData, eventID).
/// </summary>
internal static class AuditEvents
{
    public static string K8sRules => Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins", "k8s_audit_rules.yaml");
    public static string CloudTrailRules => Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins", "aws_cloudtrail_rules.yaml");

    private static int _id;

    /// <summary>An audit event of a request on <paramref name="resource"/>; <paramref name="change"/> adds or replaces members.</summary>
    public static JsonObject K8s(string verb, string resource, string? name = "demo", string? ns = "default", int code = 200, string user = "alice",
        string stage = "ResponseComplete", string? subresource = null, JsonNode? request = null, Action<JsonObject>? change = null)
    {
        var id = Interlocked.Increment(ref _id);
        var path = resource == "namespaces" || ns is null ? $"/api/v1/{resource}" : $"/api/v1/namespaces/{ns}/{resource}";
        if (name is not null && verb != "create") path += "/" + name;
        if (subresource is not null) path += "/" + subresource;
        var objectRef = new JsonObject { ["resource"] = resource, ["apiVersion"] = "v1" };
        if (ns is not null) objectRef["namespace"] = ns;
        if (name is not null) objectRef["name"] = name;
        if (subresource is not null) objectRef["subresource"] = subresource;
        var e = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "audit.k8s.io/v1",
            ["level"] = "RequestResponse",
            ["auditID"] = $"7e1f1a6c-0000-4000-8000-{id:D12}",
            ["stage"] = stage,
            ["requestURI"] = path,
            ["verb"] = verb,
            ["user"] = new JsonObject { ["username"] = user, ["groups"] = new JsonArray("system:authenticated") },
            ["sourceIPs"] = new JsonArray("10.0.0.7"),
            ["userAgent"] = "kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0",
            ["objectRef"] = objectRef,
            ["responseStatus"] = new JsonObject { ["metadata"] = new JsonObject(), ["code"] = code },
            ["requestReceivedTimestamp"] = "2026-12-07T10:00:00.000000Z",
            ["stageTimestamp"] = "2026-12-07T10:00:00.012345Z",
            ["annotations"] = new JsonObject
            {
                ["authorization.k8s.io/decision"] = code == 403 ? "forbid" : "allow",
                ["authorization.k8s.io/reason"] = code == 403 ? "" : "RBAC: allowed by ClusterRoleBinding \"ops\"",
            },
        };
        if (request is not null) e["requestObject"] = request;
        if (verb == "create" && name is not null && code < 300)
            e["responseObject"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns } };
        change?.Invoke(e);
        return e;
    }

    /// <summary>A Pod as sent to create it: containers from images, and what <paramref name="spec"/> adds to its spec.</summary>
    public static JsonObject Pod(string[] images, Action<JsonObject>? spec = null, JsonObject? securityContext = null)
    {
        var containers = new JsonArray();
        for (var i = 0; i < images.Length; i++)
        {
            var c = new JsonObject { ["name"] = $"c{i}", ["image"] = images[i] };
            if (securityContext is not null) c["securityContext"] = securityContext.DeepClone();
            containers.Add(c);
        }
        var s = new JsonObject { ["containers"] = containers };
        spec?.Invoke(s);
        return new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = "demo" }, ["spec"] = s };
    }

    public static JsonObject Role(string kind, string[] verbs, string[] resources) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["metadata"] = new JsonObject { ["name"] = "demo" },
        ["rules"] = new JsonArray(new JsonObject
        {
            ["apiGroups"] = new JsonArray(""),
            ["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)r!)]),
            ["verbs"] = new JsonArray([.. verbs.Select(v => (JsonNode)v!)]),
        }),
    };

    public static JsonObject Binding(string kind, string role) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["metadata"] = new JsonObject { ["name"] = "demo" },
        ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = "mallory", ["apiGroup"] = "rbac.authorization.k8s.io" }),
        ["roleRef"] = new JsonObject { ["kind"] = "ClusterRole", ["name"] = role, ["apiGroup"] = "rbac.authorization.k8s.io" },
    };

    /// <summary>A CloudTrail record of an API call by an IAM user; <paramref name="change"/> adds or replaces members.</summary>
    public static JsonObject Trail(string eventName, string eventSource = "iam.amazonaws.com", string? error = null, string identity = "IAMUser",
        JsonObject? request = null, JsonObject? response = null, JsonObject? additional = null, Action<JsonObject>? change = null)
    {
        var id = Interlocked.Increment(ref _id);
        var user = new JsonObject
        {
            ["type"] = identity,
            ["principalId"] = identity == "AssumedRole" ? "AROAEXAMPLE:alice" : "AIDAEXAMPLE",
            ["arn"] = identity switch
            {
                "Root" => "arn:aws:iam::123456789012:root",
                "AssumedRole" => "arn:aws:sts::123456789012:assumed-role/ops/alice",
                _ => "arn:aws:iam::123456789012:user/alice",
            },
            ["accountId"] = "123456789012",
        };
        if (identity is "IAMUser" or "Root") user["userName"] = identity == "Root" ? "root" : "alice";
        if (identity == "AssumedRole")
            user["sessionContext"] = new JsonObject { ["sessionIssuer"] = new JsonObject { ["type"] = "Role", ["userName"] = "ops" } };
        var r = new JsonObject
        {
            ["eventVersion"] = "1.08",
            ["userIdentity"] = user,
            ["eventTime"] = "2026-12-07T10:00:00Z",
            ["eventSource"] = eventSource,
            ["eventName"] = eventName,
            ["awsRegion"] = "eu-west-3",
            ["sourceIPAddress"] = "198.51.100.7",
            ["userAgent"] = "aws-cli/2.15.0",
            ["requestParameters"] = request ?? new JsonObject(),
            ["responseElements"] = response,
            ["requestID"] = $"req-{id}",
            ["eventID"] = $"3f1c0000-0000-4000-8000-{id:D12}",
            ["readOnly"] = false,
            ["eventType"] = eventName == "ConsoleLogin" ? "AwsConsoleSignIn" : "AwsApiCall",
            ["managementEvent"] = true,
            ["recipientAccountId"] = "123456789012",
        };
        if (error is not null)
        {
            r["errorCode"] = error;
            r["errorMessage"] = "User is not authorized to perform this operation";
        }
        if (additional is not null) r["additionalEventData"] = additional;
        change?.Invoke(r);
        return r;
    }

    /// <summary>Every rule the event fires (Falco's rule_matching: all).</summary>
    public static IReadOnlyList<string> Fired(RuleEngine<K8sAuditEvent> engine, JsonObject e)
    {
        using var doc = JsonDocument.Parse(e.ToJsonString());
        var ev = K8sAuditEvent.From(doc.RootElement, 1, 0, out var problem) ?? throw new InvalidOperationException(problem);
        var matches = new List<CompiledRule<K8sAuditEvent>>();
        engine.AllMatches(ev, matches);
        return [.. matches.Select(m => m.Name)];
    }

    public static IReadOnlyList<string> Fired(RuleEngine<CloudTrailEvent> engine, JsonObject e)
    {
        using var doc = JsonDocument.Parse(e.ToJsonString());
        var ev = CloudTrailEvent.From(doc.RootElement, 1, 0, out var problem) ?? throw new InvalidOperationException(problem);
        var matches = new List<CompiledRule<CloudTrailEvent>>();
        engine.AllMatches(ev, matches);
        return [.. matches.Select(m => m.Name)];
    }

    public static RuleSet Load(string file, string? overrides = null)
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, file);
        if (overrides is not null) RuleLoader.LoadText(set, overrides, "overrides.yaml");
        return set;
    }
}
