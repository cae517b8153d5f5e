using System.Text.Json;
using ZeroDrift.Inventory.Catalogers.Php;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class PhpTests
{
    private const string ComposerLock = """
        {
            "_readme": ["This file locks the dependencies of your project to a known state"],
            "content-hash": "2f0d1e5c0b4a6c7d8e9f0a1b2c3d4e5f",
            "packages": [
                {
                    "name": "monolog/monolog",
                    "version": "3.5.0",
                    "source": {"type": "git", "url": "https://github.com/Seldaek/monolog.git", "reference": "c915e2634718dbc8a4a15c61b0e62e7a44e14448"},
                    "dist": {"type": "zip", "url": "https://api.github.com/repos/Seldaek/monolog/zipball/c915e26", "reference": "c915e2634718dbc8a4a15c61b0e62e7a44e14448", "shasum": ""},
                    "require": {"php": ">=8.1", "psr/log": "^2.0 || ^3.0"},
                    "provide": {"psr/log-implementation": "3.0.0"},
                    "require-dev": {"phpunit/phpunit": "^10.1"},
                    "type": "library",
                    "license": ["MIT"],
                    "description": "Sends your logs to files, sockets, inboxes, databases and various web services",
                    "homepage": "https://github.com/Seldaek/monolog"
                },
                {
                    "name": "psr/log",
                    "version": "3.0.0",
                    "require": {"php": ">=8.0.0"},
                    "type": "library",
                    "license": ["MIT"]
                },
                {
                    "name": "Symfony/Console",
                    "version": "v6.4.1",
                    "require": {"php": ">=8.1", "ext-mbstring": "*", "lib-icu": ">=4", "symfony/polyfill-mbstring": "~1.0", "psr/log-implementation": "*"},
                    "type": "library",
                    "license": "MIT"
                },
                {
                    "name": "symfony/polyfill-mbstring",
                    "version": "v1.28.0",
                    "require": {"php": ">=7.1"},
                    "type": "library",
                    "license": ["MIT"]
                }
            ],
            "packages-dev": [
                {
                    "name": "phpunit/phpunit",
                    "version": "10.5.2",
                    "require": {"php": ">=8.1", "ext-dom": "*", "sebastian/diff": "^5.0"},
                    "type": "library",
                    "license": ["BSD-3-Clause"]
                },
                {
                    "name": "sebastian/diff",
                    "version": "5.0.3",
                    "type": "library",
                    "license": ["BSD-3-Clause"]
                }
            ],
            "aliases": [],
            "minimum-stability": "stable",
            "platform": {"php": "^8.1"},
            "platform-dev": [],
            "plugin-api-version": "2.6.0"
        }
        """;

    [Fact]
    public void Composer_lock_packages_dev_licences_and_graph()
    {
        using var dir = new TempDir();
        dir.File("app/composer.lock", ComposerLock);
        var result = LanguageScan.Run(dir.Path, new ComposerLockCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal([
            "pkg:composer/monolog/monolog@3.5.0", "pkg:composer/phpunit/phpunit@10.5.2", "pkg:composer/psr/log@3.0.0",
            "pkg:composer/sebastian/diff@5.0.3", "pkg:composer/symfony/console@v6.4.1", "pkg:composer/symfony/polyfill-mbstring@v1.28.0",
        ], packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var monolog = packages.Single("monolog/monolog");
        Assert.Equal(["MIT"], monolog.Licenses);
        Assert.False(monolog.Dev);
        Assert.Equal(["psr/log@3.0.0"], packages.DependencyNames(monolog)); // require-dev is not followed
        Assert.Equal("git", monolog.Metadata["sourceType"]);
        Assert.Equal("c915e2634718dbc8a4a15c61b0e62e7a44e14448", monolog.Metadata["sourceReference"]);
        var console = packages.Single("Symfony/Console");
        Assert.Equal("v6.4.1", console.Version);
        Assert.Equal(["MIT"], console.Licenses);
        // The virtual psr/log-implementation resolves to monolog, which provides it; ext-/lib-/php are the platform.
        Assert.Equal(["monolog/monolog@3.5.0", "symfony/polyfill-mbstring@v1.28.0"], packages.DependencyNames(console));
        Assert.True(packages.Single("phpunit/phpunit").Dev);
        Assert.True(packages.Single("sebastian/diff").Dev);
        Assert.Equal(["sebastian/diff@5.0.3"], packages.DependencyNames(packages.Single("phpunit/phpunit")));
    }

    [Fact]
    public void Installed_json_v1_array_and_v2_object()
    {
        using var dir = new TempDir();
        dir.File("old/vendor/composer/installed.json", """
            [
                {"name": "guzzlehttp/guzzle", "version": "6.5.8", "version_normalized": "6.5.8.0", "require": {"php": ">=5.5", "guzzlehttp/psr7": "^1.9"}, "license": ["MIT"], "type": "library"},
                {"name": "guzzlehttp/psr7", "version": "1.9.1", "version_normalized": "1.9.1.0", "license": ["MIT"], "type": "library"}
            ]
            """);
        dir.File("new/vendor/composer/installed.json", """
            {
                "packages": [
                    {"name": "psr/container", "version": "2.0.2", "version_normalized": "2.0.2.0", "type": "library", "install-path": "../psr/container", "license": ["MIT"]},
                    {"name": "mockery/mockery", "version": "1.6.7", "require": {"psr/container": "^2.0"}, "install-path": "../mockery/mockery", "license": ["BSD-3-Clause"]}
                ],
                "dev": true,
                "dev-package-names": ["mockery/mockery"]
            }
            """);
        var result = LanguageScan.Run(dir.Path, new ComposerInstalledCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(4, packages.Count);
        Assert.Equal(["guzzlehttp/psr7@1.9.1"], packages.DependencyNames(packages.Single("guzzlehttp/guzzle")));
        Assert.False(packages.Single("guzzlehttp/guzzle").Dev);
        Assert.True(packages.Single("mockery/mockery").Dev);
        Assert.False(packages.Single("psr/container").Dev);
        Assert.Equal(["psr/container@2.0.2"], packages.DependencyNames(packages.Single("mockery/mockery")));
        Assert.Equal("../psr/container", packages.Single("psr/container").Metadata["installPath"]);
        Assert.Equal("/new/vendor/composer/installed.json", packages.Single("psr/container").Locations[0].Path);
    }

    [Fact]
    public void Composer_malformed_files_are_errors()
    {
        using var dir = new TempDir();
        dir.File("a/composer.lock", "{\"packages\": [{\"name\": \"x/y\"}]}");
        dir.File("b/composer.lock", "{\"packages\": [");
        dir.File("c/composer.lock", "[1, 2]");
        dir.File("d/vendor/composer/installed.json", "{\"dev\": true}");
        var result = LanguageScan.Run(dir.Path, new ComposerLockCataloger(), new ComposerInstalledCataloger());
        Assert.Empty(result.Packages);
        Assert.Equal(4, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith("/a/", StringComparison.Ordinal) && w.Contains("without name or version", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/c/", StringComparison.Ordinal) && w.Contains("not a JSON object", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/d/", StringComparison.Ordinal) && w.Contains("neither", StringComparison.Ordinal));
    }

    /// <summary>
    /// Oracle: Composer resolves and installs a project offline (path repositories, Packagist disabled); what
    /// <c>composer show</c> reports (locked, locked without dev, installed, tree) must be what the catalogers find.
    /// </summary>
    [Fact]
    public void Composer_written_lock_and_installed_json_match_composer_show()
    {
        var composer = ProcessRunner.Find("/usr/bin/composer", "composer");
        Assert.True(composer is not null, "composer is missing: apt-get install composer");
        using var dir = new TempDir();
        dir.File("pkgs/a/composer.json", """{"name":"local/a","version":"1.2.0","license":"MIT","require":{"php":">=7.4","local/b":"^2.0","ext-json":"*"}}""");
        dir.File("pkgs/b/composer.json", """{"name":"local/b","version":"v2.1.3","license":["Apache-2.0","MIT"],"provide":{"psr/log-implementation":"1.0"}}""");
        dir.File("pkgs/c/composer.json", """{"name":"local/c","version":"0.9.0","require":{"psr/log-implementation":"*","local/d":"*"}}""");
        dir.File("pkgs/d/composer.json", """{"name":"local/d","version":"3.0.0-beta1","license":"BSD-3-Clause"}""");
        dir.File("app/composer.json", """
            {"name": "me/app", "minimum-stability": "beta",
             "repositories": [{"packagist.org": false}, {"type": "path", "url": "../pkgs/*", "options": {"symlink": false}}],
             "require": {"local/a": "*"}, "require-dev": {"local/c": "*"}}
            """);
        var env = new Dictionary<string, string> { ["COMPOSER_HOME"] = dir.Combine("composer-home"), ["COMPOSER_NO_INTERACTION"] = "1", ["COMPOSER_ALLOW_SUPERUSER"] = "1" };
        var app = dir.Combine("app");
        var (code, _, error) = ProcessRunner.Run(composer!, ["update", "--no-audit", "--no-progress"], app, env);
        Assert.True(code == 0, "composer update: " + error);

        List<string> Show(params string[] args)
        {
            var (c, output, e) = ProcessRunner.Run(composer!, ["show", "--format=json", .. args], app, env);
            Assert.True(c == 0, "composer show: " + e);
            using var json = JsonDocument.Parse(output);
            var list = json.RootElement.TryGetProperty("locked", out var l) ? l : json.RootElement.GetProperty("installed");
            return list.EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()}@{p.GetProperty("version").GetString()}").Order(StringComparer.Ordinal).ToList();
        }
        var locked = Show("--locked");
        var lockedNoDev = Show("--locked", "--no-dev");
        var installed = Show();
        Assert.Equal(4, locked.Count);

        var result = LanguageScan.Run(app, new ComposerLockCataloger(), new ComposerInstalledCataloger());
        Assert.Empty(result.Warnings);
        var fromLock = result.Packages.Where(p => p.FoundBy == "php-composer-lock").ToList();
        var fromInstalled = result.Packages.Where(p => p.FoundBy == "php-composer-installed").ToList();
        Assert.Equal(locked, fromLock.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal(lockedNoDev, fromLock.Where(p => !p.Dev).Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal(installed, fromInstalled.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal(fromLock.Select(p => (p.Name, p.Dev)).Order(), fromInstalled.Select(p => (p.Name, p.Dev)).Order());

        // The tree Composer prints, reduced to edges between packages (platform and virtual names aside).
        var (treeCode, treeOutput, treeError) = ProcessRunner.Run(composer!, ["show", "--tree", "--format=json"], app, env);
        Assert.True(treeCode == 0, "composer show --tree: " + treeError);
        using var tree = JsonDocument.Parse(treeOutput);
        var names = fromLock.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var expectedEdges = new SortedSet<string>(StringComparer.Ordinal);
        void Walk(JsonElement node)
        {
            var from = node.GetProperty("name").GetString()!;
            if (!node.TryGetProperty("requires", out var requires)) return;
            foreach (var r in requires.EnumerateArray())
            {
                var to = r.GetProperty("name").GetString()!;
                if (names.Contains(from) && names.Contains(to)) expectedEdges.Add($"{from} -> {to}");
                Walk(r);
            }
        }
        foreach (var root in tree.RootElement.GetProperty("installed").EnumerateArray()) Walk(root);
        foreach (var packages in new[] { fromLock, fromInstalled })
        {
            var edges = packages.SelectMany(p => packages.DependencyNames(p).Select(d => $"{p.Name} -> {d.Split('@')[0]}")).ToList();
            Assert.Superset(expectedEdges, edges.ToHashSet());
            // Composer's tree names the virtual package; the catalogers resolve it to its provider.
            Assert.Equal(expectedEdges.Append("local/c -> local/b").Order(StringComparer.Ordinal), edges.Order(StringComparer.Ordinal));
        }
        Assert.Equal(["Apache-2.0", "MIT"], fromLock.Single("local/b").Licenses);
        Assert.Equal("v2.1.3", fromInstalled.Single("local/b").Version);
    }
}
