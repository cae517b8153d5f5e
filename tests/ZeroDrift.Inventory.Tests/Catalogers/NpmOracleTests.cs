using System.Text.Json;
using ZeroDrift.Inventory.Catalogers.Npm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// One small real project installed from the npm registry by the real package managers, once for the class:
/// npm (lockfile v3 and node_modules), Yarn classic, and pnpm 7, 8 and 9 (lockfile 5.4, 6.0 and 9.0), the last
/// two run with npx at pinned versions. What each tool lists itself (`npm ls`, `yarn list`, `pnpm ls`) is what
/// our catalogers must find. Without the tools or the registry these tests fail with the tool's own message.
/// </summary>
public sealed class JsProjectsFixture : IDisposable
{
    // chalk and debug bring transitive dependencies; ms as a dev dependency at 2.1.3 forces debug's ms 2.1.2 into
    // a nested node_modules under npm, which the lockfile graph must resolve the node way.
    private const string PackageJson = """
        {
          "name": "zerodrift-npm-oracle",
          "version": "1.0.0",
          "private": true,
          "dependencies": { "is-number": "7.0.0", "debug": "4.3.4", "chalk": "4.1.2" },
          "devDependencies": { "ms": "2.1.3" }
        }
        """;

    private readonly TempDir _dir = new();

