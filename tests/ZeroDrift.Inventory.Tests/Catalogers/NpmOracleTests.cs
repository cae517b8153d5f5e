using System.Text.Json;
using ZeroDrift.Inventory.Catalogers.Npm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// A real project installed by the real npm from the registry, once for the class: what npm itself reports
/// (`npm ls --all --json`) is what our package-lock.json and node_modules catalogers must find. Without npm or
/// the registry these tests fail with npm's own message rather than pass.
/// </summary>
public sealed class NpmProjectFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public string Root => _dir.Path;

    public Exception? SetupError { get; }

    /// <summary>npm's own view: every name@version, every parent → child edge, and what remains without dev dependencies.</summary>
    public HashSet<string> All { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Edges { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Production { get; } = new(StringComparer.Ordinal);

    public NpmProjectFixture()
    {
        // chalk and debug bring transitive dependencies; ms as a dev dependency at 2.1.3 forces debug's ms 2.1.2 into
        // a nested node_modules, which the lockfile graph must resolve the node way.
        _dir.File("package.json", """
            {
              "name": "zerodrift-npm-oracle",
              "version": "1.0.0",
              "private": true,
              "dependencies": { "is-number": "7.0.0", "debug": "4.3.4", "chalk": "4.1.2" },
              "devDependencies": { "ms": "2.1.3" }
            }
            """);
        try
        {
            LockfileHarness.Tool(Root, TimeSpan.FromMinutes(5), "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
            Flatten(JsonDocument.Parse(LockfileHarness.Tool(Root, TimeSpan.FromMinutes(1), "npm", "ls", "--all", "--json")).RootElement, null, All, Edges);
            Flatten(JsonDocument.Parse(LockfileHarness.Tool(Root, TimeSpan.FromMinutes(1), "npm", "ls", "--all", "--json", "--omit=dev")).RootElement, null, Production, null);
        }
        catch (Exception e)
        {
            SetupError = e;
        }
    }

    private static void Flatten(JsonElement node, string? parent, HashSet<string> all, HashSet<string>? edges)
    {
        if (!node.TryGetProperty("dependencies", out var children)) return;
        foreach (var child in children.EnumerateObject())
        {
            if (!child.Value.TryGetProperty("version", out var version)) continue;
            var id = $"{child.Name}@{version.GetString()}";
            all.Add(id);
            if (parent is not null) edges?.Add($"{parent} -> {id}");
            Flatten(child.Value, id, all, edges);
        }
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class NpmOracleTests(NpmProjectFixture project) : IClassFixture<NpmProjectFixture>
{
    private void RequireNpm()
    {
        if (project.SetupError is { } error)
            throw new Xunit.Sdk.XunitException("npm oracle unavailable (npm and the npm registry are required): " + error.Message);
        Assert.True(project.All.Count >= 9, $"npm ls found only {project.All.Count} packages");
    }

    [Fact]
    public void Package_lock_finds_what_npm_ls_reports()
    {
        RequireNpm();
        var result = LockfileHarness.Run(new NpmLockCataloger(), project.Root, "package-lock.json");
        Assert.Equal(project.All.Order(StringComparer.Ordinal), result.NameVersions().Order(StringComparer.Ordinal));
        Assert.Equal(project.Edges.Order(StringComparer.Ordinal), result.Edges().Order(StringComparer.Ordinal));
        var production = result.Packages.Where(p => !p.Dev).Select(p => $"{p.Name}@{p.Version}");
        Assert.Equal(project.Production.Order(StringComparer.Ordinal), production.Order(StringComparer.Ordinal));
        // The case that needs node's resolution: debug 4.3.4 gets its nested ms 2.1.2, not the hoisted dev ms 2.1.3.
        Assert.Contains("debug@4.3.4 -> ms@2.1.2", result.Edges());
        Assert.True(result.Get("pkg:npm/ms@2.1.3").Dev);
        Assert.Equal(["MIT"], result.Get("pkg:npm/chalk@4.1.2").Licenses);
    }

    [Fact]
    public void Installed_node_modules_match_what_npm_ls_reports()
    {
        RequireNpm();
        var inventory = LockfileHarness.Scan(project.Root, new NpmInstalledCataloger());
        Assert.Empty(inventory.Warnings);
        var found = inventory.Packages.Select(p => $"{p.Name}@{p.Version}").ToHashSet(StringComparer.Ordinal);
        Assert.Equal(project.All.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        var nested = inventory.Packages.Single(p => p.Locations[0].Path == "/node_modules/debug/node_modules/ms/package.json");
        Assert.Equal("pkg:npm/ms@2.1.2", nested.Purl.ToString());
        Assert.Equal(["MIT"], inventory.Packages.Single(p => p.Name == "chalk").Licenses);
    }
}
