using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Inventory;
using ZeroDrift.Remediation.Dependencies;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>Plan, apply and rescan a project tree with the fixer and the scanner's own pipeline.</summary>
internal static class FixHarness
{
    public static DependencyFixPlan Plan(AdvisoryDatabase db, string root, bool allowMajor = false) =>
        new DependencyFixer(db.Database).PlanAsync(root, new DependencyFixOptions { AllowMajor = allowMajor }, CancellationToken.None).GetAwaiter().GetResult();

    public static DependencyFixPlan Apply(AdvisoryDatabase db, string root, bool allowMajor = false)
    {
        var plan = Plan(db, root, allowMajor);
        Assert.Empty(DependencyFixer.Apply(plan));
        return plan;
    }

    /// <summary>The active findings of a fresh scan, as "package version id".</summary>
    public static List<string> Findings(AdvisoryDatabase db, string root)
    {
        var inventory = InventoryScanner.Default.ScanAsync(new TargetReference(TargetKind.Directory, root), new TargetOptions(), CancellationToken.None).GetAwaiter().GetResult();
        var report = new VulnerabilityScanner(db.Database, new OsvSeverityRater()).Scan(inventory, new ScanOptions());
        return report.Active.Select(f => $"{f.Finding.Package.Name} {f.Finding.Package.Version} {f.Finding.Id}").Distinct().Order(StringComparer.Ordinal).ToList();
    }

    public static DependencyUpgrade Upgrade(DependencyFixPlan plan, string name) =>
        Assert.Single(plan.Upgrades, u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));
}
