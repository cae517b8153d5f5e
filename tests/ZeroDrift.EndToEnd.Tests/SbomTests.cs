using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

public class SbomTests
{
    private static JsonDocument Json(RunResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout);
    }

    private static string[] Packages(JsonDocument json) =>
        json.RootElement.GetProperty("packages").EnumerateArray()
            .Select(p => $"{p.GetProperty("name").GetString()}@{p.GetProperty("version").GetString()} {p.GetProperty("locations")[0].GetProperty("path").GetString()} layer={(p.GetProperty("locations")[0].TryGetProperty("layerIndex", out var l) ? l.GetInt32() : -1)}")
            .Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Sbom_of_the_root_filesystem_lists_exactly_what_dpkg_query_lists()
    {
        var expected = ZeroDriftRunner.Tool("dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .Where(f => f[0] == "installed").Select(f => $"{f[1]}@{f[2]}").Order(StringComparer.Ordinal).ToArray();
        using var json = Json(ZeroDriftRunner.Run("sbom", "/", "--format", "json", "--quiet"));
        var debs = json.RootElement.GetProperty("packages").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() == "deb")
            .Select(p => $"{p.GetProperty("name").GetString()}@{p.GetProperty("version").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, debs);
        Assert.Equal("debian", json.RootElement.GetProperty("target").GetProperty("distro").GetProperty("id").GetString());
    }

    [Fact]
    public void All_image_archive_kinds_give_the_same_packages_with_their_layers()
    {
        using var dir = new TempDir();
        var image = SampleImages.Debian();
        var references = new[]
        {
            "oci-dir:" + image.WriteOciLayout(dir.Combine("layout")),
            "oci-archive:" + image.WriteOciArchive(dir.Combine("oci.tar")),
            "docker-archive:" + image.WriteDockerArchive(dir.Combine("docker.tar")),
        };
        var results = references.Select(r => { using var j = Json(ZeroDriftRunner.Run("sbom", r, "--format", "json")); return Packages(j); }).ToList();
        Assert.Equal(
            ["base-files@12.4+deb12u5 /var/lib/dpkg/status layer=1", "curl@7.88.1-10+deb12u5 /var/lib/dpkg/status layer=1", "libc6@2.36-9+deb12u4 /var/lib/dpkg/status layer=1"],
            results[0]);
        Assert.All(results, r => Assert.Equal(results[0], r));
    }

    [Fact]
    public void Image_metadata_is_reported()
    {
        using var dir = new TempDir();
        var layout = SampleImages.Debian().WriteOciLayout(dir.Combine("layout"));
        using var json = Json(ZeroDriftRunner.Run("sbom", "oci-dir:" + layout, "--format", "json"));
        var image = json.RootElement.GetProperty("target").GetProperty("image");
        Assert.Equal(SampleImages.Debian().ManifestDigest, image.GetProperty("manifestDigest").GetString());
        Assert.Equal("linux/amd64", image.GetProperty("platform").GetString());
        Assert.Equal("sample", image.GetProperty("labels").GetProperty("org.opencontainers.image.title").GetString());
        Assert.Equal("RUN apt-get install -y curl", image.GetProperty("layers")[1].GetProperty("createdBy").GetString());
        Assert.Equal("12", json.RootElement.GetProperty("target").GetProperty("distro").GetProperty("versionId").GetString());
    }

    [Theory]
    [InlineData("cyclonedx", "cyclonedx-bom-1.6.schema.json")]
    [InlineData("spdx", "spdx-2.3.schema.json")]
    public void Sboms_validate_against_the_official_schemas(string format, string schema)
    {
        using var dir = new TempDir();
        var layout = SampleImages.Debian().WriteOciLayout(dir.Combine("layout"));
        var output = dir.Combine($"sbom.{format}.json");
        var r = ZeroDriftRunner.Run("sbom", "oci-dir:" + layout, "--format", format, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var text = File.ReadAllText(output);
        SchemaValidator.AssertValid(schema, text);
        Assert.Contains("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12", text);
        if (format == "cyclonedx")
        {
            using var doc = JsonDocument.Parse(text);
            var curl = doc.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "curl");
            var libc = doc.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "libc6");
            var deps = doc.RootElement.GetProperty("dependencies").EnumerateArray().Single(d => d.GetProperty("ref").GetString() == curl.GetProperty("bom-ref").GetString());
            Assert.Equal([libc.GetProperty("bom-ref").GetString()!], deps.GetProperty("dependsOn").EnumerateArray().Select(x => x.GetString()!).ToArray());
            Assert.Equal("container", doc.RootElement.GetProperty("metadata").GetProperty("component").GetProperty("type").GetString());
        }
        else
        {
            Assert.Contains("\"relationshipType\": \"DEPENDS_ON\"", text);
        }
    }

    [Theory]
    [InlineData("cyclonedx", "cyclonedx-bom-1.6.schema.json")]
    [InlineData("spdx", "spdx-2.3.schema.json")]
    public void Sboms_of_every_ecosystem_validate(string format, string schema)
    {
        using var dir = new TempDir();
        var project = dir.Combine("project");
        dir.File("project/package-lock.json", """
            {"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0","dependencies":{"@types/node":"^20"}},
             "node_modules/@types/node":{"version":"20.11.5","license":"MIT","dependencies":{"undici-types":"~5.26.4"}},
             "node_modules/undici-types":{"version":"5.26.5","license":"MIT"}}}
            """);
        dir.File("project/packages.lock.json", """
            {"version":1,"dependencies":{"net8.0":{"Newtonsoft.Json":{"type":"Direct","requested":"[13.0.3, )","resolved":"13.0.3","contentHash":"x"}}}}
            """);
        dir.File("project/requirements.txt", "requests==2.31.0\nurllib3==2.0.7 ; python_version >= '3.8'\n");
        dir.File("project/go.mod", "module example.com/app\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n");
        dir.File("project/Cargo.lock", "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.197\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
        dir.File("project/Gemfile.lock", "GEM\n  remote: https://rubygems.example.test/\n  specs:\n    rack (3.0.9)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n");
        dir.File("project/composer.lock", """{"packages":[{"name":"monolog/monolog","version":"3.5.0","license":["MIT"]}],"packages-dev":[]}""");
        dir.File("project/pom.xml", "<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies><dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId><version>3.14.0</version></dependency></dependencies></project>");
        dir.File("project/lib/apk/db/installed", "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\n\n");
        var output = dir.Combine("sbom.json");
        var r = ZeroDriftRunner.Run("sbom", project, "--format", format, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var text = File.ReadAllText(output);
        SchemaValidator.AssertValid(schema, text);
        foreach (var type in new[] { "pkg:npm/", "pkg:nuget/", "pkg:pypi/", "pkg:golang/", "pkg:maven/", "pkg:cargo/", "pkg:gem/", "pkg:composer/", "pkg:apk/" })
            Assert.Contains(type, text);
    }

    [Fact]
    public void The_table_lists_packages_with_their_layer()
    {
        using var dir = new TempDir();
        var layout = SampleImages.Debian().WriteOciLayout(dir.Combine("layout"));
        var r = ZeroDriftRunner.Run("sbom", "oci-dir:" + layout);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0]);
        Assert.Matches(@"^curl\s+7\.88\.1-10\+deb12u5\s+deb\s+/var/lib/dpkg/status \(layer 1\)$", lines.Single(l => l.StartsWith("curl", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_hostile_archive_exits_2_naming_the_file_and_writes_nothing_outside()
    {
        using var dir = new TempDir();
        var marker = $"zerodrift-e2e-{Guid.NewGuid():N}";
        var archive = new TestImage().Layer(new TestLayer().File($"../../../../tmp/{marker}", "x").File("big", new byte[200_000]))
            .WriteDockerArchive(dir.Combine("hostile.tar"));
        var bytes = File.ReadAllBytes(archive);
        File.WriteAllBytes(archive, bytes[..(bytes.Length - 150_000)]);
        var r = ZeroDriftRunner.Run("sbom", "docker-archive:" + archive);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"zerodrift: error: {archive}:", line);
        Assert.False(File.Exists($"/tmp/{marker}"));
    }

    [Fact]
    public void A_file_that_fails_to_parse_is_a_warning_and_the_scan_goes_on()
    {
        using var dir = new TempDir();
        dir.File("var/lib/dpkg/status", "garbage without colon\n");
        dir.File("other/var/lib/dpkg/status", "Package: a\nVersion: 1\nStatus: install ok installed\n");
        var r = ZeroDriftRunner.Run("sbom", dir.Path, "--format", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("zerodrift: warning: /var/lib/dpkg/status: dpkg: malformed control line", r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Single(json.RootElement.GetProperty("warnings").EnumerateArray());
    }
}