    /// <summary>What one tool installed and reports: every name@version, parent → child edges, the non-dev subset.</summary>
    public sealed class Install
    {
        public required string Root { get; init; }
        public Exception? Error { get; set; }
        public HashSet<string> All { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Edges { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Production { get; } = new(StringComparer.Ordinal);

        public void Require()
        {
            if (Error is not null)
                throw new Xunit.Sdk.XunitException($"oracle install in {Root} unavailable (npm, npx and the npm registry are required): {Error.Message}");
            Assert.True(All.Count >= 4, $"the package manager listed only {All.Count} packages");
        }
    }

    public Install Npm { get; }

    /// <summary>npm with a workspace (a linked folder) and an alias ("isnum6": "npm:is-number@6.0.0"); npm ls names aliases by their alias.</summary>
    public Install NpmWorkspace { get; }
    public Install Yarn { get; }

    /// <summary>Yarn Berry (4.x, run from its npm distribution): yarn.lock in YAML, metadata version 8.</summary>
    public Install YarnBerry { get; }
    public Install Pnpm7 { get; }
    public Install Pnpm8 { get; }
    public Install Pnpm9 { get; }

    public JsProjectsFixture()
    {
        Npm = Run("npm", root =>
        {
            LockfileHarness.Tool(root, TimeSpan.FromMinutes(5), "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
            var all = new Install { Root = root };
            FlattenNpm(Parse(LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npm", "ls", "--all", "--json")), null, all.All, all.Edges);
            FlattenNpm(Parse(LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npm", "ls", "--all", "--json", "--omit=dev")), null, all.Production, null);
            return all;
        });
        NpmWorkspace = Run("npm-workspace", root =>
        {
            _dir.File("npm-workspace/package.json", """
                { "name": "ws-root", "version": "1.0.0", "private": true, "workspaces": ["packages/*"],
                  "dependencies": { "is-number": "7.0.0", "isnum6": "npm:is-number@6.0.0" } }
                """);
            _dir.File("npm-workspace/packages/lib/package.json", """
                { "name": "@ws/lib", "version": "0.3.0", "license": "Apache-2.0", "dependencies": { "ms": "2.1.3", "is-number": "7.0.0" } }
                """);
            LockfileHarness.Tool(root, TimeSpan.FromMinutes(5), "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
            var all = new Install { Root = root };
            FlattenNpm(Parse(LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npm", "ls", "--all", "--json")), null, all.All, all.Edges);
            return all;
        });
        Yarn = Run("yarn", root =>
        {
            LockfileHarness.Tool(root, TimeSpan.FromMinutes(5), "npx", "--yes", "yarn@1.22.22", "install", "--ignore-scripts", "--non-interactive", "--no-progress");
            var all = new Install { Root = root };
            var list = Parse(LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npx", "--yes", "yarn@1.22.22", "list", "--json", "--no-progress"));
            FlattenYarn(list.GetProperty("data").GetProperty("trees"), all.All);
            return all;
        });
        YarnBerry = Run("yarn-berry", root =>
        {
            string[] yarn = ["--yes", "-p", "@yarnpkg/cli-dist@4.9.4", "yarn"];
            LockfileHarness.Tool(root, TimeSpan.FromMinutes(5), "npx", [.. yarn, "install", "--mode=skip-build"]);
            var all = new Install { Root = root };
            // One JSON object a line: {"value": "chalk@npm:4.1.2", "children": {"Dependencies": [{"locator": "ansi-styles@npm:4.3.0"}]}}.
            foreach (var line in LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npx", [.. yarn, "info", "--all", "--recursive", "--json"])
                         .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var info = Parse(line);
                if (BerryLocator(info.GetProperty("value").GetString()!) is not { } package) continue;
                all.All.Add(package);
                if (info.GetProperty("children").TryGetProperty("Dependencies", out var dependencies))
                    foreach (var dependency in dependencies.EnumerateArray())
                        if (BerryLocator(dependency.GetProperty("locator").GetString()!) is { } target)
                            all.Edges.Add($"{package} -> {target}");
            }
            return all;
        });
        Pnpm7 = Run("pnpm7", root => RunPnpm(root, "pnpm@7.33.7"));
        Pnpm8 = Run("pnpm8", root => RunPnpm(root, "pnpm@8.15.9"));
        Pnpm9 = Run("pnpm9", root => RunPnpm(root, "pnpm@9.15.9"));
    }

    private Install Run(string name, Func<string, Install> install)
    {
        var root = _dir.Combine(name);
        if (!File.Exists(Path.Combine(root, "package.json"))) _dir.File(name + "/package.json", PackageJson);
        try { return install(root); }
        catch (Exception e) { return new Install { Root = root, Error = e }; }
    }

    private static Install RunPnpm(string root, string pnpm)
    {
        LockfileHarness.Tool(root, TimeSpan.FromMinutes(5), "npx", "--yes", pnpm, "install", "--ignore-scripts", "--reporter=silent");
        var all = new Install { Root = root };
        var project = Parse(LockfileHarness.Tool(root, TimeSpan.FromMinutes(1), "npx", "--yes", pnpm, "ls", "--depth", "Infinity", "--json"))[0];
        var prod = new HashSet<string>(StringComparer.Ordinal);
        var dev = new HashSet<string>(StringComparer.Ordinal);
        FlattenNpm(project, null, prod, all.Edges);
        if (project.TryGetProperty("devDependencies", out var devDependencies)) FlattenNpm(devDependencies, null, dev, all.Edges, childrenOf: null);
        all.All.UnionWith(prod);
        all.All.UnionWith(dev);
        all.Production.UnionWith(prod);
        return all;
    }

    /// <summary>"name@npm:1.2.3" → "name@1.2.3"; null for workspaces and other non-registry locators.</summary>
    private static string? BerryLocator(string locator)
    {
        var at = locator.IndexOf("@npm:", 1, StringComparison.Ordinal);
        return at < 0 ? null : $"{locator[..at]}@{locator[(at + 5)..]}";
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    /// <summary>npm ls / pnpm ls trees: {"dependencies": {name: {"version", "dependencies"}}}.</summary>
    private static void FlattenNpm(JsonElement node, string? parent, HashSet<string> all, HashSet<string>? edges, string? childrenOf = "dependencies")
    {
        JsonElement children = node;
        if (childrenOf is not null && !node.TryGetProperty(childrenOf, out children)) return;
        foreach (var child in children.EnumerateObject())
        {
            if (!child.Value.TryGetProperty("version", out var version)) continue;
            var id = $"{child.Name}@{version.GetString()}";
            all.Add(id);
            if (parent is not null) edges?.Add($"{parent} -> {id}");
            FlattenNpm(child.Value, id, all, edges);
        }
    }

    /// <summary>yarn list: trees of {"name": "pkg@1.2.3", "children": […]}; "shadow" nodes repeat a range, not a package.</summary>
    private static void FlattenYarn(JsonElement trees, HashSet<string> all)
    {
        foreach (var tree in trees.EnumerateArray())
        {
            if (tree.TryGetProperty("shadow", out var shadow) && shadow.ValueKind == JsonValueKind.True) continue;
            all.Add(tree.GetProperty("name").GetString()!);
            if (tree.TryGetProperty("children", out var children)) FlattenYarn(children, all);
        }
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class NpmOracleTests(JsProjectsFixture projects) : IClassFixture<JsProjectsFixture>
{
    private static IOrderedEnumerable<string> Sorted(IEnumerable<string> items) => items.Order(StringComparer.Ordinal);

    [Fact]
    public void Package_lock_finds_what_npm_ls_reports()
    {
        var npm = projects.Npm;
        npm.Require();
        var result = LockfileHarness.Run(new NpmLockCataloger(), npm.Root, "package-lock.json");
        Assert.Equal(Sorted(npm.All), Sorted(result.NameVersions()));
        Assert.Equal(Sorted(npm.Edges), Sorted(result.Edges()));
        Assert.Equal(Sorted(npm.Production), Sorted(result.Packages.Where(p => !p.Dev).Select(p => $"{p.Name}@{p.Version}")));
        // The case that needs node's resolution: debug 4.3.4 gets its nested ms 2.1.2, not the hoisted dev ms 2.1.3.
        Assert.Contains("debug@4.3.4 -> ms@2.1.2", result.Edges());
        Assert.True(result.Get("pkg:npm/ms@2.1.3").Dev);
        Assert.Equal(["MIT"], result.Get("pkg:npm/chalk@4.1.2").Licenses);
    }

    [Fact]
    public void Package_lock_resolves_workspace_links_and_aliases_as_npm_does()
    {
        var npm = projects.NpmWorkspace;
        npm.Require();
        var result = LockfileHarness.Run(new NpmLockCataloger(), npm.Root, "package-lock.json");
        // npm ls names an aliased package by its alias; we name it by the package it is, and keep the alias.
        string Listed(Core.Package p) => $"{(p.Metadata.TryGetValue("alias", out var alias) ? alias : p.Name)}@{p.Version}";
        Assert.Equal(Sorted(npm.All), Sorted(result.Packages.Select(Listed)));
        var byId = result.Packages.ToDictionary(p => p.Id, Listed);
        Assert.Equal(Sorted(npm.Edges), Sorted(result.Packages.SelectMany(p => p.DependsOn.Select(d => $"{Listed(p)} -> {byId[d]}"))));
        Assert.Equal("is-number", result.Get("pkg:npm/is-number@6.0.0").Name);
        var workspace = result.Get("pkg:npm/%40ws/lib@0.3.0");
        Assert.Equal(["Apache-2.0"], workspace.Licenses);
        Assert.Equal(["pkg:npm/is-number@7.0.0", "pkg:npm/ms@2.1.3"], result.DependenciesOf("pkg:npm/%40ws/lib@0.3.0"));
    }

    [Fact]
    public void Installed_node_modules_match_what_npm_ls_reports()
    {
        var npm = projects.Npm;
        npm.Require();
        var inventory = LockfileHarness.Scan(npm.Root, new NpmInstalledCataloger());
        Assert.Empty(inventory.Warnings);
        Assert.Equal(Sorted(npm.All), Sorted(inventory.Packages.Select(p => $"{p.Name}@{p.Version}").Distinct()));
        Assert.Equal(Sorted(npm.Edges), Sorted(Edges(inventory.Packages)));
        var nested = inventory.Packages.Single(p => p.Locations[0].Path == "/node_modules/debug/node_modules/ms/package.json");
        Assert.Equal("pkg:npm/ms@2.1.2", nested.Purl.ToString());
        Assert.Equal(["MIT"], inventory.Packages.Single(p => p.Name == "chalk").Licenses);
    }

    [Fact]
    public void Installed_pnpm_store_layout_matches_what_pnpm_ls_reports()
    {
        var pnpm = projects.Pnpm9;
        pnpm.Require();
        var inventory = LockfileHarness.Scan(pnpm.Root, new NpmInstalledCataloger());
        Assert.Empty(inventory.Warnings);
        // Each package once, in node_modules/.pnpm/NAME@VERSION/node_modules/NAME; the links to it are not walked.
        Assert.Equal(Sorted(pnpm.All), Sorted(inventory.Packages.Select(p => $"{p.Name}@{p.Version}")));
        Assert.All(inventory.Packages, p => Assert.StartsWith("/node_modules/.pnpm/", p.Locations[0].Path, StringComparison.Ordinal));
        // Dependencies are found through pnpm's symlinks, as node finds them.
        Assert.Equal(Sorted(pnpm.Edges), Sorted(Edges(inventory.Packages)));
    }

    private static IEnumerable<string> Edges(IReadOnlyList<Core.Package> packages)
    {
        var byId = packages.ToDictionary(p => p.Id, p => $"{p.Name}@{p.Version}");
        return packages.SelectMany(p => p.DependsOn.Select(d => $"{p.Name}@{p.Version} -> {byId[d]}")).Distinct();
    }

    [Fact]
    public void Yarn_classic_lock_finds_what_yarn_list_reports_and_npm_graph()
    {
        var yarn = projects.Yarn;
        yarn.Require();
        var result = LockfileHarness.Run(new YarnLockCataloger(), yarn.Root, "yarn.lock");
        Assert.Equal(Sorted(yarn.All), Sorted(result.NameVersions()));
        // Same package.json, same registry: yarn's graph is npm's.
        if (projects.Npm.Error is null) Assert.Equal(Sorted(projects.Npm.Edges), Sorted(result.Edges()));
    }

    [Fact]
    public void Yarn_berry_lock_finds_what_yarn_info_reports()
    {
        var yarn = projects.YarnBerry;
        yarn.Require();
        var result = LockfileHarness.Run(new YarnLockCataloger(), yarn.Root, "yarn.lock");
        Assert.Equal(Sorted(yarn.All), Sorted(result.NameVersions()));
        Assert.Equal(Sorted(yarn.Edges), Sorted(result.Edges()));
        Assert.StartsWith("10c0/", result.Get("pkg:npm/chalk@4.1.2").Metadata["checksum"], StringComparison.Ordinal);
    }

    [Fact]
    public void Pnpm_lock_5_4_finds_what_pnpm_7_ls_reports() => CheckPnpm(projects.Pnpm7, "5.4");

    [Fact]
    public void Pnpm_lock_6_0_finds_what_pnpm_8_ls_reports() => CheckPnpm(projects.Pnpm8, "6");

    [Fact]
    public void Pnpm_lock_9_0_finds_what_pnpm_9_ls_reports() => CheckPnpm(projects.Pnpm9, "9");

    private static void CheckPnpm(JsProjectsFixture.Install pnpm, string lockfileVersion)
    {
        pnpm.Require();
        var result = LockfileHarness.Run(new PnpmLockCataloger(), pnpm.Root, "pnpm-lock.yaml");
        Assert.All(result.Packages, p => Assert.Equal(lockfileVersion, p.Metadata["lockfileVersion"]));
        Assert.Equal(Sorted(pnpm.All), Sorted(result.NameVersions()));
        Assert.Equal(Sorted(pnpm.Edges), Sorted(result.Edges()));
        Assert.Equal(Sorted(pnpm.Production), Sorted(result.Packages.Where(p => !p.Dev).Select(p => $"{p.Name}@{p.Version}")));
        Assert.True(result.Get("pkg:npm/ms@2.1.3").Dev);
    }
}
