using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// Judges audit events with Falco's plugin rules: one engine per source compiled from the same rule set, each event
/// meeting its source's rules in file order. As Falco's default <c>rule_matching: first</c>, an event raises the first
/// rule it matches; with <see cref="AllMatches"/> every rule it matches.
/// </summary>
public sealed class AuditJudge
{
    private readonly List<CompiledRule<K8sAuditEvent>> _k8sMatches = [];
    private readonly List<CompiledRule<CloudTrailEvent>> _trailMatches = [];

    public RuleEngine<K8sAuditEvent> K8s { get; }
    public RuleEngine<CloudTrailEvent> CloudTrail { get; }
    public bool AllMatches { get; init; }
    /// <summary>The alerts' <c>hostname</c>: the cluster or account the events come from.</summary>
    public string Hostname { get; init; } = "zerodrift";

    public AuditJudge(RuleSet rules)
    {
        K8s = AuditSources.CompileK8sAudit(rules);
        CloudTrail = AuditSources.CompileCloudTrail(rules);
    }

    /// <summary>The rule files shipped with Falco's plugins are not embedded: the caller names them (docs/audit.md).</summary>
    public static AuditJudge FromFiles(IEnumerable<string> files, bool allMatches = false, string hostname = "zerodrift")
    {
        var set = new RuleSet();
        foreach (var file in files) RuleLoader.LoadFile(set, file);
        return new AuditJudge(set) { AllMatches = allMatches, Hostname = hostname };
    }

    public IReadOnlyList<Alert> Judge(K8sAuditEvent e)
    {
        if (!AllMatches) return K8s.FirstMatch(e) is { } rule ? [rule.CreateAlert(e, e.TimeNs, Hostname)] : [];
        _k8sMatches.Clear();
        K8s.AllMatches(e, _k8sMatches);
        return [.. _k8sMatches.Select(r => r.CreateAlert(e, e.TimeNs, Hostname))];
    }

    public IReadOnlyList<Alert> Judge(CloudTrailEvent e)
    {
        if (!AllMatches) return CloudTrail.FirstMatch(e) is { } rule ? [rule.CreateAlert(e, e.TimeNs, Hostname)] : [];
        _trailMatches.Clear();
        CloudTrail.AllMatches(e, _trailMatches);
        return [.. _trailMatches.Select(r => r.CreateAlert(e, e.TimeNs, Hostname))];
    }
}
