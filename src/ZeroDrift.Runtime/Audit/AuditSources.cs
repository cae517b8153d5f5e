using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// The two audit sources and how their rules are judged and compiled: Kubernetes audit events (<c>k8s_audit</c>) and
/// AWS CloudTrail records (<c>aws_cloudtrail</c>), each with its field table and capture profile. Both inputs give
/// every field the plugins define, so a rule is evaluated unless it names a field neither plugin has, or can never be
/// true as its file ships it.
/// </summary>
public static class AuditSources
{
    public const string K8sAudit = "k8s_audit";
    public const string CloudTrail = "aws_cloudtrail";

    /// <summary>
    /// Audit events have no <c>evt.type</c>: one pseudo type stands for "any event of the source", and the times and
    /// sequence numbers every event carries let the judge see through the files' placeholder macros.
    /// </summary>
    public static CaptureProfile Profile(string source) => new()
    {
        EventTypes = new HashSet<string>(StringComparer.Ordinal) { source },
        PositiveNumbers = new HashSet<string>(StringComparer.Ordinal) { "jevt.rawtime", "json.rawtime", "evt.num", "evt.time", "evt.rawtime" },
    };

    public static RuleEngine<K8sAuditEvent> CompileK8sAudit(RuleSet set) =>
        RuleEngine<K8sAuditEvent>.Compile(set, K8sAuditFields.Table, Profile(K8sAudit), K8sAudit);

    public static RuleEngine<CloudTrailEvent> CompileCloudTrail(RuleSet set) =>
        RuleEngine<CloudTrailEvent>.Compile(set, CloudTrailFields.Table, Profile(CloudTrail), CloudTrail);
}
