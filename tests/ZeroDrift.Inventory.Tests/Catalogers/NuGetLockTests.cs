using ZeroDrift.Inventory.Catalogers.DotNet;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class NuGetLockTests
{
    private readonly NuGetLockCataloger _cataloger = new();

    // Two frameworks and a runtime-specific target, a project reference, and a CentralTransitive pin (lock v2).
    private const string LockFile = """
    {
      "version": 2,
      "dependencies": {
        "net8.0": {
          "Microsoft.Extensions.Logging": {
            "type": "Direct",
            "requested": "[8.0.0, )",
            "resolved": "8.0.0",
            "contentHash": "tvRkov9tAJ3xP51LCv3FJ2zINmv1P8Hi8lhhtcKGqM+ImiTCC84uOPEI4z8Cdq2C3o9e+Aa0Gw0rmrsJD77W+w==",
            "dependencies": {
              "Microsoft.Extensions.DependencyInjection": "8.0.0",
              "Microsoft.Extensions.Logging.Abstractions": "8.0.0"
            }
          },
          "Microsoft.Extensions.DependencyInjection": {
            "type": "Transitive",
            "resolved": "8.0.0",
            "contentHash": "V8S3bsm50ig6JSyrbcJJ8bW2b9QLGouz+G1miK3UTaOWmMtFwNNNzUf4AleyDWUmTrWMLNnFSLEQtxmxgNQnNQ==",
            "dependencies": { "Microsoft.Extensions.DependencyInjection.Abstractions": "8.0.0" }
          },
          "Microsoft.Extensions.DependencyInjection.Abstractions": {
            "type": "Transitive",
            "resolved": "8.0.0",
            "contentHash": "cjWrLkJXK0rs4zofsK4bSdg+jhDLTaxrkXu4gS6Y7MAlCvRyNNgwY/lJi5RDlQOnSZweHqoyvgvbdvQsRIW+hg=="
          },
          "Microsoft.Extensions.Logging.Abstractions": {
            "type": "CentralTransitive",
            "requested": "[8.0.1, )",
            "resolved": "8.0.1",
            "contentHash": "RIFgaqoaINxkM2KTOw72dmilDmTrYA0ns2KW4lDz4gZ2+o6IQ894CzmdL3StM2oh7QQq44nCWiqKqc4qUI9Jmg==",
            "dependencies": { "Microsoft.Extensions.DependencyInjection.Abstractions": "8.0.0" }
          },
          "mylib": {
            "type": "Project",
            "dependencies": { "Newtonsoft.Json": "[13.0.3, )" }
          }
        },
        "net8.0/linux-x64": {
          "Newtonsoft.Json": { "type": "Transitive", "resolved": "13.0.3", "contentHash": "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==" }
        },
        "net48": {
          "Newtonsoft.Json": { "type": "Direct", "requested": "[12.0.3, )", "resolved": "12.0.3", "contentHash": "6mgjfnRB4jKMlzHSl+VD+oUc1IebOZabkbyWj2RiTgWwYPPuaK1H97G1sHqGwPlS5npiF5Q0OrxN1wni2n5QWg==" }
        }
      }
    }
    """;

    [Fact]
    public void Reads_every_framework_and_skips_project_references()
    {
        var result = LockfileHarness.RunText(_cataloger, "src/app/packages.lock.json", LockFile);
        Assert.Equal(
            new[]
            {
                "pkg:nuget/Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0", "pkg:nuget/Microsoft.Extensions.DependencyInjection@8.0.0",
                "pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1", "pkg:nuget/Microsoft.Extensions.Logging@8.0.0",
                "pkg:nuget/Newtonsoft.Json@12.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3",
            },
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var logging = result.Get("pkg:nuget/Microsoft.Extensions.Logging@8.0.0");
        Assert.Equal("nuget-lock", logging.FoundBy);
        Assert.Equal("Direct", logging.Metadata["type"]);
        Assert.Equal("[8.0.0, )", logging.Metadata["requested"]);
        Assert.StartsWith("tvRkov9tAJ3x", logging.Metadata["contentHash"], StringComparison.Ordinal);
        Assert.Equal("CentralTransitive", result.Get("pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1").Metadata["type"]);
        Assert.Equal("net48", result.Get("pkg:nuget/Newtonsoft.Json@12.0.3").Metadata["targetFramework"]);
        Assert.Equal("/src/app/packages.lock.json", logging.Locations[0].Path);
    }

    [Fact]
    public void Graph_resolves_dependency_ranges_to_the_version_locked_in_the_same_framework()
    {
        var result = LockfileHarness.RunText(_cataloger, "packages.lock.json", LockFile);
        // Logging asks for Abstractions "8.0.0" (a minimum); the lock resolved 8.0.1 for this framework.
        Assert.Equal(
            ["pkg:nuget/Microsoft.Extensions.DependencyInjection@8.0.0", "pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1"],
            result.DependenciesOf("pkg:nuget/Microsoft.Extensions.Logging@8.0.0"));
        Assert.Equal(["pkg:nuget/Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0"],
            result.DependenciesOf("pkg:nuget/Microsoft.Extensions.DependencyInjection@8.0.0"));
    }

    [Fact]
    public void Unknown_versions_and_malformed_files_become_warnings()
    {
        using var dir = new TempDir();
        dir.File("a/packages.lock.json", """{ "version": 3, "dependencies": {} }""");
        dir.File("b/packages.lock.json", """{ "dependencies": {} }""");
        dir.File("c/packages.lock.json", """{ "version": 1, "dependencies": { "net8.0": { "X": { "resolved": """);
        dir.File("ok/packages.lock.json", """{ "version": 1, "dependencies": { "net8.0": { "Ok.Pkg": { "type": "Direct", "resolved": "1.0.0" }, "no resolved": { "type": "Direct" } }, "net9.0": [] } }""");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Equal("pkg:nuget/Ok.Pkg@1.0.0", Assert.Single(inventory.Packages).Purl.ToString());
        Assert.True(inventory.Warnings.Count == 3, string.Join("\n", inventory.Warnings));
        Assert.Contains("/a/packages.lock.json: nuget-lock: packages.lock.json version 3; versions 1 and 2 are read", inventory.Warnings);
        Assert.Contains("/b/packages.lock.json: nuget-lock: packages.lock.json version missing; versions 1 and 2 are read", inventory.Warnings);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/c/packages.lock.json: nuget-lock: invalid JSON", StringComparison.Ordinal));
    }
}
