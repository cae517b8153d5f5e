using System.Text.Json;
using ZeroDrift.DynamicTesting.Vex;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>The Debian OSV export imported once into a database of the class's own.</summary>
public sealed class DebianDatabaseFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Db => Dir.Combine("osv.db");

    public DebianDatabaseFixture()
    {
        Directory.CreateDirectory(Dir.Combine("osv/Debian"));
        File.CreateSymbolicLink(Dir.Combine("osv/Debian/all.zip"), Path.Combine(RepoPaths.SharedData, "osv", "Debian", "all.zip"));
        var r = Cli.Zerodrift("db", "import", Dir.Combine("osv"), "--db", Db, "--quiet");
        if (r.ExitCode != 0) throw new InvalidOperationException(r.Stderr);
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>
/// <c>zerodrift vex generate</c> then <c>zerodrift scan --vex</c>: a Debian 10 image whose libxml2 was loaded (its
/// shared object opened, under merged /usr's other name) and whose redis-server never ran. The VEX suppresses
/// redis-server's findings and not libxml2's; a later profile that runs redis withdraws the statement.
/// </summary>
public sealed class RuntimeVexTests(DebianDatabaseFixture osv) : IClassFixture<DebianDatabaseFixture>
{
    private const string Profile = """
        apiVersion: zerodrift.dev/v1
        kind: BehaviourProfile
        metadata:
          workload: web
          image: localhost/web:1
          imageDigest: sha256:1111111111111111111111111111111111111111111111111111111111111111
          created: 2026-12-07T10:00:00Z
          updated: 2026-12-07T10:05:00Z
        spec:
          mode: learn
          processes:
          - executable: /usr/bin/python3.7
            parent: runtime:entry
          files:
          - path: /lib/x86_64-linux-gnu/libxml2.so.2
            access: r
          - path: /usr/bin
            access: r
          - path: /tmp/*
            access: rw
        """;

    private static string Image(TempDir dir)
    {
        var status = "Package: libxml2\nStatus: install ok installed\nArchitecture: amd64\nSource: libxml2 (2.9.4+dfsg1-7+deb10u9)\nVersion: 2.9.4+dfsg1-7+deb10u9\n\n"
            + "Package: redis-server\nStatus: install ok installed\nArchitecture: amd64\nSource: redis (5:5.0.14-1+deb10u8)\nVersion: 5:5.0.14-1+deb10u8\n";
        return "oci-dir:" + new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nID=debian\nVERSION_ID=\"10\"\n")
                .File("var/lib/dpkg/status", status)
                .File("var/lib/dpkg/info/libxml2:amd64.list", "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libxml2.so.2.9.4\n/usr/lib/x86_64-linux-gnu/libxml2.so.2\n")
                .File("var/lib/dpkg/info/redis-server.list", "/.\n/usr\n/usr/bin\n/usr/bin/redis-server\n/usr/bin/redis-check-rdb\n"))
            .WriteOciLayout(dir.Combine("image"));
    }

    [Fact]
    public void The_vex_suppresses_the_never_loaded_package_and_not_the_loaded_one()
    {
        using var dir = new TempDir();
        var image = Image(dir);
        var profile = dir.File("web.profile.yaml", Profile);
        var vex = dir.Combine("web.vex.json");
        var generated = Cli.Zerodrift("vex", "generate", image, "--profile", profile, "--db", osv.Db, "--output", vex);
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.Contains("2 packages: 1 loaded, 1 never loaded, 0 without a file list", generated.Stderr, StringComparison.Ordinal);

        using var document = JsonDocument.Parse(File.ReadAllText(vex));
        Assert.Equal(RuntimeVex.Context, document.RootElement.GetProperty("@context").GetString());
        var statements = document.RootElement.GetProperty("statements").EnumerateArray().ToList();
        var redis = statements.Where(s => Subcomponent(s).StartsWith("pkg:deb/debian/redis-server@", StringComparison.Ordinal)).ToList();
        var libxml2 = statements.Where(s => Subcomponent(s).StartsWith("pkg:deb/debian/libxml2@", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(redis);
        Assert.NotEmpty(libxml2);
        Assert.All(redis, s =>
        {
            Assert.Equal("not_affected", s.GetProperty("status").GetString());
            Assert.Equal("vulnerable_code_not_in_execute_path", s.GetProperty("justification").GetString());
            Assert.StartsWith("None of the 2 files of redis-server 5:5.0.14-1+deb10u8 was executed or opened in 1 behaviour profile(s) of this image (300 s observed)", s.GetProperty("impact_statement").GetString(), StringComparison.Ordinal);
            Assert.Contains("web.profile.yaml (web@sha256:1111", s.GetProperty("status_notes").GetString(), StringComparison.Ordinal);
        });
        Assert.All(libxml2, s =>
        {
            Assert.Equal("under_investigation", s.GetProperty("status").GetString());
            Assert.Equal("loaded at run time: /usr/lib/x86_64-linux-gnu/libxml2.so.2 used in web.profile.yaml", s.GetProperty("status_notes").GetString());
        });

        // scan --vex: redis-server's findings suppressed by the runtime evidence, libxml2's still count.
        var scan = Cli.Zerodrift("scan", image, "--db", osv.Db, "--format", "json", "--vex", vex, "--exit-code", "5");
        Assert.True(scan.ExitCode == 5, scan.Stderr);
        using var report = JsonDocument.Parse(scan.Stdout);
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var redisFindings = findings.Where(f => f.GetProperty("package").GetProperty("name").GetString() == "redis-server").ToList();
        var libxml2Findings = findings.Where(f => f.GetProperty("package").GetProperty("name").GetString() == "libxml2").ToList();
        Assert.NotEmpty(redisFindings);
        Assert.All(redisFindings, f => Assert.StartsWith("vulnerable_code_not_in_execute_path: None of the 2 files of redis-server", f.GetProperty("suppressed").GetProperty("justification").GetString(), StringComparison.Ordinal));
        Assert.NotEmpty(libxml2Findings);
        Assert.All(libxml2Findings, f => Assert.False(f.TryGetProperty("suppressed", out _)));

        // A later profile that ran redis: the statement is withdrawn (under investigation, nothing suppressed).
        var later = dir.File("later.profile.yaml", Profile.Replace("/usr/bin/python3.7", "/bin/redis-check-rdb", StringComparison.Ordinal));
        var again = Cli.Zerodrift("vex", "generate", image, "--profile", profile, "--profile", later, "--db", osv.Db);
        Assert.True(again.ExitCode == 0, again.Stderr);
        using var withdrawn = JsonDocument.Parse(again.Stdout);
        Assert.DoesNotContain(withdrawn.RootElement.GetProperty("statements").EnumerateArray(), s => s.GetProperty("status").GetString() == "not_affected");
    }

    [Fact]
    public void Without_a_profile_or_with_a_broken_one_it_is_one_error_line_and_exit_2()
    {
        using var dir = new TempDir();
        var image = Image(dir);
        var none = Cli.Zerodrift("vex", "generate", image, "--db", osv.Db);
        Assert.Equal(2, none.ExitCode);
        Assert.Equal("zerodrift: error: --profile: give at least one behaviour profile of the image", none.Stderr.Trim());
        var broken = Cli.Zerodrift("vex", "generate", image, "--db", osv.Db, "--profile", dir.File("bad.yaml", "apiVersion: [unclosed\n"));
        Assert.Equal(2, broken.ExitCode);
        Assert.Single(broken.Stderr.Trim().Split('\n'));
        Assert.StartsWith("zerodrift: error: ", broken.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Loaded_files_fold_merged_usr_and_match_folded_patterns_by_their_directory()
    {
        var loaded = new LoadedFiles();
        loaded.Add(new BehaviourProfile
        {
            Identity = new WorkloadIdentity("w", "sha256:0"),
            Processes = [new ProcessEntry("/usr/bin/python3.11")],
            Files = [new FileAccessEntry("/usr/lib/python3/dist-packages/requests/**", FileAccessKind.Read), new FileAccessEntry("/lib/x86_64-linux-gnu/libssl.so.3", FileAccessKind.Read)],
        }, "p");
        Assert.Equal("p", loaded.UsedBy("/bin/python3.11"));
        Assert.Equal("p", loaded.UsedBy("/usr/lib/x86_64-linux-gnu/libssl.so.3"));
        Assert.Equal("p", loaded.UsedBy("/usr/lib/python3/dist-packages/requests/adapters.py"));
        Assert.Null(loaded.UsedBy("/usr/lib/python3/dist-packages/urllib3/poolmanager.py"));
        Assert.Null(loaded.UsedBy("/usr/libexec/x"));
        Assert.Equal(["/usr/bin/a", "/usr/lib-extra"], RuntimeVex.RegularFiles(["/.", "/usr", "/usr/bin", "/usr/bin/a", "/usr/lib-extra"]));
    }

    [Fact]
    public void A_streamed_profile_gives_what_the_full_parse_gives_vex_and_refuses_what_it_refuses()
    {
        const string yaml = """
            apiVersion: zerodrift.dev/v1
            kind: BehaviourProfile
            metadata:
              workload: web
              image: localhost/web:1
              imageDigest: sha256:a98436959f57e8342b5b5318245f22c0000472b37f5cf4ba104fbc5fd600fa96
              created: 2026-12-07T17:22:47Z
              updated: 2026-12-07T18:22:49Z
            spec:
              mode: monitor
              processes:
              - executable: /usr/sbin/nginx
                sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
                parent: runtime:entry
                user: www-data
                uid: 33
              - {executable: /bin/sh, parent: /usr/sbin/nginx}
              files:
              - path: /etc/nginx/nginx.conf
                access: r
              - {path: '/usr/lib/x86_64-linux-gnu/lib''q.so.1', access: r}
              - path: /var/log/nginx/*
                access: w
              network:
              - {direction: egress, protocol: tcp, peer: 10.0.0.1, port: 5432}
              syscalls: [accept4, read]
            """;
        var full = ProfileYaml.Parse(yaml, "p.yaml");
        var streamed = ProfilePaths.Read(new StringReader(yaml), "p.yaml");
        Assert.Equal(full.Identity, streamed.Identity);
        Assert.Equal((full.Mode, full.Created, full.Updated), (streamed.Mode, streamed.Created, streamed.Updated));
        Assert.Equal(full.Processes.Select(p => p.Executable), streamed.Executables);
        Assert.Equal(full.Files.Select(f => f.Path), streamed.Files);
        Assert.Equal(ProfileEvidence.Of(full, "p.yaml"), ProfileEvidence.Of(streamed, "p.yaml"));

        // What the full parse refuses about identity and paths, the stream refuses with the same message.
        foreach (var (from, to) in new[]
        {
            ("imageDigest: sha256:a98", "imageDigest: sha256:XYZ"),
            ("kind: BehaviourProfile", "kind: Other"),
            ("- path: /etc/nginx/nginx.conf", "- path: etc/nginx/nginx.conf"),
            ("mode: monitor", "mode: 3"),
        })
        {
            var bad = yaml.Replace(from, to, StringComparison.Ordinal);
            var expected = Assert.Throws<ProfileFormatException>(() => ProfileYaml.Parse(bad, "p.yaml")).Message;
            Assert.Equal(expected, Assert.Throws<ProfileFormatException>(() => ProfilePaths.Read(new StringReader(bad), "p.yaml")).Message);
        }
        Assert.StartsWith("p.yaml: line ", Assert.Throws<ProfileFormatException>(() => ProfilePaths.Read(new StringReader("apiVersion: [unclosed\n"), "p.yaml")).Message, StringComparison.Ordinal);
    }

    private static string Subcomponent(JsonElement statement) =>
        statement.GetProperty("products")[0].GetProperty("subcomponents")[0].GetProperty("@id").GetString()!;
}
