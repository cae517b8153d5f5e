using ZeroDrift.Core;
using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>--check-registry against the real npm and NuGet registries.</summary>
[Collection(AdvisoryCollection.Name)]
public sealed class RegistryCheckTests(AdvisoryDatabase db)
{
    [RegistryFact("https://registry.npmjs.org/lodash")]
    public async Task Npm_confirms_published_versions_and_denies_unpublished_ones()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var registry = new RegistryCheck(http);
        Assert.True(await registry.ExistsAsync(Ecosystem.Npm, "lodash", "4.17.21", CancellationToken.None));
        Assert.False(await registry.ExistsAsync(Ecosystem.Npm, "lodash", "4.17.999", CancellationToken.None));
        Assert.True(await registry.ExistsAsync(Ecosystem.Npm, "@types/node", "20.0.0", CancellationToken.None));
        Assert.Null(await registry.ExistsAsync(Ecosystem.PyPI, "jinja2", "2.11.3", CancellationToken.None));
    }

    [RegistryFact("https://api.nuget.org/v3/index.json")]
    public async Task A_plan_with_the_registry_marks_the_nuget_upgrade_confirmed()
    {
        using var tree = new TempDir();
        tree.File("app/app.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Newtonsoft.Json\" Version=\"12.0.1\" /></ItemGroup></Project>\n");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        var plan = await new DependencyFixer(db.Database).PlanAsync(tree.Path, new DependencyFixOptions { AllowMajor = true, Registry = new RegistryCheck(http) }, CancellationToken.None);

        var upgrade = FixHarness.Upgrade(plan, "Newtonsoft.Json");
        Assert.Equal(("13.0.1", true), (upgrade.To, upgrade.Confirmed));
        Assert.Single(plan.Changes);
    }
}
