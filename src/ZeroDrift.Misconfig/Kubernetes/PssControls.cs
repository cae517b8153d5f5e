namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>The Pod Security Standards profiles, from the most permissive to the most restrictive.</summary>
public enum PssLevel
{
    Privileged,
    Baseline,
    Restricted,
}

/// <summary>One control of the Pod Security Standards as ZeroDrift reports it: its rule id, the control's name on
/// kubernetes.io/docs/concepts/security/pod-security-standards, and the lowest level that forbids what it flags.</summary>
public sealed record PssControl(string RuleId, string Name, PssLevel Level)
{
    /// <summary>The level as reports write it: <c>baseline</c> or <c>restricted</c>.</summary>
    public string LevelName { get; } = Level.ToString().ToLowerInvariant();
}

/// <summary>
/// ZeroDrift's misconfiguration rule for each Pod Security Standards control. A control the standard lists under both
/// profiles with a stricter restricted form (Capabilities, Seccomp) has a rule per level, as Kubernetes has a check per
/// level: each rule has one level, so a report filtered by rule id is filtered by level, and the documented ranges hold
/// (ZD-K8S-001…012 baseline, 013…018 restricted).
/// </summary>
public static class PssControls
{
    public static IReadOnlyList<PssControl> All { get; } =
    [
        new("ZD-K8S-001", "HostProcess", PssLevel.Baseline),
        new("ZD-K8S-002", "Host Namespaces", PssLevel.Baseline),
        new("ZD-K8S-003", "Privileged Containers", PssLevel.Baseline),
        new("ZD-K8S-004", "Capabilities", PssLevel.Baseline),
        new("ZD-K8S-005", "HostPath Volumes", PssLevel.Baseline),
        new("ZD-K8S-006", "Host Ports", PssLevel.Baseline),
        new("ZD-K8S-007", "AppArmor", PssLevel.Baseline),
        new("ZD-K8S-008", "SELinux", PssLevel.Baseline),
        new("ZD-K8S-009", "/proc Mount Type", PssLevel.Baseline),
        new("ZD-K8S-010", "Seccomp", PssLevel.Baseline),
        new("ZD-K8S-011", "Sysctls", PssLevel.Baseline),
        new("ZD-K8S-012", "Host Probes / Lifecycle Hooks", PssLevel.Baseline),
        new("ZD-K8S-013", "Volume Types", PssLevel.Restricted),
        new("ZD-K8S-014", "Privilege Escalation", PssLevel.Restricted),
        new("ZD-K8S-015", "Running as Non-root", PssLevel.Restricted),
        new("ZD-K8S-016", "Running as Non-root user", PssLevel.Restricted),
        new("ZD-K8S-017", "Seccomp", PssLevel.Restricted),
        new("ZD-K8S-018", "Capabilities", PssLevel.Restricted),
    ];

    /// <summary>
    /// The restricted /proc ban for a pod in its own user namespace (Kubernetes' <c>procMount_restricted</c>, policy v1.35
    /// on), reported under ZD-K8S-015 with the control it checks. From v1.35 such a pod may run as root, inside its user
    /// namespace, and is no longer asked for runAsNonRoot: what the restricted profile asks of it instead is a masked
    /// /proc. It cannot take a rule of its own without leaving the restricted range, nor ZD-K8S-009's, which is baseline.
    /// </summary>
    public static PssControl UserNamespaceProcMount { get; } = new("ZD-K8S-015", "/proc Mount Type", PssLevel.Restricted);

    private static readonly Dictionary<string, PssControl> ByRule = All.ToDictionary(c => c.RuleId, StringComparer.Ordinal);

    /// <summary>The control a rule checks; null for rules beyond the standard (ZD-K8S-020 on, Dockerfile, Compose, custom).
    /// A finding names its own control, which differs only for <see cref="UserNamespaceProcMount"/>.</summary>
    public static PssControl? Of(string ruleId) => ByRule.GetValueOrDefault(ruleId);
}
