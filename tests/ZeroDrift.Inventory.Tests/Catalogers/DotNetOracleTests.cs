using System.Text.Json;
using ZeroDrift.Inventory.Catalogers.DotNet;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// A tiny console project with central package management, restored (with a lock file) and built once by the
/// real SDK from the NuGet feed. NuGet's own view (`dotnet list package --include-transitive`) is the oracle
/// for packages.lock.json, obj/project.assets.json, bin/**/*.deps.json and the project files.
/// </summary>
public sealed class DotNetProjectFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public string Root => _dir.Path;
    public Exception? SetupError { get; }

    /// <summary>name@version of every package NuGet resolved, and of the top-level (declared) ones.</summary>
    public HashSet<string> Resolved { get; } = new(StringComparer.Ordinal);
    public HashSet<string> TopLevel { get; } = new(StringComparer.Ordinal);
    public string? DepsJson { get; }

    public DotNetProjectFixture()
    {
        _dir.File("Directory.Packages.props", """
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="Microsoft.Extensions.Logging" Version="8.0.0" />
                <PackageVersion Include="Newtonsoft.Json" Version="13.0.3" />
              </ItemGroup>
            </Project>
            """);
        _dir.File("app/app.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.Extensions.Logging" />
                <PackageReference Include="Newtonsoft.Json" />
              </ItemGroup>
            </Project>
            """);
        _dir.File("app/Program.cs", "System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(1));\n");
        var app = _dir.Combine("app");
        try
        {
            LockfileHarness.Tool(app, TimeSpan.FromMinutes(8), "dotnet", "restore", "--use-lock-file", "--disable-build-servers");
            LockfileHarness.Tool(app, TimeSpan.FromMinutes(8), "dotnet", "build", "--no-restore", "-c", "Release", "-nologo", "--disable-build-servers");
            var list = JsonDocument.Parse(LockfileHarness.Tool(app, TimeSpan.FromMinutes(3), "dotnet", "list", "package", "--include-transitive", "--format", "json"));
            foreach (var project in list.RootElement.GetProperty("projects").EnumerateArray())
            foreach (var framework in project.GetProperty("frameworks").EnumerateArray())
            {
                foreach (var package in framework.GetProperty("topLevelPackages").EnumerateArray())
                {
                    var id = $"{package.GetProperty("id").GetString()}@{package.GetProperty("resolvedVersion").GetString()}";
                    TopLevel.Add(id);
                    Resolved.Add(id);
                }
                if (framework.TryGetProperty("transitivePackages", out var transitive))
                    foreach (var package in transitive.EnumerateArray())
                        Resolved.Add($"{package.GetProperty("id").GetString()}@{package.GetProperty("resolvedVersion").GetString()}");
            }
            DepsJson = Directory.EnumerateFiles(Path.Combine(app, "bin"), "*.deps.json", SearchOption.AllDirectories).Single();
        }
        catch (Exception e)
        {
            SetupError = e;
        }
    }

    public void Require()
    {
        if (SetupError is { } error)
            throw new Xunit.Sdk.XunitException("dotnet oracle unavailable (the .NET SDK and the NuGet feed are required): " + error.Message);
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class DotNetOracleTests(DotNetProjectFixture project) : IClassFixture<DotNetProjectFixture>
{
    private static readonly string[] KnownTransitives =
    [
        "Microsoft.Extensions.DependencyInjection@8.0.0", "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0",
        "Microsoft.Extensions.Logging.Abstractions@8.0.0", "Microsoft.Extensions.Options@8.0.0", "Microsoft.Extensions.Primitives@8.0.0",
    ];

    private static IOrderedEnumerable<string> Sorted(IEnumerable<string> items) => items.Order(StringComparer.Ordinal);

    private LockfileHarness.Result Lock() => LockfileHarness.Run(new NuGetLockCataloger(), project.Root, "app/packages.lock.json");

    [Fact]
    public void Nuget_resolved_the_expected_transitive_packages()
    {
        project.Require();
        Assert.Subset(project.Resolved, KnownTransitives.ToHashSet(StringComparer.Ordinal));
        Assert.Contains("Newtonsoft.Json@13.0.3", project.TopLevel);
    }

    [Fact]
    public void Packages_lock_json_matches_dotnet_list_package()
    {
        project.Require();
        var result = Lock();
        Assert.Equal(Sorted(project.Resolved), Sorted(result.NameVersions()));
        Assert.Equal(["pkg:nuget/Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0", "pkg:nuget/Microsoft.Extensions.Primitives@8.0.0"],
            result.DependenciesOf("pkg:nuget/Microsoft.Extensions.Options@8.0.0"));
        Assert.Equal("Direct", result.Get("pkg:nuget/Newtonsoft.Json@13.0.3").Metadata["type"]);
    }

    [Fact]
    public void Project_assets_json_matches_dotnet_list_package_and_the_lock_graph()
    {
        project.Require();
        var result = LockfileHarness.Run(new NuGetAssetsCataloger(), project.Root, "app/obj/project.assets.json");
        Assert.Equal(Sorted(project.Resolved), Sorted(result.NameVersions()));
        Assert.Equal(Sorted(Lock().Edges()), Sorted(result.Edges()));
        Assert.Equal(Sorted(project.TopLevel), Sorted(result.Packages.Where(p => p.Metadata["direct"] == "true").Select(p => $"{p.Name}@{p.Version}")));
    }

    [Fact]
    public void Built_deps_json_matches_dotnet_list_package_and_the_lock_graph()
    {
        project.Require();
        var relative = Path.GetRelativePath(project.Root, project.DepsJson!);
        var result = LockfileHarness.Run(new DotNetDepsCataloger(), project.Root, relative);
        Assert.Equal(Sorted(project.Resolved), Sorted(result.NameVersions()));
        Assert.Equal(Sorted(Lock().Edges()), Sorted(result.Edges()));
        Assert.All(result.Packages, p => Assert.StartsWith("sha512-", p.Metadata["sha512"], StringComparison.Ordinal));
    }

    [Fact]
    public void Project_file_with_central_versions_matches_the_top_level_packages()
    {
        project.Require();
        var result = LockfileHarness.Run(new NuGetProjectCataloger(), project.Root, "app/app.csproj");
        Assert.Empty(result.Warnings);
        Assert.Equal(Sorted(project.TopLevel), Sorted(result.NameVersions()));
        Assert.All(result.Packages, p => Assert.Equal("central", p.Metadata["versionSource"]));
    }

    [Fact]
    public void Whole_scan_runs_every_registered_dotnet_cataloger()
    {
        project.Require();
        var inventory = LockfileHarness.Scan(project.Root, [.. ZeroDrift.Inventory.Catalogers.CatalogerRegistry.All]);
        Assert.Empty(inventory.Warnings);
        foreach (var name in new[] { "nuget-lock", "nuget-assets", "dotnet-deps", "nuget-csproj" })
            Assert.True(inventory.Packages.Any(p => p.FoundBy == name), $"{name} found nothing");
    }
}
