using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Java;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class PomTests
{
    private static readonly string MultiModule = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pom", "multi");

    private static (List<Package> Packages, List<string> Warnings) Catalog(string root, string path)
    {
        using var fs = new DirectoryFileSystem(root);
        var cataloger = new PomCataloger();
        var entry = fs.Lstat(path)!;
        Assert.True(cataloger.FileRequired(entry));
        var warnings = new List<string>();
        var packages = cataloger.Catalog(new CatalogContext(fs, null, ScanLimits.Default, warnings.Add), entry).ToList();
        return (packages, warnings);
    }

    private static (List<Package> Packages, List<string> Warnings) CatalogText(string xml, params (string Path, string Xml)[] others)
    {
        using var dir = new TempDir();
        dir.File("proj/app/pom.xml", xml);
        foreach (var (path, text) in others) dir.File(path, text);
        return Catalog(dir.Path, "/proj/app/pom.xml");
    }

    [Fact]
    public void A_module_resolves_properties_and_managed_versions_through_its_parent()
    {
        var (packages, warnings) = Catalog(MultiModule, "/service/pom.xml");
        Assert.Equal(
        [
            "pkg:maven/com.example.shop/shop-common@2.3.0",
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2",
            "pkg:maven/org.apache.commons/commons-text@1.10.0",
            "pkg:maven/io.netty/netty-handler@4.1.101.Final",
            "pkg:maven/io.netty/netty-transport-native-epoll@4.1.101.Final?classifier=linux-x86_64",
            "pkg:maven/org.junit.jupiter/junit-jupiter@5.10.1",
            "pkg:maven/org.mockito/mockito-core@5.0",
            "pkg:maven/javax.servlet/javax.servlet-api@4.0.1",
        ], packages.Select(p => p.Purl.ToString()));

        var byName = packages.ToDictionary(p => p.Name);
        Assert.True(byName["junit-jupiter"].Dev); // scope test from the parent's dependencyManagement
        Assert.Equal("test", byName["junit-jupiter"].Metadata["scope"]);
        Assert.True(byName["mockito-core"].Dev);
        Assert.Equal("[5.0,6.0)", byName["mockito-core"].Metadata["versionRange"]);
        Assert.False(byName["javax.servlet-api"].Dev);
        Assert.Equal("provided", byName["javax.servlet-api"].Metadata["scope"]);
        Assert.Equal("true", byName["commons-text"].Metadata["optional"]);
        Assert.Equal("true", byName["netty-handler"].Metadata["managedVersion"]);
        Assert.Equal("${jackson.version}", byName["jackson-databind"].Metadata["declaredVersion"]);
        Assert.All(packages, p => Assert.Equal("/service/pom.xml", p.Locations.Single().Path));
        Assert.All(packages, p => Assert.Equal("java-pom", p.FoundBy));

        // spring-boot-starter-web's version lives in an imported BOM; protobuf's property is defined nowhere.
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("spring-boot-starter-web has no version", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("protobuf-java", StringComparison.Ordinal) && w.Contains("${protobuf.version}", StringComparison.Ordinal));
    }

    [Fact]
    public void The_parent_pom_itself_lists_its_own_dependencies()
    {
        var (packages, warnings) = Catalog(MultiModule, "/pom.xml");
        Assert.Empty(warnings);
        Assert.Equal("pkg:maven/org.slf4j/slf4j-api@2.0.9", Assert.Single(packages).Purl.ToString());
    }

    [Fact]
    public void Relative_path_to_a_directory_and_parent_identity_are_honoured()
    {
        const string parent = """
            <project><groupId>org.acme</groupId><artifactId>acme-parent</artifactId><version>7</version>
            <properties><lib.version>3.3.3</lib.version></properties></project>
            """;
        string Child(string relativePath, string parentArtifact = "acme-parent") => $$"""
            <project><parent><groupId>org.acme</groupId><artifactId>{{parentArtifact}}</artifactId><version>7</version>{{relativePath}}</parent>
            <artifactId>app</artifactId>
            <dependencies>
              <dependency><groupId>org.acme</groupId><artifactId>lib</artifactId><version>${lib.version}</version></dependency>
              <dependency><groupId>org.acme</groupId><artifactId>core</artifactId><version>${project.parent.version}.1</version></dependency>
            </dependencies></project>
            """;

        var (found, _) = CatalogText(Child("<relativePath>../../build/parent</relativePath>"), ("build/parent/pom.xml", parent));
        Assert.Equal(["pkg:maven/org.acme/lib@3.3.3", "pkg:maven/org.acme/core@7.1"], found.Select(p => p.Purl.ToString()));

        // An empty relativePath means "from the repository only"; a file that is another artifact is not the parent.
        var (none, warnings) = CatalogText(Child("<relativePath/>"), ("proj/pom.xml", parent));
        Assert.Equal(["pkg:maven/org.acme/core@7.1"], none.Select(p => p.Purl.ToString()));
        Assert.Contains("${lib.version}", Assert.Single(warnings), StringComparison.Ordinal);
        var (other, _) = CatalogText(Child("", "acme-other-parent"), ("proj/pom.xml", parent));
        Assert.Single(other);
    }

    [Fact]
    public void A_dependency_declared_twice_is_the_last_declaration_as_in_maven()
    {
        const string pom = """
            <project><groupId>g</groupId><artifactId>app</artifactId><version>1</version>
            <dependencies>
              <dependency><groupId>org.dup</groupId><artifactId>lib</artifactId><version>1.0.0</version></dependency>
              <dependency><groupId>org.other</groupId><artifactId>kept</artifactId><version>3.0</version></dependency>
              <dependency><groupId>org.dup</groupId><artifactId>lib</artifactId><version>1.1.1</version><scope>test</scope></dependency>
              <dependency><groupId>org.dup</groupId><artifactId>lib</artifactId><version>1.0.0</version><classifier>tests</classifier></dependency>
            </dependencies></project>
            """;
        var (packages, warnings) = CatalogText(pom);
        Assert.Empty(warnings);
        Assert.Equal(["pkg:maven/org.dup/lib@1.0.0?classifier=tests", "pkg:maven/org.dup/lib@1.1.1", "pkg:maven/org.other/kept@3.0"],
            packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.True(packages.Single(p => p.Version == "1.1.1").Dev);
    }

    [Fact]
    public void Profiles_active_by_default_add_their_dependencies_and_properties()
    {
        const string pom = """
            <project><groupId>g</groupId><artifactId>app</artifactId><version>1</version>
            <properties><lib.version>1.0</lib.version></properties>
            <dependencies><dependency><groupId>org.main</groupId><artifactId>main</artifactId><version>${lib.version}</version></dependency></dependencies>
            <profiles>
              <profile><id>default</id><activation><activeByDefault>true</activeByDefault></activation>
                <properties><lib.version>2.0</lib.version></properties>
                <dependencies><dependency><groupId>org.profile</groupId><artifactId>extra</artifactId><version>4.5</version></dependency></dependencies>
              </profile>
              <profile><id>ci</id><activation><property><name>env.CI</name></property></activation>
                <dependencies><dependency><groupId>org.profile</groupId><artifactId>ci-only</artifactId><version>1.0</version></dependency></dependencies>
              </profile>
              <profile><id>manual</id>
                <dependencies><dependency><groupId>org.profile</groupId><artifactId>manual-only</artifactId><version>1.0</version></dependency></dependencies>
              </profile>
            </profiles></project>
            """;
        var (packages, warnings) = CatalogText(pom);
        Assert.Empty(warnings);
        Assert.Equal(["pkg:maven/org.main/main@2.0", "pkg:maven/org.profile/extra@4.5"],
            packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_version_range_is_its_lowest_admitted_version_or_skipped_with_a_warning()
    {
        const string pom = """
            <project><groupId>g</groupId><artifactId>app</artifactId><version>1</version>
            <properties><jetty.range>[9.4.35.v20201120,9.5)</jetty.range></properties>
            <dependencies>
              <dependency><groupId>org.r</groupId><artifactId>from-property</artifactId><version>${jetty.range}</version></dependency>
              <dependency><groupId>org.r</groupId><artifactId>exact</artifactId><version>[1.2.3]</version></dependency>
              <dependency><groupId>org.r</groupId><artifactId>open-below</artifactId><version>(,2.0)</version></dependency>
              <dependency><groupId>org.r</groupId><artifactId>exclusive</artifactId><version>(1.0,2.0)</version></dependency>
            </dependencies></project>
            """;
        var (packages, warnings) = CatalogText(pom);
        Assert.Equal(["from-property@9.4.35.v20201120", "exact@1.2.3"], packages.Select(p => $"{p.Name}@{p.Version}"));
        Assert.Equal("[9.4.35.v20201120,9.5)", packages[0].Metadata["versionRange"]);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("org.r:open-below version range '(,2.0)' has no lowest version", StringComparison.Ordinal));
    }

    [Fact]
    public void Cycles_of_parents_and_of_properties_end()
    {
        const string a = """
            <project><parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version><relativePath>../b/pom.xml</relativePath></parent>
            <artifactId>a</artifactId><properties><x>${y}</x><y>${x}</y><bomb>${b1}${b1}</bomb><b1>${b2}${b2}${b2}${b2}</b1><b2>${b3}${b3}${b3}${b3}</b2>
            <b3>${b4}${b4}${b4}${b4}</b3><b4>${b5}${b5}${b5}${b5}</b4><b5>${b6}${b6}${b6}${b6}</b5><b6>${b7}${b7}${b7}${b7}</b6><b7>${b8}${b8}${b8}${b8}</b7>
            <b8>${b9}${b9}${b9}${b9}</b8><b9>0123456789012345678901234567890123456789</b9></properties>
            <dependencies>
              <dependency><groupId>g</groupId><artifactId>cyclic</artifactId><version>${x}</version></dependency>
              <dependency><groupId>g</groupId><artifactId>huge</artifactId><version>${bomb}</version></dependency>
              <dependency><groupId>g</groupId><artifactId>fine</artifactId><version>${project.version}</version></dependency>
            </dependencies></project>
            """;
        const string b = """
            <project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>../app/pom.xml</relativePath></parent>
            <groupId>g</groupId><artifactId>b</artifactId><version>1</version></project>
            """;
        var (packages, warnings) = CatalogText(a, ("proj/b/pom.xml", b));
        Assert.Equal("pkg:maven/g/fine@1", Assert.Single(packages).Purl.ToString());
        Assert.Equal(2, warnings.Count);
    }

    [Fact]
    public void Dtds_are_refused_so_no_external_entity_or_entity_bomb_is_expanded()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE project [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
            <project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
            <dependencies><dependency><groupId>g</groupId><artifactId>&secret;</artifactId><version>1</version></dependency></dependencies></project>
            """;
        var e = Assert.Throws<FormatException>(() => CatalogText(xxe));
        Assert.Contains("DTD", e.Message, StringComparison.OrdinalIgnoreCase);

        const string laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <project><artifactId>&lol3;</artifactId></project>
            """;
        Assert.Throws<FormatException>(() => CatalogText(laughs));
        Assert.Contains("invalid XML", Assert.Throws<FormatException>(() => CatalogText("<project><dependencies>")).Message, StringComparison.Ordinal);
        Assert.Contains("not a Maven POM", Assert.Throws<FormatException>(() => CatalogText("<settings/>")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_files_named_pom_xml_are_read()
    {
        var cataloger = new PomCataloger();
        Assert.True(cataloger.FileRequired(new FileEntry("/src/app/pom.xml", FileKind.Regular, 10, 0b110_100_100)));
        Assert.False(cataloger.FileRequired(new FileEntry("/src/app/pom.xml.bak", FileKind.Regular, 10, 0b110_100_100)));
        Assert.False(cataloger.FileRequired(new FileEntry("/src/app/my-pom.xml", FileKind.Regular, 10, 0b110_100_100)));
    }
}
