using ZeroDrift.Inventory.Catalogers.DotNet;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class DotNetDepsTests
{
    private readonly DotNetDepsCataloger _cataloger = new();

    // A self-contained linux-x64 app's deps.json as the SDK writes it: the app (project), a project reference,
    // a runtime pack and NuGet packages.
    private const string Deps = """
    {
      "runtimeTarget": { "name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": "" },
      "compilationOptions": {},
      "targets": {
        ".NETCoreApp,Version=v8.0": {},
        ".NETCoreApp,Version=v8.0/linux-x64": {
          "app/1.0.0": {
            "dependencies": { "Serilog.Sinks.Console": "5.0.1", "MyLib": "1.0.0", "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64": "8.0.0" },
            "runtime": { "app.dll": {} }
          },
          "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": { "runtime": { "System.Private.CoreLib.dll": { "assemblyVersion": "8.0.0.0", "fileVersion": "8.0.23.53103" } } },
          "Serilog/3.1.1": { "runtime": { "lib/net7.0/Serilog.dll": { "assemblyVersion": "2.0.0.0", "fileVersion": "3.1.1.0" } } },
          "Serilog.Sinks.Console/5.0.1": {
            "dependencies": { "Serilog": "3.1.1" },
            "runtime": { "lib/net7.0/Serilog.Sinks.Console.dll": { "assemblyVersion": "5.0.1.0", "fileVersion": "5.0.1.0" } }
          },
          "MyLib/1.0.0": { "dependencies": { "Serilog": "3.1.1" }, "runtime": { "MyLib.dll": {} } }
        }
      },
      "libraries": {
        "app/1.0.0": { "type": "project", "serviceable": false, "sha512": "" },
        "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": { "type": "runtimepack", "serviceable": false, "sha512": "" },
        "Serilog/3.1.1": {
          "type": "package",
          "serviceable": true,
          "sha512": "sha512-P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A==",
          "path": "serilog/3.1.1",
          "hashPath": "serilog.3.1.1.nupkg.sha512"
        },
        "Serilog.Sinks.Console/5.0.1": {
          "type": "package",
          "serviceable": true,
          "sha512": "sha512-6Jt8jl9y2ey8VV7nVEUAyjjyxjAQuvd5+qj4XYAT9CwcsvR70HHULGBeD+K2WCALFXf7CFsNQT4lON6qXcu2AA==",
          "path": "serilog.sinks.console/5.0.1",
          "hashPath": "serilog.sinks.console.5.0.1.nupkg.sha512"
        },
        "MyLib/1.0.0": { "type": "project", "serviceable": false, "sha512": "" }
      }
    }
    """;

    [Fact]
    public void Reads_package_libraries_with_hashes_and_graph()
    {
        var result = LockfileHarness.RunText(_cataloger, "app/app.deps.json", Deps);
        Assert.Equal(["pkg:nuget/Serilog.Sinks.Console@5.0.1", "pkg:nuget/Serilog@3.1.1"], result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var serilog = result.Get("pkg:nuget/Serilog@3.1.1");
        Assert.Equal("dotnet-deps", serilog.FoundBy);
        Assert.Equal("sha512-P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A==", serilog.Metadata["sha512"]);
        Assert.Equal("serilog/3.1.1", serilog.Metadata["path"]);
        Assert.Equal(["pkg:nuget/Serilog@3.1.1"], result.DependenciesOf("pkg:nuget/Serilog.Sinks.Console@5.0.1"));
        Assert.Empty(serilog.DependsOn);
    }

    [Theory]
    [InlineData("/app/app.deps.json", true)]
    [InlineData("/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json", true)]
    [InlineData("/app/app.runtimeconfig.json", false)]
    [InlineData("/app/deps.json.bak", false)]
    public void FileRequired_takes_deps_json_files(string path, bool required) =>
        Assert.Equal(required, _cataloger.FileRequired(new Artifacts.FileSystems.FileEntry(path, Artifacts.FileSystems.FileKind.Regular, 10, 0b110_100_100)));

    [Fact]
    public void A_json_file_that_is_not_a_deps_file_warns()
    {
        using var dir = new TempDir();
        dir.File("x.deps.json", """{ "targets": {} }""");
        dir.File("y.deps.json", """{ "libraries": { "Bad Name/1.0": { "type": "package" }, "NoVersion": { "type": "package" }, "Ok/2.0.0": { "type": "package" } } }""");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Equal("pkg:nuget/Ok@2.0.0", Assert.Single(inventory.Packages).Purl.ToString());
        Assert.Equal("/x.deps.json: dotnet-deps: /x.deps.json: no \"libraries\" object: not a .deps.json file", Assert.Single(inventory.Warnings));
    }
}
