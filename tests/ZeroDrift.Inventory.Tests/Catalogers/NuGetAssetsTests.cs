using ZeroDrift.Inventory.Catalogers.DotNet;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class NuGetAssetsTests
{
    private readonly NuGetAssetsCataloger _cataloger = new();

    private const string Assets = """
    {
      "version": 3,
      "targets": {
        "net8.0": {
          "Microsoft.Extensions.Options/8.0.0": {
            "type": "package",
            "dependencies": { "Microsoft.Extensions.Primitives": "8.0.0" },
            "compile": { "lib/net8.0/Microsoft.Extensions.Options.dll": { "related": ".xml" } }
          },
          "Microsoft.Extensions.Primitives/8.0.0": { "type": "package" },
          "MyLib/1.0.0": { "type": "project", "dependencies": { "Microsoft.Extensions.Options": "8.0.0" } }
        },
        "net48": {
          "Microsoft.Extensions.Options/8.0.0": {
            "type": "package",
            "dependencies": { "Microsoft.Extensions.Primitives": "8.0.0", "System.ValueTuple": "4.5.0" }
          },
          "Microsoft.Extensions.Primitives/8.0.0": { "type": "package", "dependencies": { "System.Memory": "4.5.5" } },
          "System.Memory/4.5.5": { "type": "package" },
          "System.ValueTuple/4.5.0": { "type": "package" }
        }
      },
      "libraries": {
        "Microsoft.Extensions.Options/8.0.0": {
          "sha512": "JOVOfqpnqlVLUzINQ2fox8evY2SKLYJ3BV8QDe/Jyp21u1T7r45x/R/5QdteURMR5r01GxeJSBBUOCOyaNXA3g==",
          "type": "package",
          "path": "microsoft.extensions.options/8.0.0",
          "files": [ "lib/net8.0/Microsoft.Extensions.Options.dll" ]
        },
        "Microsoft.Extensions.Primitives/8.0.0": { "sha512": "bXJEZrW9ny8vjMF1JV253WeLhpEVzFo1lyaZu1vQ4ZxWUlVvknZ/+ftFgVheLubb4eZPSwwxBeqS1JkCOjxd8g==", "type": "package", "path": "microsoft.extensions.primitives/8.0.0" },
        "System.Memory/4.5.5": { "sha512": "XIWiDvKPXaTveaB7HVganDlOCRoj03l+jrwNvcge/t8vhGYKvqV+dMv6G4SAX2NoNmN0wZfVPTAlFwZcZvVOUw==", "type": "package", "path": "system.memory/4.5.5" },
        "System.ValueTuple/4.5.0": { "sha512": "okurQJO6NRE/apDIP23ajJ0hpiNmJ+f0BwOlB/cSqTLQlw5upkf+5+96+iG2Jw40G1fCVCyPz/FhIABUjMR+RQ==", "type": "package", "path": "system.valuetuple/4.5.0" },
        "MyLib/1.0.0": { "type": "project", "path": "../MyLib/MyLib.csproj", "msbuildProject": "../MyLib/MyLib.csproj" }
      },
      "project": {
        "version": "1.0.0",
        "frameworks": {
          "net8.0": { "targetAlias": "net8.0", "dependencies": { "Microsoft.Extensions.Options": { "target": "Package", "version": "[8.0.0, )" } } },
          "net48": { "targetAlias": "net48", "dependencies": { "Microsoft.Extensions.Options": { "target": "Package", "version": "[8.0.0, )" } } }
        }
      }
    }
    """;

    [Fact]
    public void Reads_packages_skips_projects_and_unions_the_graph_of_every_target()
    {
        var result = LockfileHarness.RunText(_cataloger, "src/app/obj/project.assets.json", Assets);
        Assert.Equal(
            new[]
            {
                "pkg:nuget/Microsoft.Extensions.Options@8.0.0", "pkg:nuget/Microsoft.Extensions.Primitives@8.0.0",
                "pkg:nuget/System.Memory@4.5.5", "pkg:nuget/System.ValueTuple@4.5.0",
            },
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var options = result.Get("pkg:nuget/Microsoft.Extensions.Options@8.0.0");
        Assert.Equal("nuget-assets", options.FoundBy);
        Assert.Equal("true", options.Metadata["direct"]);
        Assert.Equal("false", result.Get("pkg:nuget/System.Memory@4.5.5").Metadata["direct"]);
        Assert.StartsWith("JOVOfqpnqlVL", options.Metadata["sha512"], StringComparison.Ordinal);
        Assert.Equal(["pkg:nuget/Microsoft.Extensions.Primitives@8.0.0", "pkg:nuget/System.ValueTuple@4.5.0"],
            result.DependenciesOf("pkg:nuget/Microsoft.Extensions.Options@8.0.0"));
        Assert.Equal(["pkg:nuget/System.Memory@4.5.5"], result.DependenciesOf("pkg:nuget/Microsoft.Extensions.Primitives@8.0.0"));
    }

    [Fact]
    public void Malformed_assets_files_warn()
    {
        using var dir = new TempDir();
        dir.File("a/obj/project.assets.json", "{ \"version\": 3, \"targets\": ");
        dir.File("b/obj/project.assets.json", """{ "version": 3 }""");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Empty(inventory.Packages);
        Assert.Equal(2, inventory.Warnings.Count);
        Assert.StartsWith("/a/obj/project.assets.json: nuget-assets: invalid JSON", inventory.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("not a project.assets.json file", inventory.Warnings[1], StringComparison.Ordinal);
    }
}
