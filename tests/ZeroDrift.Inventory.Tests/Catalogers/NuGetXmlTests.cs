using ZeroDrift.Inventory.Catalogers.DotNet;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>packages.config and MSBuild project files (PackageReference, central package management).</summary>
public sealed class NuGetXmlTests
{
    private readonly NuGetPackagesConfigCataloger _config = new();
    private readonly NuGetProjectCataloger _project = new();

    [Fact]
    public void Packages_config_reads_ids_versions_frameworks_and_development_dependencies()
    {
        const string config = """
        <?xml version="1.0" encoding="utf-8"?>
        <packages>
          <package id="Newtonsoft.Json" version="12.0.3" targetFramework="net472" />
          <package id="EntityFramework" version="6.4.4" targetFramework="net472" />
          <package id="StyleCop.Analyzers" version="1.1.118" targetFramework="net472" developmentDependency="true" />
          <package id="" version="1.0.0" />
        </packages>
        """;
        var result = LockfileHarness.RunText(_config, "WebApp/packages.config", config);
        Assert.Equal(["pkg:nuget/EntityFramework@6.4.4", "pkg:nuget/Newtonsoft.Json@12.0.3", "pkg:nuget/StyleCop.Analyzers@1.1.118"],
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.True(result.Get("pkg:nuget/StyleCop.Analyzers@1.1.118").Dev);
        Assert.False(result.Get("pkg:nuget/Newtonsoft.Json@12.0.3").Dev);
        Assert.Equal("net472", result.Get("pkg:nuget/EntityFramework@6.4.4").Metadata["targetFramework"]);
        Assert.Equal("nuget-packages-config", result.Packages[0].FoundBy);
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void Project_files_read_attributes_child_elements_updates_and_exact_ranges()
    {
        const string csproj = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net8.0</TargetFramework>
            <SerilogVersion>3.1.1</SerilogVersion>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
            <PackageReference Include="Dapper">
              <Version>2.1.24</Version>
            </PackageReference>
            <PackageReference Update="Polly" Version="8.2.0" />
            <PackageReference Include="xunit" Version="[2.6.2]" PrivateAssets="all" />
            <PackageReference Include="Serilog" Version="$(SerilogVersion)" />
            <PackageReference Include="AutoMapper" Version="12.*" />
            <PackageReference Include="MediatR" Version="[12.0,13.0)" />
            <PackageReference Include="Humanizer" Version="2.14.1-beta.3+build.7" />
          </ItemGroup>
        </Project>
        """;
        var result = LockfileHarness.RunText(_project, "src/Api/Api.csproj", csproj);
        Assert.Equal(
            new[] { "pkg:nuget/Dapper@2.1.24", "pkg:nuget/Humanizer@2.14.1-beta.3%2Bbuild.7", "pkg:nuget/Newtonsoft.Json@13.0.3", "pkg:nuget/Polly@8.2.0", "pkg:nuget/xunit@2.6.2" },
            result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("all", result.Get("pkg:nuget/xunit@2.6.2").Metadata["privateAssets"]);
        Assert.Equal("nuget-csproj", result.Packages[0].FoundBy);
        Assert.Equal(3, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.Contains("Serilog version '$(SerilogVersion)' is not a literal version", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("AutoMapper version '12.*'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/src/Api/Api.csproj:15: MediatR version '[12.0,13.0)'", StringComparison.Ordinal));
    }

    [Fact]
    public void Legacy_namespaced_projects_and_fsproj_vbproj_are_read()
    {
        const string legacy = """
        <?xml version="1.0" encoding="utf-8"?>
        <Project ToolsVersion="15.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
          <ItemGroup>
            <PackageReference Include="log4net"><Version>2.0.15</Version></PackageReference>
          </ItemGroup>
        </Project>
        """;
        Assert.Equal("pkg:nuget/log4net@2.0.15", LockfileHarness.RunText(_project, "Old/Old.vbproj", legacy).Packages.Single().Purl.ToString());
        Assert.Equal("pkg:nuget/FSharp.Core@8.0.100",
            LockfileHarness.RunText(_project, "Lib/Lib.fsproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Update="FSharp.Core" Version="8.0.100" /></ItemGroup></Project>""")
                .Packages.Single().Purl.ToString());
    }

