using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// npm, NuGet, Maven, RubyGems, Packagist and Alpine against small records written from real advisories
/// (Fixtures/osv): each vulnerable version is found with its evidence, each fixed one is not.
/// </summary>
public class EcosystemScanTests
{
    [Fact]
    public void Every_ecosystem_matches_its_advisories_exactly()
    {
        using var dir = new TempDir();
        var db = dir.Combine("v.db");
        var import = ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.Root, "tests", "ZeroDrift.EndToEnd.Tests", "Fixtures", "osv"), "--db", db);
        Assert.True(import.ExitCode == 0, import.Stderr);

        dir.File("p/etc/os-release", "ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n");
        dir.File("p/lib/apk/db/installed", "P:libssl3\nV:3.1.3-r0\nA:x86_64\nL:Apache-2.0\no:openssl\n\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\nL:Apache-2.0\no:openssl\n\n");
        dir.File("p/web/package-lock.json", """
            {"name":"web","lockfileVersion":3,"packages":{"":{"name":"web","dependencies":{"lodash":"^4.17.0"}},
             "node_modules/lodash":{"version":"4.17.20","license":"MIT"},
             "node_modules/other/node_modules/lodash":{"version":"4.17.21","license":"MIT"}}}
            """);
        dir.File("p/api/packages.lock.json", """{"version":1,"dependencies":{"net8.0":{"Newtonsoft.Json":{"type":"Direct","requested":"[12.0.3, )","resolved":"12.0.3"}}}}""");
        dir.File("p/svc-old/pom.xml", Pom("2.14.1"));
        dir.File("p/svc-patched/pom.xml", Pom("2.12.2"));
        dir.File("p/ruby/Gemfile.lock", "GEM\n  remote: https://rubygems.example.test/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n");
        dir.File("p/php/composer.lock", """{"packages":[{"name":"guzzlehttp/psr7","version":"2.1.0"}],"packages-dev":[]}""");

        var r = ZeroDriftRunner.Run("scan", dir.Combine("p"), "--db", db, "--format", "json", "--exit-code", "1");
        Assert.True(r.ExitCode == 1, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var found = json.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => $"{f.GetProperty("package").GetProperty("name").GetString()} {f.GetProperty("package").GetProperty("version").GetString()} {f.GetProperty("id").GetString()} fixed={f.GetProperty("fixedIn").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "Newtonsoft.Json 12.0.3 CVE-2024-21907 fixed=13.0.1",
            "guzzlehttp/psr7 2.1.0 CVE-2022-24775 fixed=2.1.1",
            "libssl3 3.1.3-r0 ALPINE-CVE-2023-5363 fixed=3.1.4-r0",
            "lodash 4.17.20 CVE-2021-23337 fixed=4.17.21",
            "log4j-core 2.14.1 CVE-2021-44228 fixed=2.15.0",
            "rack 2.2.3 CVE-2022-30123 fixed=2.2.3.1",
        ], found);

        var log4j = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "CVE-2021-44228");
        Assert.Equal(["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"], log4j.GetProperty("ids").EnumerateArray().Select(x => x.GetString()!).ToArray());
        Assert.Equal("CRITICAL", log4j.GetProperty("severity").GetProperty("level").GetString());
        Assert.Equal(10.0, log4j.GetProperty("severity").GetProperty("score").GetDouble());
        Assert.Equal("Maven", log4j.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("ECOSYSTEM range #0: introduced 2.13.0, fixed 2.15.0", log4j.GetProperty("matched").GetProperty("evidence").GetString());
        Assert.Equal("/svc-old/pom.xml", log4j.GetProperty("package").GetProperty("locations")[0].GetProperty("path").GetString());

        var openssl = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "ALPINE-CVE-2023-5363");
        Assert.Equal("Alpine:v3.18", openssl.GetProperty("matched").GetProperty("ecosystem").GetString());
        Assert.Equal("openssl", openssl.GetProperty("matched").GetProperty("name").GetString());
    }

    private static string Pom(string log4j) => $"""
        <project><modelVersion>4.0.0</modelVersion><groupId>example</groupId><artifactId>svc</artifactId><version>1</version>
          <dependencies><dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>{log4j}</version></dependency></dependencies>
        </project>
        """;
}
