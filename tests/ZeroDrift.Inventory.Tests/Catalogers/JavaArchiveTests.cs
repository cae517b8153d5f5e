using System.IO.Compression;
using System.Text;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Java;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>Real jars, wars and ears built with ZipArchive the way the jar tool and Maven lay them out.</summary>
public sealed class JavaArchiveTests
{
    private static byte[] Zip(params (string Name, byte[] Content)[] entries) => Zip(CompressionLevel.Optimal, entries);

    private static byte[] Zip(CompressionLevel level, params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = zip.CreateEntry(name, level);
                using var stream = entry.Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static (string, byte[]) Text(string name, string content) => (name, Encoding.UTF8.GetBytes(content.Replace("\r", "", StringComparison.Ordinal)));

    private static (string, byte[]) Manifest(string body) =>
        Text("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\nBuild-Jdk-Spec: 17\r\n" + body.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n\r\n");

    private static (string, byte[]) PomProperties(string group, string artifact, string version) =>
        Text($"META-INF/maven/{group}/{artifact}/pom.properties", $"#Created by Apache Maven 3.9.6\nartifactId={artifact}\ngroupId={group}\nversion={version}\n");

    /// <summary>commons-lang3 as Maven Central ships it: manifest, pom.properties, pom.xml, classes.</summary>
    internal static byte[] CommonsLang3() => Zip(
        Manifest("""
            Automatic-Module-Name: org.apache.commons.lang3
            Bundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt
            Bundle-SymbolicName: org.apache.commons.commons-lang3
            Bundle-Version: 3.14.0
            Implementation-Title: Apache Commons Lang
            Implementation-Vendor: The Apache Software Foundation
            Implementation-Version: 3.14.0
            """),
        Text("META-INF/LICENSE.txt", "Apache License\nVersion 2.0, January 2004\n"),
        PomProperties("org.apache.commons", "commons-lang3", "3.14.0"),
        Text("META-INF/maven/org.apache.commons/commons-lang3/pom.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>org.apache.commons</groupId>
              <artifactId>commons-lang3</artifactId>
              <version>3.14.0</version>
              <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license></licenses>
            </project>
            """),
        ("org/apache/commons/lang3/StringUtils.class", [0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61]));

    /// <summary>A jar without Maven metadata, named like Debian and many vendors ship them.</summary>
    private static byte[] ManifestOnly(string symbolicName, string version, string? license = null) => Zip(
        Manifest($"""
            Bundle-ManifestVersion: 2
            Bundle-SymbolicName: {symbolicName};singleton:=true
            Bundle-Version: {version}
            Implementation-Title: {symbolicName}
            Implementation-Version: {version}
            {(license is null ? "X-Nothing: 1" : "Bundle-License: " + license)}
            """),
        ("a/B.class", [0xCA, 0xFE, 0xBA, 0xBE]));

    private static (List<Package> Packages, List<string> Warnings) Scan(string name, byte[] archive, ScanLimits? limits = null)
    {
        using var dir = new TempDir();
        dir.File("opt/app/" + name, archive);
        using var fs = new DirectoryFileSystem(dir.Path);
        var cataloger = new JavaArchiveCataloger();
        var entry = Assert.Single(fs.Enumerate(), cataloger.FileRequired);
        var warnings = new List<string>();
        var packages = cataloger.Catalog(new CatalogContext(fs, null, limits ?? ScanLimits.Default, warnings.Add), entry).ToList();
        return (packages, warnings);
    }

    [Fact]
    public void Pom_properties_give_the_package_and_the_embedded_pom_its_license()
    {
        var (packages, warnings) = Scan("commons-lang3-3.14.0.jar", CommonsLang3());
        Assert.Empty(warnings);
        var p = Assert.Single(packages);
        Assert.Equal("commons-lang3", p.Name);
        Assert.Equal("3.14.0", p.Version);
        Assert.Equal(Ecosystem.Maven, p.Ecosystem);
        Assert.Equal("pkg:maven/org.apache.commons/commons-lang3@3.14.0", p.Purl.ToString());
        Assert.Equal(["Apache-2.0"], p.Licenses);
        Assert.Equal("/opt/app/commons-lang3-3.14.0.jar", p.Locations.Single().Path);
        Assert.Equal("java-archive", p.FoundBy);
        Assert.False(p.Metadata.ContainsKey("nestedPath"));
    }

    [Fact]
    public void A_shaded_jar_yields_every_pom_properties()
    {
        var jar = Zip(
            Manifest("Implementation-Title: app\nImplementation-Version: 1.0"),
            PomProperties("com.example", "app", "1.0.0"),
            PomProperties("com.fasterxml.jackson.core", "jackson-databind", "2.15.2"),
            PomProperties("com.google.guava", "guava", "32.1.3-jre"),
            Text("META-INF/maven/bad/bad/pom.properties", "groupId=bad\nartifactId=bad\nversion=${revision}\n"));
        var (packages, warnings) = Scan("app.jar", jar);
        Assert.Equal(["pkg:maven/com.example/app@1.0.0", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2", "pkg:maven/com.google.guava/guava@32.1.3-jre"],
            packages.Select(p => p.Purl.ToString()));
        Assert.Contains(warnings, w => w.Contains("META-INF/maven/bad/bad/pom.properties", StringComparison.Ordinal));
    }

    [Fact]
    public void A_jar_whose_only_pom_properties_are_shaded_is_still_a_package_itself()
    {
        // As Debian ships guice.jar: its own manifest, and cglib's pom.properties shaded into it.
        var guice = Zip(
            Manifest("Automatic-Module-Name: com.google.guice\nBundle-License: http://www.apache.org/licenses/LICENSE-2.0.txt\nBundle-Name: guice\nBundle-SymbolicName: com.google.inject\nBundle-Version: 4.2.3"),
            PomProperties("cglib", "cglib", "3.2.12"));
        var (packages, warnings) = Scan("guice.jar", guice);
        Assert.Empty(warnings);
        Assert.Equal(["pkg:maven/com.google.inject/guice@4.2.3", "pkg:maven/cglib/cglib@3.2.12"], packages.Select(p => p.Purl.ToString()));
        Assert.Equal(["http://www.apache.org/licenses/LICENSE-2.0.txt"], packages[0].Licenses);
        Assert.Empty(packages[1].Licenses);

        // Debian's maven3-core.jar is maven-core renamed: the manifest's version says the pom.properties is its own.
        var core = Zip(
            Manifest("Specification-Title: Maven Core\nSpecification-Version: 3.8\nImplementation-Title: Maven Core\nImplementation-Version: 3.8.7"),
            PomProperties("org.apache.maven", "maven-core", "3.8.7"));
        Assert.Equal("pkg:maven/org.apache.maven/maven-core@3.8.7", Assert.Single(Scan("maven3-core.jar", core).Packages).Purl.ToString());
    }

    [Fact]
    public void Without_pom_properties_the_manifest_and_file_name_are_used()
    {
        var (packages, warnings) = Scan("org.eclipse.osgi-3.18.0.jar", ManifestOnly("org.eclipse.osgi", "3.18.0.v20220516-2155", "EPL-2.0;link=\"https://www.eclipse.org/legal/epl-2.0\""));
        Assert.Empty(warnings);
        var p = Assert.Single(packages);
        // Syft's order: the file name's version first, then the manifest's.
        Assert.Equal("pkg:maven/org.eclipse.osgi/org.eclipse.osgi@3.18.0", p.Purl.ToString());
        Assert.Equal(["EPL-2.0"], p.Licenses);
        Assert.Equal("META-INF/MANIFEST.MF", p.Metadata["source"]);

        var (unversioned, _) = Scan("launcher.jar", ManifestOnly("com.acme.launcher", "2.4.1"));
        Assert.Equal("pkg:maven/com.acme.launcher/com.acme.launcher@2.4.1", Assert.Single(unversioned).Purl.ToString());

        var noMetadata = Zip(("a/B.class", [0xCA, 0xFE]));
        Assert.Equal("pkg:maven/jsr305/jsr305@3.0.2", Assert.Single(Scan("jsr305-3.0.2.jar", noMetadata).Packages).Purl.ToString());
        Assert.Empty(Scan("classes.jar", noMetadata).Packages);
    }

    [Theory]
    [InlineData("commons-lang3-3.14.0.jar", "commons-lang3", "3.14.0")]
    [InlineData("guava-32.1.3-jre.jar", "guava", "32.1.3-jre")]
    [InlineData("jetty-server-9.4.53.v20231009.jar", "jetty-server", "9.4.53.v20231009")]
    [InlineData("log4j-1.2.17.jar", "log4j", "1.2.17")]
    [InlineData("spring-boot-starter-web-3.2.0.war", "spring-boot-starter-web", "3.2.0")]
    [InlineData("app.jar", "app", null)]
    public void File_names_split_into_name_and_version(string file, string name, string? version) =>
        Assert.Equal((name, version), ArchiveFileName.Split(file));

    [Fact]
    public void A_war_lists_its_nested_jars_with_their_nested_path_and_depends_on_them()
    {
        var war = Zip(
            Manifest("Implementation-Title: shop\nImplementation-Version: 2.1.0"),
            PomProperties("com.example", "shop", "2.1.0"),
            Text("WEB-INF/web.xml", "<web-app/>"),
            ("WEB-INF/lib/commons-lang3-3.14.0.jar", CommonsLang3()),
            ("WEB-INF/lib/org.eclipse.osgi-3.18.0.jar", ManifestOnly("org.eclipse.osgi", "3.18.0")),
            ("WEB-INF/lib/broken-1.0.jar", Encoding.ASCII.GetBytes("this is not a zip file at all")));
        var (packages, warnings) = Scan("shop.war", war);
        var byName = packages.ToDictionary(p => p.Name);
        Assert.Equal(["shop", "commons-lang3", "org.eclipse.osgi"], packages.Select(p => p.Name));
        Assert.All(packages, p => Assert.Equal("/opt/app/shop.war", p.Locations.Single().Path));
        Assert.Equal("shop.war!/WEB-INF/lib/commons-lang3-3.14.0.jar", byName["commons-lang3"].Metadata["nestedPath"]);
        Assert.Equal("shop.war!/WEB-INF/lib/org.eclipse.osgi-3.18.0.jar", byName["org.eclipse.osgi"].Metadata["nestedPath"]);
        Assert.Equal([byName["commons-lang3"].Id, byName["org.eclipse.osgi"].Id], byName["shop"].DependsOn);
        var warning = Assert.Single(warnings);
        Assert.Contains("shop.war!/WEB-INF/lib/broken-1.0.jar", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Spring_boot_and_ear_layouts_are_read_through_every_level()
    {
        var boot = Zip(
            Manifest("Main-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.Api"),
            PomProperties("com.example", "api", "0.0.1-SNAPSHOT"),
            ("BOOT-INF/lib/commons-lang3-3.14.0.jar", CommonsLang3()));
        var war = Zip(PomProperties("com.example", "web", "5.0"), ("WEB-INF/lib/api-0.0.1-SNAPSHOT.jar", boot));
        var ear = Zip(PomProperties("com.example", "bundle", "5.0"), ("web-5.0.war", war), ("lib/org.eclipse.osgi-3.18.0.jar", ManifestOnly("org.eclipse.osgi", "3.18.0")));
        var (packages, warnings) = Scan("bundle-5.0.ear", ear);
        Assert.Empty(warnings);
        Assert.Equal(
            ["bundle", "web", "api", "commons-lang3", "org.eclipse.osgi"],
            packages.Select(p => p.Name));
        Assert.Equal("bundle-5.0.ear!/web-5.0.war!/WEB-INF/lib/api-0.0.1-SNAPSHOT.jar!/BOOT-INF/lib/commons-lang3-3.14.0.jar",
            packages.Single(p => p.Name == "commons-lang3").Metadata["nestedPath"]);
    }

    [Fact]
    public void Archives_nested_deeper_than_the_limit_are_not_opened()
    {
        // level1.jar ⊃ level2.jar ⊃ … ⊃ level7.jar, each with its own pom.properties.
        byte[]? inner = null;
        for (var level = 7; level >= 1; level--)
        {
            var entries = new List<(string, byte[])> { PomProperties("com.example", $"level{level}", "1.0") };
            if (inner is not null) entries.Add(($"lib/level{level + 1}-1.0.jar", inner));
            inner = Zip([.. entries]);
        }
        var (packages, warnings) = Scan("level1-1.0.jar", inner!);
        Assert.Equal(ScanLimits.Default.MaxArchiveDepth, packages.Count);
        Assert.Equal(["level1", "level2", "level3", "level4"], packages.Select(p => p.Name));
        Assert.Contains("nested more than 4 archives deep", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_jar_bomb_is_refused_by_its_compression_ratio_and_the_rest_is_read()
    {
        // 80 MiB of zeros deflates to about 80 KiB: a ratio near 1000:1, past the default 200:1 beyond 64 MiB.
        var bomb = new byte[80 << 20];
        var jar = Zip(CompressionLevel.SmallestSize,
            PomProperties("com.example", "carrier", "1.0"),
            ("lib/zeros-1.0.jar", bomb),
            ("lib/commons-lang3-3.14.0.jar", CommonsLang3()));
        Assert.True(jar.Length < 1 << 20);
        var (packages, warnings) = Scan("carrier-1.0.jar", jar);
        Assert.Equal(["carrier", "commons-lang3"], packages.Select(p => p.Name));
        var warning = Assert.Single(warnings);
        Assert.Contains("lib/zeros-1.0.jar", warning, StringComparison.Ordinal);
        Assert.Contains("compression ratio", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void The_inflated_byte_budget_and_entry_count_bound_the_whole_archive_tree()
    {
        // Inner jars stored without compression, 300 KB each, that the outer jar deflates to almost nothing:
        // far below the ratio threshold, so only the budget of inflated bytes (MaxFileBytes) stops them.
        var filler = new byte[300_000];
        byte[] Inner(string name) => Zip(CompressionLevel.NoCompression, PomProperties("com.example", name, "1.0"), ("blob", filler));
        var jar = Zip(PomProperties("com.example", "outer", "1.0"),
            ("lib/a-1.0.jar", Inner("a")), ("lib/b-1.0.jar", Inner("b")), ("lib/c-1.0.jar", Inner("c")));
        Assert.True(jar.Length < 100_000);
        var (packages, warnings) = Scan("outer-1.0.jar", jar, ScanLimits.Default with { MaxFileBytes = 800_000 });
        Assert.Equal(["outer", "a", "b"], packages.Select(p => p.Name));
        Assert.Contains("byte budget", Assert.Single(warnings), StringComparison.Ordinal);

        var many = Zip([PomProperties("com.example", "outer", "1.0"),
            ("lib/many-1.0.jar", Zip([.. Enumerable.Range(0, 100).Select(i => Text($"f{i}.txt", "x"))]))]);
        var (few, entryWarnings) = Scan("outer-1.0.jar", many, ScanLimits.Default with { MaxEntries = 50 });
        Assert.Equal(["outer"], few.Select(p => p.Name));
        Assert.Contains("more than 50 zip entries", Assert.Single(entryWarnings), StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_archive_is_a_warning_and_the_scan_goes_on()
    {
        using var dir = new TempDir();
        dir.File("app/lib/commons-lang3-3.14.0.jar", CommonsLang3());
        var truncated = CommonsLang3()[..200];
        dir.File("app/lib/truncated-1.0.jar", truncated);
        dir.File("app/lib/empty.war", []);
        using var fs = new DirectoryFileSystem(dir.Path);
        using var target = new Target(new TargetReference(TargetKind.Directory, dir.Path), fs, null, null, []);
        var inventory = new InventoryScanner([new JavaArchiveCataloger()]).Scan(target, ScanLimits.Default, CancellationToken.None);
        Assert.Equal("commons-lang3", Assert.Single(inventory.Packages).Name);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/app/lib/truncated-1.0.jar: java-archive:", StringComparison.Ordinal) && w.Contains("not a readable zip", StringComparison.Ordinal));
    }

    /// <summary>A file tree whose files open as forward-only streams, as a layer's tar stream gives them.</summary>
    private sealed class ForwardOnlyFileSystem(IFileSystem inner) : IFileSystem
    {
        public IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default) => inner.Enumerate(cancellationToken);
        public FileEntry? Lstat(string path) => inner.Lstat(path);
        public IEnumerable<FileEntry> List(string directory) => inner.List(directory);
        public Stream Open(FileEntry entry) => new ForwardOnly(inner.Open(entry));
        public void Dispose() => inner.Dispose();
    }

    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void Forward_only_streams_are_buffered_within_the_file_size_limit()
    {
        using var dir = new TempDir();
        dir.File("app/shop.war", Zip(PomProperties("com.example", "shop", "2.1.0"), ("WEB-INF/lib/commons-lang3-3.14.0.jar", CommonsLang3())));
        using var fs = new ForwardOnlyFileSystem(new DirectoryFileSystem(dir.Path));
        var cataloger = new JavaArchiveCataloger();
        var entry = Assert.Single(fs.Enumerate(), cataloger.FileRequired);
        var warnings = new List<string>();
        var packages = cataloger.Catalog(new CatalogContext(fs, null, ScanLimits.Default, warnings.Add), entry).ToList();
        Assert.Equal(["shop", "commons-lang3"], packages.Select(p => p.Name));
        Assert.Empty(warnings);
        // A size that lies (smaller than the stream) cannot make the copy exceed the limit.
        var small = ScanLimits.Default with { MaxFileBytes = 1000 };
        var liar = entry with { Size = 10 };
        Assert.Throws<LimitExceededException>(() => cataloger.Catalog(new CatalogContext(fs, null, small, warnings.Add), liar).ToList());
    }

    [Fact]
    public void Manifest_continuation_lines_and_group_ids_follow_the_jar_specification()
    {
        var manifest = JavaManifest.Parse("Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-da\r\n tabind\r\nBundle-License: Apache-2.0, MIT;link=x\r\n\r\nName: a/B.class\r\nBundle-Version: 9\r\n");
        Assert.Equal("com.fasterxml.jackson.core.jackson-databind", manifest["Bundle-SymbolicName"]);
        Assert.Equal("com.fasterxml.jackson.core.jackson-databind", manifest.GroupId());
        Assert.Equal(["Apache-2.0", "MIT"], manifest.Licenses());
        Assert.Null(manifest["Bundle-Version"]); // per-entry sections are not the main section
        Assert.Null(JavaManifest.Parse("Implementation-Title: Apache Commons Lang\n").GroupId());
    }

    [Fact]
    public void Archives_are_chosen_by_extension()
    {
        var cataloger = new JavaArchiveCataloger();
        foreach (var name in new[] { "a.jar", "b.WAR", "c.ear", "jenkins-plugin.jpi", "old.hpi" })
            Assert.True(cataloger.FileRequired(new FileEntry("/x/" + name, FileKind.Regular, 10, 0b110_100_100)), name);
        foreach (var name in new[] { "a.jar.sha1", "jar", "a.zip", "pom.xml" })
            Assert.False(cataloger.FileRequired(new FileEntry("/x/" + name, FileKind.Regular, 10, 0b110_100_100)), name);
    }
}
