using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Policy;

/// <summary>
/// Checks a pod spec against a Pod Security Standards level and returns each violation as one sentence. The policy
/// engine depends on this interface only: the evaluator itself is the misconfiguration checks'
/// (<c>ZeroDrift.Misconfig.Kubernetes.PodSecurityStandards</c>), plugged in by whoever composes the engine
/// (<c>ZeroDrift.Admission.MisconfigPodSecurity</c>), so that <c>scan --scanners misconfig</c>, <c>policy check</c> and
/// admission judge a pod the same way.
/// </summary>
public interface IPodSecurityEvaluator
{
    /// <param name="podMetadata">The pod's (or pod template's) metadata, for the AppArmor annotations; null when absent.</param>
    IReadOnlyList<string> Violations(JsonObject podSpec, JsonObject? podMetadata, PodSecurityLevel level);
}
