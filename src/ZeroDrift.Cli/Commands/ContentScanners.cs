using ZeroDrift.Core.Budgets;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig;
using ZeroDrift.Secrets;
using ZeroDrift.Sensitive;

namespace ZeroDrift.Cli.Commands;

/// <summary>What the content detectors are built from: the options of one scan.</summary>
/// <param name="PiiMinItems"><c>--pii-min N</c>: report a file's sensitive data only when it holds at least N items.</param>
/// <param name="CustomCheckFiles"><c>--config-check FILE</c>: the user's CEL misconfiguration checks.</param>
/// <param name="SecretRules">A gitleaks config's rules (<c>--secret-config</c>); null = the built-in rules.</param>
/// <param name="Budget">The budget of each file parsed (from the target's limits); null = the defaults.</param>
/// <param name="PssVersion"><c>--pss-version</c>: the Pod Security policy version Kubernetes manifests are judged at; null = the newest.</param>
public sealed record ContentScannerSettings(SecretRuleSet? SecretRules, bool ShowSecrets, int PiiMinItems = 1, IReadOnlyList<string>? CustomCheckFiles = null,
    ParseBudget? Budget = null, Misconfig.Kubernetes.PssVersion? PssVersion = null);

/// <summary>
/// The content scanners <c>--scanners</c> accepts, by name. A scanner is added to ZeroDrift by one line here: its
/// name and how to build its <see cref="IContentDetector"/> from the scan's settings; null means "not in this build".
/// </summary>
public static class ContentScanners
{
    private static readonly (string Name, Func<ContentScannerSettings, IContentDetector>? Create)[] Registry =
    [
        ("secret", s => new SecretDetector(new SecretScanner(s.SecretRules ?? BuiltInRules.RuleSet), s.ShowSecrets)),
        ("pii", s => SensitiveDataDetector.Create(new SensitiveDataOptions { MinItemsPerFile = s.PiiMinItems })),
        ("misconfig", s => MisconfigDetector.Create(new MisconfigOptions
        {
            CustomCheckFiles = s.CustomCheckFiles ?? [],
            Budget = s.Budget ?? ParseBudget.Default,
            PssVersion = s.PssVersion ?? Misconfig.Kubernetes.PssVersion.Newest,
        })),
    ];

    public static IEnumerable<string> Names => Registry.Select(r => r.Name);

    public static bool IsContentScanner(string name) => Registry.Any(r => r.Name == name);

    public static IContentDetector Create(string name, ContentScannerSettings settings)
    {
        var entry = Registry.FirstOrDefault(r => r.Name == name);
        if (entry.Name is null) throw new UsageException($"--scanners {name}: unknown scanner (vuln, {string.Join(", ", Names)})");
        return entry.Create?.Invoke(settings) ?? throw new UsageException($"--scanners {name}: not in this build");
    }
}
