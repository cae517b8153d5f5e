using ZeroDrift.Inventory.Catalogers.Npm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class NpmLockTests
{
    private readonly NpmLockCataloger _cataloger = new();

    // A v3 lockfile as npm 9+ writes it for a workspace project: scoped packages, an alias, a workspace link,
    // a nested copy that must win over the hoisted one, dev and dev+optional packages.
    private const string V3 = """
    {
      "name": "app",
      "version": "1.0.0",
      "lockfileVersion": 3,
      "requires": true,
      "packages": {
        "": {
          "name": "app",
          "version": "1.0.0",
          "workspaces": ["packages/*"],
          "dependencies": { "debug": "^4.3.4", "string-width-cjs": "npm:string-width@^4.2.0", "@app/lib": "*" },
          "devDependencies": { "send": "0.17.1" }
        },
        "node_modules/@app/lib": { "resolved": "packages/lib", "link": true },
        "node_modules/@babel/code-frame": {
          "version": "7.22.13",
          "resolved": "https://registry.example.test/@babel/code-frame/-/code-frame-7.22.13.tgz",
          "integrity": "sha512-XktuhWlJ5g+3TJXc5upd9Ks1HutSArik6jf2eAjYFyIOf4ej3RN+184cZbzDvbPnuTJIUhPKKJE3cIsYTiAT3w==",
          "license": "MIT",
          "dependencies": { "ms": "^2.1.2" }
        },
        "node_modules/debug": {
          "version": "4.3.4",
          "resolved": "https://registry.example.test/debug/-/debug-4.3.4.tgz",
          "integrity": "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==",
          "license": "MIT",
          "dependencies": { "ms": "2.1.2" },
          "engines": { "node": ">=6.0" },
          "peerDependenciesMeta": { "supports-color": { "optional": true } }
        },
        "node_modules/fsevents": {
          "version": "2.3.3",
          "resolved": "https://registry.example.test/fsevents/-/fsevents-2.3.3.tgz",
          "dev": true,
          "optional": true,
          "os": ["darwin"],
          "license": "MIT"
        },
        "node_modules/ms": {
          "version": "2.1.2",
          "resolved": "https://registry.example.test/ms/-/ms-2.1.2.tgz",
          "integrity": "sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w==",
          "license": "MIT"
        },
        "node_modules/send": {
          "version": "0.17.1",
          "dev": true,
          "license": "MIT",
          "dependencies": { "debug": "2.6.9", "ms": "2.1.1" },
          "optionalDependencies": { "fsevents": "~2.3.2" }
        },
        "node_modules/send/node_modules/debug": {
          "version": "2.6.9",
          "dev": true,
          "license": "MIT",
          "dependencies": { "ms": "2.0.0" }
        },
        "node_modules/send/node_modules/debug/node_modules/ms": { "version": "2.0.0", "dev": true, "license": "MIT" },
        "node_modules/send/node_modules/ms": { "version": "2.1.1", "dev": true, "license": "MIT" },
        "node_modules/string-width-cjs": {
          "name": "string-width",
          "version": "4.2.3",
          "resolved": "https://registry.example.test/string-width/-/string-width-4.2.3.tgz",
          "license": "MIT"
        },
        "node_modules/typescript": {
          "version": "5.2.2",
          "devOptional": true,
          "license": "Apache-2.0"
        },
        "packages/lib": {
          "name": "@app/lib",
          "version": "0.2.0",
          "license": "Apache-2.0",
          "dependencies": { "@babel/code-frame": "^7.0.0", "ms": "^2.1.0" }
        }
      }
    }
    """;

    [Fact]
    public void V3_reads_every_installed_package_once_and_skips_the_root()
    {
        var result = LockfileHarness.RunText(_cataloger, "app/package-lock.json", V3);
        Assert.Equal(
            new[]
            {
                "pkg:npm/%40app/lib@0.2.0", "pkg:npm/%40babel/code-frame@7.22.13", "pkg:npm/debug@2.6.9", "pkg:npm/debug@4.3.4",
                "pkg:npm/fsevents@2.3.3", "pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.1", "pkg:npm/ms@2.1.2", "pkg:npm/send@0.17.1",
                "pkg:npm/string-width@4.2.3", "pkg:npm/typescript@5.2.2",
            },
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.All(result.Packages, p => Assert.Equal("npm-lock", p.FoundBy));
        Assert.All(result.Packages, p => Assert.Equal("/app/package-lock.json", Assert.Single(p.Locations).Path));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void V3_metadata_licences_dev_flags_and_aliases()
    {
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", V3);
        var debug = result.Get("pkg:npm/debug@4.3.4");
        Assert.Equal(["MIT"], debug.Licenses);
        Assert.Equal("https://registry.example.test/debug/-/debug-4.3.4.tgz", debug.Metadata["resolved"]);
        Assert.StartsWith("sha512-PRWFHuSU3", debug.Metadata["integrity"], StringComparison.Ordinal);
        Assert.False(debug.Dev);

        Assert.True(result.Get("pkg:npm/send@0.17.1").Dev);
        Assert.True(result.Get("pkg:npm/debug@2.6.9").Dev);
        var fsevents = result.Get("pkg:npm/fsevents@2.3.3");
        Assert.True(fsevents.Dev);
        Assert.Equal("true", fsevents.Metadata["optional"]);
        // devOptional: needed by a dev path and an optional one, so not dev-only.
        var typescript = result.Get("pkg:npm/typescript@5.2.2");
        Assert.False(typescript.Dev);
        Assert.Equal("true", typescript.Metadata["devOptional"]);

        var alias = result.Get("pkg:npm/string-width@4.2.3");
        Assert.Equal("string-width", alias.Name);
        Assert.Equal("string-width-cjs", alias.Metadata["alias"]);

        var workspace = result.Get("pkg:npm/%40app/lib@0.2.0");
        Assert.Equal("@app/lib", workspace.Name);
        Assert.Equal(["Apache-2.0"], workspace.Licenses);
        Assert.Equal("pkg:npm/%40babel/code-frame@7.22.13", result.Get("pkg:npm/%40babel/code-frame@7.22.13").Purl.ToString());
    }

    [Fact]
    public void V3_graph_resolves_the_nearest_node_modules_up_the_path()
    {
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", V3);
        Assert.Equal(["pkg:npm/ms@2.1.2"], result.DependenciesOf("pkg:npm/debug@4.3.4"));
        // send's own node_modules holds debug 2.6.9 and ms 2.1.1; the hoisted copies must not be chosen.
        Assert.Equal(["pkg:npm/debug@2.6.9", "pkg:npm/fsevents@2.3.3", "pkg:npm/ms@2.1.1"], result.DependenciesOf("pkg:npm/send@0.17.1"));
        // debug 2.6.9 (under send) has ms 2.0.0 in its own node_modules.
        Assert.Equal(["pkg:npm/ms@2.0.0"], result.DependenciesOf("pkg:npm/debug@2.6.9"));
        // A workspace folder resolves from itself up to the project's node_modules.
        Assert.Equal(["pkg:npm/%40babel/code-frame@7.22.13", "pkg:npm/ms@2.1.2"], result.DependenciesOf("pkg:npm/%40app/lib@0.2.0"));
        Assert.Empty(result.DependenciesOf("pkg:npm/ms@2.1.2"));
    }

    [Fact]
    public void V1_nested_dependencies_requires_and_aliases()
    {
        const string v1 = """
        {
          "name": "legacy",
          "version": "1.0.0",
          "lockfileVersion": 1,
          "requires": true,
          "dependencies": {
            "debug": {
              "version": "4.3.4",
              "resolved": "https://registry.example.test/debug/-/debug-4.3.4.tgz",
              "integrity": "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==",
              "requires": { "ms": "2.1.2" }
            },
            "ms": { "version": "2.1.2", "resolved": "https://registry.example.test/ms/-/ms-2.1.2.tgz" },
            "send": {
              "version": "0.17.1",
              "dev": true,
              "requires": { "debug": "2.6.9", "ms": "2.1.1" },
              "dependencies": {
                "debug": {
                  "version": "2.6.9",
                  "dev": true,
                  "requires": { "ms": "2.0.0" },
                  "dependencies": { "ms": { "version": "2.0.0", "dev": true } }
                },
                "ms": { "version": "2.1.1", "dev": true }
              }
            },
            "string-width-cjs": { "version": "npm:string-width@4.2.3", "requires": { "ms": "^2.0.0" } },
            "@types/node": { "version": "20.8.10", "optional": true },
            "local-lib": { "version": "file:../local-lib" }
          }
        }
        """;
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", v1);
        Assert.Equal(
            new[]
            {
                "pkg:npm/%40types/node@20.8.10", "pkg:npm/debug@2.6.9", "pkg:npm/debug@4.3.4", "pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.1",
                "pkg:npm/ms@2.1.2", "pkg:npm/send@0.17.1", "pkg:npm/string-width@4.2.3",
            },
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["pkg:npm/debug@2.6.9", "pkg:npm/ms@2.1.1"], result.DependenciesOf("pkg:npm/send@0.17.1"));
        Assert.Equal(["pkg:npm/ms@2.0.0"], result.DependenciesOf("pkg:npm/debug@2.6.9"));
        Assert.Equal(["pkg:npm/ms@2.1.2"], result.DependenciesOf("pkg:npm/string-width@4.2.3"));
        Assert.Equal("string-width-cjs", result.Get("pkg:npm/string-width@4.2.3").Metadata["alias"]);
        Assert.True(result.Get("pkg:npm/ms@2.1.1").Dev);
        Assert.False(result.Get("pkg:npm/ms@2.1.2").Dev);
        Assert.Equal("true", result.Get("pkg:npm/%40types/node@20.8.10").Metadata["optional"]);
        Assert.Equal("1", result.Get("pkg:npm/ms@2.1.2").Metadata["lockfileVersion"]);
    }

    [Fact]
    public void V2_prefers_packages_over_the_legacy_tree()
    {
        const string v2 = """
        {
          "name": "x", "lockfileVersion": 2, "requires": true,
          "packages": {
            "": { "name": "x" },
            "node_modules/ms": { "version": "2.1.3", "license": "MIT" }
          },
          "dependencies": { "ms": { "version": "2.1.3" }, "stale-only-in-v1-tree": { "version": "1.0.0" } }
        }
        """;
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", v2);
        Assert.Equal("pkg:npm/ms@2.1.3", Assert.Single(result.Packages).Purl.ToString());
    }

    [Fact]
    public void V2_written_without_packages_is_read_from_its_dependencies_tree()
    {
        const string v2 = """
        {
          "lockfileVersion": 2, "requires": true,
          "dependencies": { "ms": { "version": "2.1.3" }, "debug": { "version": "4.3.4", "requires": { "ms": "2.1.3" } } }
        }
        """;
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", v2);
        Assert.Equal(["debug@4.3.4", "ms@2.1.3"], result.NameVersions().Order(StringComparer.Ordinal));
        Assert.Equal(["pkg:npm/ms@2.1.3"], result.DependenciesOf("pkg:npm/debug@4.3.4"));
    }

    [Fact]
    public void Git_dependencies_without_a_version_are_reported_versionless_with_their_source()
    {
        const string v3 = """
        {
          "lockfileVersion": 3,
          "packages": {
            "": { "name": "app", "dependencies": { "forked": "github:someone/forked#main" } },
            "node_modules/forked": { "resolved": "git+ssh://git@github.com/someone/forked.git#0123456789abcdef0123456789abcdef01234567" },
            "node_modules/no-source": {}
          }
        }
        """;
        const string v1 = """
        {
          "lockfileVersion": 1,
          "dependencies": {
            "forked": { "version": "github:someone/forked#0123456789abcdef0123456789abcdef01234567", "from": "github:someone/forked#main" },
            "local": { "version": "file:libs/local" }
          }
        }
        """;
        foreach (var lockfile in new[] { v3, v1 })
        {
            var result = LockfileHarness.RunText(_cataloger, "package-lock.json", lockfile);
            var forked = Assert.Single(result.Packages);
            Assert.Equal("", forked.Version);
            Assert.Equal("pkg:npm/forked", forked.Purl.ToString());
            Assert.Contains("0123456789abcdef0123456789abcdef01234567", forked.Metadata["resolved"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Same_name_and_version_in_several_folders_is_one_package_dev_only_if_every_copy_is()
    {
        const string lockfile = """
        {
          "lockfileVersion": 3,
          "packages": {
            "": {},
            "node_modules/a": { "version": "1.0.0", "dependencies": { "ms": "2.0.0" } },
            "node_modules/a/node_modules/ms": { "version": "2.0.0" },
            "node_modules/b": { "version": "1.0.0", "dev": true, "dependencies": { "ms": "2.0.0" } },
            "node_modules/b/node_modules/ms": { "version": "2.0.0", "dev": true },
            "node_modules/ms": { "version": "2.1.3" }
          }
        }
        """;
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", lockfile);
        Assert.Equal(4, result.Packages.Count);
        Assert.False(result.Get("pkg:npm/ms@2.0.0").Dev);
        Assert.Equal(["pkg:npm/ms@2.0.0"], result.DependenciesOf("pkg:npm/b@1.0.0"));
    }

    [Fact]
    public void Links_to_folders_outside_the_project_resolve_to_their_entry_and_dangling_links_are_dropped()
    {
        const string lockfile = """
        {
          "lockfileVersion": 3,
          "packages": {
            "": { "name": "app" },
            "node_modules/shared": { "resolved": "../shared", "link": true },
            "node_modules/gone": { "resolved": "packages/gone", "link": true },
            "node_modules/ms": { "version": "2.1.3" },
            "../shared": { "name": "shared", "version": "2.0.0", "dependencies": { "ms": "^2.1.0" } }
          }
        }
        """;
        var result = LockfileHarness.RunText(_cataloger, "package-lock.json", lockfile);
        Assert.Equal(["pkg:npm/ms@2.1.3", "pkg:npm/shared@2.0.0"], result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["pkg:npm/ms@2.1.3"], result.DependenciesOf("pkg:npm/shared@2.0.0"));
        Assert.Equal("../shared", result.Get("pkg:npm/shared@2.0.0").Metadata["link"]);
    }

    [Theory]
    [InlineData("/srv/app/package-lock.json", true)]
    [InlineData("/srv/app/npm-shrinkwrap.json", true)]
    [InlineData("/srv/app/node_modules/dep/package-lock.json", false)]
    [InlineData("/srv/app/node_modules/.package-lock.json", false)]
    [InlineData("/srv/app/package.json", false)]
    public void FileRequired_takes_project_lockfiles_only(string path, bool required) =>
        Assert.Equal(required, _cataloger.FileRequired(new Artifacts.FileSystems.FileEntry(path, Artifacts.FileSystems.FileKind.Regular, 10, 0b110_100_100)));

    [Fact]
    public void Malformed_and_hostile_lockfiles_become_warnings()
    {
        using var dir = new TempDir();
        dir.File("a/package-lock.json", "{ \"lockfileVersion\": 3, \"packages\": { \"node_modules/x\": ");
        dir.File("b/package-lock.json", "[1, 2, 3]");
        dir.File("c/package-lock.json", "{\"packages\": {\"node_modules/x\": " + new string('[', 10_000) + new string(']', 10_000) + "}}");
        dir.File("d/package-lock.json", """{ "lockfileVersion": 3, "packages": { "node_modules/ok": { "version": "1.0.0" }, "node_modules/bad name": { "version": "1" }, "node_modules/nover": {} } }""");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Equal("pkg:npm/ok@1.0.0", Assert.Single(inventory.Packages).Purl.ToString());
        Assert.True(inventory.Warnings.Count == 3, string.Join("\n", inventory.Warnings));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/a/package-lock.json: npm-lock: invalid JSON", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/b/package-lock.json: npm-lock:", StringComparison.Ordinal) && w.Contains("JSON object", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/c/package-lock.json: npm-lock: invalid JSON", StringComparison.Ordinal) && w.Contains("depth", StringComparison.OrdinalIgnoreCase));
    }
}
