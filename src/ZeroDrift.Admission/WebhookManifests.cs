using System.Text;

namespace ZeroDrift.Admission;

/// <summary>Where the API server reaches the webhook: an in-cluster Service, or a URL.</summary>
public sealed record WebhookTarget(string? ServiceName, string ServiceNamespace, int Port, string? Url);

/// <summary>
/// The ValidatingWebhookConfiguration and MutatingWebhookConfiguration for the webhook, with the CA bundle that signed its
/// certificate, covering Pods and every built-in kind with a pod template. The webhook's own namespace is excluded so
/// that it can always be restarted, and <c>failurePolicy</c> is <c>Fail</c> by default (fail closed: an image that could not
/// be verified does not run); docs/admission.md explains when <c>Ignore</c> is acceptable.
/// </summary>
public static class WebhookManifests
{
    public const string Name = "zerodrift.dev";

    private static readonly (string Group, string[] Resources)[] Rules =
    [
        ("\"\"", ["pods", "replicationcontrollers", "podtemplates"]),
        ("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
        ("batch", ["jobs", "cronjobs"]),
    ];

    public static string Render(string caBundlePem, WebhookTarget target, string failurePolicy = "Fail", int timeoutSeconds = 10)
    {
        if (failurePolicy is not ("Fail" or "Ignore")) throw new Supply.SupplyException($"failurePolicy must be Fail or Ignore, not '{failurePolicy}'");
        if (timeoutSeconds is < 1 or > 30) throw new Supply.SupplyException("timeoutSeconds must be between 1 and 30 (the API server's range)");
        if (!caBundlePem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)) throw new Supply.SupplyException("the CA bundle holds no PEM certificate");
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caBundlePem.Trim() + "\n"));
        var text = new StringBuilder();
        Append(text, "ValidatingWebhookConfiguration", "validate", ca, target, failurePolicy, timeoutSeconds, mutating: false);
        text.Append("---\n");
        Append(text, "MutatingWebhookConfiguration", "mutate", ca, target, failurePolicy, timeoutSeconds, mutating: true);
        return text.ToString();
    }

    private static void Append(StringBuilder t, string kind, string path, string ca, WebhookTarget target, string failurePolicy, int timeout, bool mutating)
    {
        t.Append("apiVersion: admissionregistration.k8s.io/v1\n");
        t.Append($"kind: {kind}\n");
        t.Append($"metadata:\n  name: zerodrift-{path}\n");
        t.Append("webhooks:\n");
        t.Append($"  - name: {path}.{Name}\n");
        t.Append("    admissionReviewVersions: [\"v1\"]\n");
        t.Append("    sideEffects: None\n");
        t.Append($"    failurePolicy: {failurePolicy}\n");
        t.Append("    matchPolicy: Equivalent\n");
        t.Append($"    timeoutSeconds: {timeout}\n");
        if (mutating) t.Append("    reinvocationPolicy: IfNeeded\n");
        t.Append("    clientConfig:\n");
        if (target.Url is { } url)
            t.Append($"      url: \"{url.TrimEnd('/')}/{path}\"\n");
        else
            t.Append($"      service:\n        name: {target.ServiceName}\n        namespace: {target.ServiceNamespace}\n        port: {target.Port}\n        path: /{path}\n");
        t.Append($"      caBundle: {ca}\n");
        t.Append("    namespaceSelector:\n      matchExpressions:\n");
        t.Append($"        - key: kubernetes.io/metadata.name\n          operator: NotIn\n          values: [\"kube-system\", \"{target.ServiceNamespace}\"]\n");
        t.Append("    rules:\n");
        foreach (var (group, resources) in Rules)
        {
            t.Append($"      - apiGroups: [{group}]\n        apiVersions: [\"*\"]\n        operations: [\"CREATE\", \"UPDATE\"]\n");
            t.Append($"        resources: [{string.Join(", ", resources.Select(r => $"\"{r}\""))}]\n        scope: \"Namespaced\"\n");
        }
    }
}