    [Fact]
    public void Central_package_management_gives_versions_from_the_nearest_Directory_Packages_props()
    {
        using var dir = new TempDir();
        dir.File("repo/Directory.Packages.props", """
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="Newtonsoft.Json" Version="13.0.3" />
                <PackageVersion Include="Serilog" Version="3.1.1" />
                <PackageVersion Include="Polly" Version="$(PollyVersion)" />
                <GlobalPackageReference Include="Nerdbank.GitVersioning" Version="3.6.133" />
              </ItemGroup>
            </Project>
            """);
        dir.File("repo/src/Api/Api.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="newtonsoft.json" />
                <PackageReference Include="Serilog" VersionOverride="3.0.1" />
                <PackageReference Include="Missing.Package" />
              </ItemGroup>
            </Project>
            """);
        // A nearer props file wins for projects below it, as NuGet resolves it.
        dir.File("repo/tests/Directory.Packages.props", """<Project><ItemGroup><PackageVersion Include="Newtonsoft.Json" Version="12.0.1" /></ItemGroup></Project>""");
        dir.File("repo/tests/Api.Tests/Api.Tests.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Newtonsoft.Json" /></ItemGroup></Project>""");

        var api = LockfileHarness.Run(_project, dir.Path, "repo/src/Api/Api.csproj");
        Assert.Equal(["pkg:nuget/Serilog@3.0.1", "pkg:nuget/newtonsoft.json@13.0.3"], api.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("central", api.Get("pkg:nuget/newtonsoft.json@13.0.3").Metadata["versionSource"]);
        Assert.Equal("/repo/src/Api/Api.csproj", api.Packages[0].Locations[0].Path);
        Assert.Contains(api.Warnings, w => w.Contains("PackageReference 'Missing.Package' has no Version and no Directory.Packages.props above it gives one", StringComparison.Ordinal));

        var tests = LockfileHarness.Run(_project, dir.Path, "repo/tests/Api.Tests/Api.Tests.csproj");
        Assert.Equal("pkg:nuget/Newtonsoft.Json@12.0.1", tests.Packages.Single().Purl.ToString());

        var props = LockfileHarness.Run(_project, dir.Path, "repo/Directory.Packages.props");
        Assert.Equal(["pkg:nuget/Nerdbank.GitVersioning@3.6.133", "pkg:nuget/Newtonsoft.Json@13.0.3", "pkg:nuget/Serilog@3.1.1"],
            props.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("true", props.Get("pkg:nuget/Nerdbank.GitVersioning@3.6.133").Metadata["global"]);
        Assert.Contains(props.Warnings, w => w.Contains("Polly version '$(PollyVersion)'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/src/App/App.csproj", true)]
    [InlineData("/src/App/App.FSPROJ", true)]
    [InlineData("/src/App/App.vbproj", true)]
    [InlineData("/Directory.Packages.props", true)]
    [InlineData("/Directory.Build.props", true)]
    [InlineData("/src/App/App.csproj.user", false)]
    [InlineData("/src/App/packages.config", false)]
    public void FileRequired_takes_project_files(string path, bool required) =>
        Assert.Equal(required, _project.FileRequired(new Artifacts.FileSystems.FileEntry(path, Artifacts.FileSystems.FileKind.Regular, 10, 0b110_100_100)));

    [Fact]
    public void Hostile_xml_is_refused_without_reading_files_or_expanding_entities()
    {
        using var dir = new TempDir();
        var secret = dir.File("secret.txt", "TOP-SECRET");
        dir.File("xxe/packages.config", $"""
            <?xml version="1.0"?>
            <!DOCTYPE packages [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
            <packages><package id="Evil" version="&xxe;" /></packages>
            """);
        dir.File("laughs/App.csproj", """
            <?xml version="1.0"?>
            <!DOCTYPE Project [
              <!ENTITY lol "lol">
              <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
              <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
              <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
              <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
              <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
              <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
              <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
            ]>
            <Project><ItemGroup><PackageReference Include="Boom" Version="&lol9;" /></ItemGroup></Project>
            """);
        dir.File("broken/packages.config", "<packages><package id=\"A\" version=\"1.0.0\">");
        dir.File("wrongroot/packages.config", "<configuration />");
        var inventory = LockfileHarness.Scan(dir.Path, _config, _project);
        Assert.Empty(inventory.Packages);
        Assert.Equal(4, inventory.Warnings.Count);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("TOP-SECRET", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/xxe/packages.config: nuget-packages-config: /xxe/packages.config: invalid XML: ", StringComparison.Ordinal) && w.Contains("DTD", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/laughs/App.csproj: nuget-csproj: /laughs/App.csproj: invalid XML: ", StringComparison.Ordinal) && w.Contains("DTD", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/broken/packages.config: nuget-packages-config: /broken/packages.config: invalid XML", StringComparison.Ordinal));
        Assert.Contains("/wrongroot/packages.config: nuget-packages-config: /wrongroot/packages.config: root element is <configuration>, expected <packages>", inventory.Warnings);
    }
}
