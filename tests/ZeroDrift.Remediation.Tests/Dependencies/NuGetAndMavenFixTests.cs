namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>NuGet project files, central package management and lock files; Maven versions held in properties.</summary>
[Collection(AdvisoryCollection.Name)]
public sealed class NuGetAndMavenFixTests(AdvisoryDatabase db)
{
    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Newtonsoft.Json" Version="12.0.1" />
          </ItemGroup>
        </Project>

        """;

    [Fact]
    public void Newtonsoft_12_to_13_is_a_major_upgrade_left_alone_by_default()
    {
        using var tree = new TempDir();
        tree.File("app/app.csproj", Project);

        var plan = FixHarness.Apply(db, tree.Path);

        var upgrade = FixHarness.Upgrade(plan, "Newtonsoft.Json");
        Assert.Equal(("12.0.1", null, "13.0.1", true), (upgrade.From, upgrade.To, upgrade.Smallest, upgrade.CrossesMajor));
        Assert.Empty(plan.Changes);
        Assert.Equal(Project, File.ReadAllText(tree.Combine("app/app.csproj")));
    }

    [ToolFact("dotnet", "https://api.nuget.org/v3/index.json")]
    public void PackageReference_moves_with_allow_major_and_dotnet_restore_resolves_it()
    {
        using var tree = new TempDir();
        tree.File("app/app.csproj", Project);

        var plan = FixHarness.Apply(db, tree.Path, allowMajor: true);

        var edit = Assert.Single(plan.Changes.SelectMany(c => c.Edits));
        Assert.Equal(("app/app.csproj", 6, "13.0.1"), (edit.File, edit.Line, edit.To));
        Assert.Equal(Project.Replace("12.0.1", "13.0.1", StringComparison.Ordinal), File.ReadAllText(tree.Combine("app/app.csproj")));
        var (code, output) = Tools.Run(tree.Combine("app"), "dotnet", "restore");
        Assert.True(code == 0, output);
        Assert.Contains("\"Newtonsoft.Json/13.0.1\"", File.ReadAllText(tree.Combine("app/obj/project.assets.json")), StringComparison.Ordinal);
        Assert.Empty(FixHarness.Findings(db, tree.Path));
    }

    [ToolFact("dotnet", "https://api.nuget.org/v3/index.json")]
    public void Central_package_version_and_lock_file_move_and_restore_in_locked_mode_accepts_them()
    {
        using var tree = new TempDir();
        tree.File("Directory.Packages.props", """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="Newtonsoft.Json" Version="12.0.1" />
              </ItemGroup>
            </Project>

            """);
        tree.File("app/app.csproj", Project.Replace(" Version=\"12.0.1\"", "", StringComparison.Ordinal)
            .Replace("</TargetFramework>", "</TargetFramework>\n    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>", StringComparison.Ordinal));
        // dotnet writes the real lock file first.
        var (made, log) = Tools.Run(tree.Combine("app"), "dotnet", "restore");
        Assert.True(made == 0, log);
        Assert.Contains("\"resolved\": \"12.0.1\"", File.ReadAllText(tree.Combine("app/packages.lock.json")), StringComparison.Ordinal);

        var plan = FixHarness.Apply(db, tree.Path, allowMajor: true);

        Assert.Equal(["Directory.Packages.props", "app/packages.lock.json"], plan.Changes.Select(c => c.File).Order(StringComparer.Ordinal));
        var lockText = File.ReadAllText(tree.Combine("app/packages.lock.json"));
        Assert.Contains("\"resolved\": \"13.0.1\"", lockText, StringComparison.Ordinal);
        Assert.Contains("\"requested\": \"[13.0.1, )\"", lockText, StringComparison.Ordinal);
        Assert.Contains(plan.Notes, n => n.Contains("dotnet restore --force-evaluate", StringComparison.Ordinal));
        var (code, output) = Tools.Run(tree.Combine("app"), "dotnet", "restore", "--force-evaluate");
        Assert.True(code == 0, output);
        Assert.Contains("\"resolved\": \"13.0.1\"", File.ReadAllText(tree.Combine("app/packages.lock.json")), StringComparison.Ordinal);
        Assert.Empty(FixHarness.Findings(db, tree.Path));
    }

    private const string Pom = """
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>app</artifactId>
          <version>1.0</version>
          <properties>
            <log4j.version>2.14.1</log4j.version>
          </properties>
          <dependencies>
            <dependency>
              <groupId>org.apache.logging.log4j</groupId>
              <artifactId>log4j-core</artifactId>
              <version>${log4j.version}</version>
            </dependency>
          </dependencies>
        </project>

        """;

    [Fact]
    public void Maven_version_held_in_a_property_moves_in_the_property()
    {
        using var tree = new TempDir();
        tree.File("pom.xml", Pom);

        var plan = FixHarness.Apply(db, tree.Path);

        // 2.15.0 closes CVE-2021-44228 but the database says 2.15.0, 2.16.0 and 2.17.0 are each affected by a later one.
        var log4j = FixHarness.Upgrade(plan, "org.apache.logging.log4j:log4j-core");
        Assert.Equal(("2.14.1", "2.17.1"), (log4j.From, log4j.To));
        Assert.Equal(["CVE-2021-44228", "CVE-2021-44832", "CVE-2021-45046", "CVE-2021-45105"], log4j.Advisories);
        var edit = Assert.Single(plan.Changes.SelectMany(c => c.Edits));
        Assert.Equal((8, "property log4j.version"), (edit.Line, edit.What));
        Assert.Equal(Pom.Replace("2.14.1", "2.17.1", StringComparison.Ordinal), File.ReadAllText(tree.Combine("pom.xml")));
        Assert.Empty(FixHarness.Findings(db, tree.Path));

    }

    [ToolFact("mvn")]
    public void Maven_validates_the_edited_pom_offline()
    {
        using var tree = new TempDir();
        tree.File("pom.xml", Pom);
        FixHarness.Apply(db, tree.Path);
        // Offline, Maven builds and interpolates the model (resolving the artifact would need Maven Central).
        var (code, output) = Tools.Run(tree.Path, "mvn", "-o", "-q", "-B", "validate");
        Assert.True(code == 0, output);
    }
}
