using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Misconfig;

public sealed record MisconfigOptions
{
    /// <summary>Files of custom checks in CEL (the CLI's <c>--config-check</c>); see docs/misconfig.md.</summary>
    public IReadOnlyList<string> CustomCheckFiles { get; init; } = [];

    /// <summary>The Pod Security Standards policy version Kubernetes manifests are judged at (the CLI's <c>--pss-version</c>).</summary>
    public Kubernetes.PssVersion PssVersion { get; init; } = Kubernetes.PssVersion.Newest;

    /// <summary>YAML and JSON files larger than this are not read as manifests.</summary>
    public long MaxManifestBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Dockerfiles larger than this are not read.</summary>
    public long MaxDockerfileBytes { get; init; } = 1024 * 1024;

    /// <summary>Limits on custom CEL checks: expression size and nesting, cost and time per check per document.</summary>
    public Custom.CelLimits CelLimits { get; init; } = Custom.CelLimits.Default;

    /// <summary>The budget of each file read: nesting, nodes (aliases counted as what they expand to), bytes, time.</summary>
    public ParseBudget Budget { get; init; } = ParseBudget.Default;
}
