using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Kubernetes;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Admission;

/// <summary>
/// The policy engine's Pod Security Standards evaluator: <see cref="PodSecurityStandards"/> from the misconfiguration
/// checks, behind Supply's <see cref="IPodSecurityEvaluator"/>. It lives here, where policy and checks are composed
/// (Supply and Misconfig know nothing of each other), and both the webhook and <c>zerodrift policy check</c> use it, so
/// a pod gets the same answer on a laptop, in CI and at admission. It judges at one Pod Security policy version
/// (<c>--pss-version</c>), as Kubernetes' own admission judges a namespace at its <c>enforce-version</c>.
/// </summary>
public sealed class MisconfigPodSecurity(PssVersion version) : IPodSecurityEvaluator
{
    /// <summary>The evaluator at the newest policy version.</summary>
    public static readonly MisconfigPodSecurity Instance = new(PssVersion.Newest);

    public PssVersion Version => version;

    /// <summary>Most pod specs judged remembered. A rollout sends the same spec once per replica (the ReplicaSet controller
    /// creates identical pods), so the answer is remembered by the spec's text: the judgement is a pure function of it.</summary>
    private const int MaxRemembered = 4096;

    /// <summary>Longest spec text remembered (real pod specs are a few KiB): larger, possibly hostile, specs are judged every
    /// time rather than kept, so the memo stays within a few tens of MiB whatever the requests.</summary>
    private const int MaxRememberedSpecLength = 16 * 1024;

    private readonly ConcurrentDictionary<(string Spec, string? Annotations, PodSecurityLevel Level), string[]> _remembered = new();

    public IReadOnlyList<string> Violations(JsonObject podSpec, JsonObject? podMetadata, PodSecurityLevel level)
    {
        if (level == PodSecurityLevel.Privileged) return [];
        var key = (podSpec.ToJsonString(), podMetadata?["annotations"]?.ToJsonString(), level);
        if (_remembered.TryGetValue(key, out var known)) return known;
        var violations = Evaluate(podSpec, podMetadata, level, version);
        if (key.Item1.Length + (key.Item2?.Length ?? 0) > MaxRememberedSpecLength) return violations;
        if (_remembered.Count >= MaxRemembered) _remembered.Clear();
        _remembered[key] = violations;
        return violations;
    }

    private static string[] Evaluate(JsonObject podSpec, JsonObject? podMetadata, PodSecurityLevel level, PssVersion version)
    {
        PssResult result;
        try
        {
            result = PodSecurityStandards.Evaluate(YamlDocuments.FromJson(podSpec), podMetadata is null ? null : YamlDocuments.FromJson(podMetadata), version: version);
        }
        catch (DocumentException e)
        {
            return [$"the pod spec cannot be judged: {e.Message}"];
        }
        var wanted = level == PodSecurityLevel.Restricted ? PssLevel.Restricted : PssLevel.Baseline;
        return [.. result.Violations.Where(v => v.Level <= wanted).Select(v => v.Message).Distinct(StringComparer.Ordinal)];
    }
}
