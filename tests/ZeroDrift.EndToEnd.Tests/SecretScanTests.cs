using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary><c>zerodrift scan --scanners secret</c> as users run it: directories, image layers, git history, archives, reports.</summary>
public class SecretScanTests
{
    // Split so that this source file is not itself a finding of secret scanners.
    private static readonly string GitHubToken = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";
    private static readonly string AwsKeyId = "AKIA" + "Z3MSJV4WWNKWW5FG";
    private static readonly string StripeKey = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc";

    /// <summary>A path no database is at: a secrets-only scan must not need one.</summary>
    private static string[] Scan(string target, params string[] extra) =>
        ["scan", target, "--scanners", "secret", "--db", "/nonexistent/zerodrift.db", "--quiet", .. extra];

    private static JsonElement[] ContentFindings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("contentFindings").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [Fact]
    public void Secret_in_a_directory_is_found_redacted_without_a_vulnerability_database()
    {
        using var dir = new TempDir();
        dir.File("config/app.env", $"# settings\nDEBUG=1\nGITHUB_TOKEN={GitHubToken}\n");
        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var f = Assert.Single(ContentFindings(r.Stdout), x => x.GetProperty("ruleId").GetString() == "github-pat");
        Assert.Equal("/config/app.env", f.GetProperty("path").GetString());
        Assert.Equal(3, f.GetProperty("startLine").GetInt32());
        Assert.Equal(14, f.GetProperty("startColumn").GetInt32());
        Assert.Equal("secret", f.GetProperty("class").GetString());
        Assert.Equal("config/app.env:github-pat:3", f.GetProperty("fingerprint").GetString());
        Assert.DoesNotContain(GitHubToken, r.Stdout);
        Assert.Contains("ghp_*****", f.GetProperty("match").GetString());
        Assert.DoesNotContain("\"database\"", r.Stdout);

        var table = ZeroDriftRunner.Run(Scan(dir.Path));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("/config/app.env:3:14", table.Stdout);
        Assert.Contains("1 secrets in", table.Stdout);
        Assert.DoesNotContain(GitHubToken, table.Stdout);
    }

    [Fact]
    public void Show_secrets_prints_them_in_clear()
    {
        using var dir = new TempDir();
        dir.File("app.env", $"GITHUB_TOKEN={GitHubToken}\n");
        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json", "--show-secrets"));
        Assert.Equal(0, r.ExitCode);
        var f = Assert.Single(ContentFindings(r.Stdout));
        Assert.Equal(GitHubToken, f.GetProperty("match").GetString());
        Assert.Equal(GitHubToken, f.GetProperty("properties").GetProperty("secret").GetString());
    }

    [Fact]
    public void Inline_allow_marker_silences_a_line()
    {
        using var dir = new TempDir();
        dir.File("a.env", $"T1={GitHubToken} # zerodrift:allow\nT2={StripeKey}\n");
        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json"));
        var f = Assert.Single(ContentFindings(r.Stdout));
        Assert.Equal(2, f.GetProperty("startLine").GetInt32());
    }

    [Fact]
    public void Secret_in_a_layer_deleted_later_is_found_and_flagged()
    {
        using var dir = new TempDir();
        var image = new TestImage()
            .Layer(new TestLayer().File("app/.env", $"AWS_ACCESS_KEY_ID={AwsKeyId}\n").File("app/config.yml", $"token: {GitHubToken}\n"))
            .Layer(new TestLayer().Whiteout("app/.env").File("app/config.yml", "token: from-the-environment\n"))
            .Layer(new TestLayer().File("srv/stripe.conf", $"key = {StripeKey}\n"));
        var layout = image.WriteOciLayout(dir.Combine("layout"));
        var r = ZeroDriftRunner.Run(Scan("oci-dir:" + layout, "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var findings = ContentFindings(r.Stdout);
        var deleted = Assert.Single(findings, f => f.GetProperty("path").GetString() == "/app/.env");
        Assert.Equal("aws-access-key-id", deleted.GetProperty("ruleId").GetString());
        Assert.True(deleted.GetProperty("inDeletedLayer").GetBoolean());
        Assert.Equal(0, deleted.GetProperty("layer").GetProperty("index").GetInt32());
        var overwritten = Assert.Single(findings, f => f.GetProperty("path").GetString() == "/app/config.yml");
        Assert.True(overwritten.GetProperty("inDeletedLayer").GetBoolean());
        var visible = Assert.Single(findings, f => f.GetProperty("path").GetString() == "/srv/stripe.conf");
        Assert.False(visible.GetProperty("inDeletedLayer").GetBoolean());
        Assert.Equal(2, visible.GetProperty("layer").GetProperty("index").GetInt32());

        var table = ZeroDriftRunner.Run(Scan("oci-dir:" + layout));
        Assert.Contains("/app/.env:1:19 (in a deleted layer: layer 0)", table.Stdout);
        Assert.Contains("2 in deleted layers", table.Stdout);
    }

    [Fact]
    public void Secret_in_an_image_is_found_alongside_the_vulnerability_scan_in_one_report()
    {
        using var dir = new TempDir();
        var image = new TestImage()
            .Layer(new TestLayer().File("app/.env", $"AWS_ACCESS_KEY_ID={AwsKeyId}\n").File("app/package.json", "{\"name\":\"x\",\"version\":\"1.0.0\"}"))
            .Layer(new TestLayer().Whiteout("app/.env"));
        var layout = image.WriteOciLayout(dir.Combine("layout"));
        var db = dir.Combine("osv.db");
        Assert.Equal(0, ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.SharedData, "osv", "crates.io"), "--db", db, "--quiet").ExitCode);
        var r = ZeroDriftRunner.Run("scan", "oci-dir:" + layout, "--scanners", "vuln,secret", "--db", db, "--format", "json", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(["vuln", "secret"], doc.RootElement.GetProperty("scanners").EnumerateArray().Select(s => s.GetString()));
        Assert.True(doc.RootElement.TryGetProperty("database", out _));
        Assert.True(doc.RootElement.TryGetProperty("findings", out _));
        Assert.Single(doc.RootElement.GetProperty("contentFindings").EnumerateArray());
    }

    [Fact]
    public void Secret_added_then_removed_in_git_history_is_found_with_its_commit()
    {
        using var dir = new TempDir();
        var repo = dir.Combine("repo");
        Directory.CreateDirectory(repo);
        void Git(params string[] args) => ZeroDriftRunner.Tool(new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "Ada Lovelace", ["GIT_AUTHOR_EMAIL"] = "ada@example.org", ["GIT_AUTHOR_DATE"] = "2024-03-05T10:11:12+01:00",
            ["GIT_COMMITTER_NAME"] = "Ada Lovelace", ["GIT_COMMITTER_EMAIL"] = "ada@example.org", ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = dir.Path,
        }, repo, "git", args);
        Git("init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(repo, "deploy.sh"), "#!/bin/sh\necho deploying\n");
        Git("add", ".");
        Git("commit", "-q", "-m", "first");
        File.WriteAllText(Path.Combine(repo, "deploy.sh"), $"#!/bin/sh\necho deploying\nexport GITHUB_TOKEN={GitHubToken}\n");
        Git("commit", "-q", "-am", "add token");
        var leaked = ZeroDriftRunner.Tool((IReadOnlyDictionary<string, string>?)null, repo, "git", "rev-parse", "HEAD").Trim();
        File.WriteAllText(Path.Combine(repo, "deploy.sh"), "#!/bin/sh\necho deploying\nexport GITHUB_TOKEN=\"$(cat /run/secrets/gh)\"\n");
        Git("commit", "-q", "-am", "remove token");

        var withoutHistory = ZeroDriftRunner.Run(Scan(repo, "--format", "json"));
        Assert.Empty(ContentFindings(withoutHistory.Stdout));

        var r = ZeroDriftRunner.Run(Scan(repo, "--git", "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var f = Assert.Single(ContentFindings(r.Stdout));
        Assert.Equal("/deploy.sh", f.GetProperty("path").GetString());
        Assert.Equal(3, f.GetProperty("startLine").GetInt32());
        var git = f.GetProperty("git");
        Assert.Equal(leaked, git.GetProperty("commit").GetString());
        Assert.Equal("Ada Lovelace", git.GetProperty("author").GetString());
        Assert.Equal("ada@example.org", git.GetProperty("email").GetString());
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 10, 11, 12, TimeSpan.FromHours(1)), DateTimeOffset.Parse(git.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal($"{leaked}:deploy.sh:github-pat:3", f.GetProperty("fingerprint").GetString());

        var notRepo = ZeroDriftRunner.Run(Scan(dir.Combine("nothing-here"), "--git"));
        Assert.Equal(2, notRepo.ExitCode);
    }

    [Fact]
    public void Secrets_inside_nested_archives_are_found_with_archive_paths()
    {
        using var dir = new TempDir();
        var jar = Zip(("BOOT-INF/classes/application.properties", $"spring.app.key={StripeKey}\n"));
        var war = Zip(("WEB-INF/lib/inner.jar", jar), ("WEB-INF/web.xml", "<web-app/>"));
        dir.File("deploy/app.war", war);
        dir.File("dist/bundle.tar.gz", TarGz(("etc/token.conf", $"token={GitHubToken}\n")));
        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var paths = ContentFindings(r.Stdout).Select(f => f.GetProperty("path").GetString()).ToList();
        Assert.Contains("/deploy/app.war!/WEB-INF/lib/inner.jar!/BOOT-INF/classes/application.properties", paths);
        Assert.Contains("/dist/bundle.tar.gz!/etc/token.conf", paths);
    }

    [Fact]
    public void Hostile_archives_give_warnings_not_crashes()
    {
        using var dir = new TempDir();
        // A bomb: 300 MB of zeros deflate to a few hundred KB.
        var bombPath = dir.Combine("bomb.zip");
        using (var zip = ZipFile.Open(bombPath, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("zeros.txt", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 300; i++) s.Write(zeros);
        }
        dir.File("escape.zip", Zip(("../../../etc/cron.d/evil", $"key={StripeKey}\n")));
        var deep = Zip(("leaf.txt", $"token={GitHubToken}\n"));
        for (var i = 0; i < 4; i++) deep = Zip(($"level{i}.zip", deep));
        dir.File("deep.zip", deep);
        dir.File("corrupt.jar", Encoding.ASCII.GetBytes("PK\u0003\u0004 this is not a zip"));

        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("bomb.zip!/zeros.txt: compressed", r.Stderr);
        Assert.Contains("climb out of the archive", r.Stderr);
        Assert.Contains("deeper than the limit of 2", r.Stderr);
        Assert.Contains("corrupt.jar: corrupt or unreadable archive", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        var paths = ContentFindings(r.Stdout).Select(f => f.GetProperty("path").GetString()).ToList();
        Assert.Contains("/escape.zip!/etc/cron.d/evil", paths);
        Assert.False(File.Exists("/etc/cron.d/evil"));
        Assert.DoesNotContain(paths, p => p!.Contains("leaf.txt", StringComparison.Ordinal));
    }

    [Fact]
    public void Baseline_from_a_previous_report_or_gitleaks_suppresses_known_findings()
    {
        using var dir = new TempDir();
        var tree = dir.Combine("tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "a.env"), $"GITHUB_TOKEN={GitHubToken}\n");
        var first = ZeroDriftRunner.Run(Scan(tree, "--format", "json", "--exit-code", "4"));
        Assert.Equal(4, first.ExitCode);
        var baseline = dir.File("baseline.json", first.Stdout);

        File.AppendAllText(Path.Combine(tree, "a.env"), $"STRIPE={StripeKey}\n");
        var second = ZeroDriftRunner.Run(Scan(tree, "--format", "json", "--exit-code", "4", "--baseline", baseline));
        Assert.Equal(4, second.ExitCode);
        var findings = ContentFindings(second.Stdout);
        Assert.Equal(2, findings.Length);
        Assert.Single(findings, f => f.TryGetProperty("suppressed", out _));
        Assert.Equal("stripe-secret-key", findings.Single(f => !f.TryGetProperty("suppressed", out _)).GetProperty("ruleId").GetString());

        // gitleaks' own report format: an array of findings with Fingerprint.
        var gitleaks = dir.File("gitleaks.json", """
            [{"RuleID":"github-pat","File":"a.env","StartLine":1,"Fingerprint":"a.env:github-pat:1"},
             {"RuleID":"stripe-access-token","File":"a.env","StartLine":2,"Fingerprint":"a.env:stripe-secret-key:2"}]
            """);
        var third = ZeroDriftRunner.Run(Scan(tree, "--exit-code", "4", "--baseline", gitleaks));
        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Contains("(2 in the baseline)", third.Stdout);

        var bad = ZeroDriftRunner.Run(Scan(tree, "--baseline", dir.File("bad.json", "{\"x\":1}")));
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("zerodrift: error:", bad.Stderr);
    }

    [Fact]
    public void Exit_code_applies_to_unsuppressed_findings_at_the_chosen_severities()
    {
        using var dir = new TempDir();
        dir.File("a.env", $"GITHUB_TOKEN={GitHubToken}\n");
        Assert.Equal(7, ZeroDriftRunner.Run(Scan(dir.Path, "--exit-code", "7")).ExitCode);
        Assert.Equal(0, ZeroDriftRunner.Run(Scan(dir.Path, "--exit-code", "7", "--severity", "CRITICAL")).ExitCode);
        Assert.Equal(7, ZeroDriftRunner.Run(Scan(dir.Path, "--exit-code", "7", "--severity", "HIGH,CRITICAL")).ExitCode);
        using var clean = new TempDir();
        clean.File("readme.md", "nothing to see\n");
        Assert.Equal(0, ZeroDriftRunner.Run(Scan(clean.Path, "--exit-code", "7")).ExitCode);
    }

    [Fact]
    public void Gitleaks_config_loads_unchanged_and_finds_what_its_rules_describe()
    {
        using var dir = new TempDir();
        dir.File("ci.yml", $"env:\n  GH: {GitHubToken}\n");
        var config = Path.Combine(RepoPaths.SharedData, "rules", "gitleaks", "gitleaks.toml");
        var r = ZeroDriftRunner.Run(Scan(dir.Path, "--format", "json", "--secret-config", config));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(ContentFindings(r.Stdout), f => f.GetProperty("ruleId").GetString() == "github-pat" && f.GetProperty("startLine").GetInt32() == 2);

        var broken = ZeroDriftRunner.Run(Scan(dir.Path, "--secret-config", dir.File("bad.toml", """
            [[rules]]
            id = "lookbehind"
            regex = '''(?<=key=)[a-z]{20}'''
            [[rules]]
            id = "ok"
            regex = '''ghp_[A-Za-z0-9]{36}'''
            keywords = ["ghp_"]
            """)));
        Assert.True(broken.ExitCode == 0, broken.Stderr);
        Assert.Contains($"--secret-config {Path.Combine(dir.Path, "bad.toml")}: rule lookbehind skipped", broken.Stderr);
        Assert.Contains("ok", broken.Stdout);

        var notToml = ZeroDriftRunner.Run(Scan(dir.Path, "--secret-config", dir.File("x.toml", "[[rules]\nid=")));
        Assert.Equal(2, notToml.ExitCode);
        Assert.StartsWith("zerodrift: error:", notToml.Stderr);
    }

    [Fact]
    public void A_file_crafted_against_a_rule_costs_bounded_time()
    {
        using var dir = new TempDir();
        // Catastrophic for a backtracking engine: nested quantifiers over 200 KB of one line that almost matches.
        var config = dir.File("evil.toml", """
            [[rules]]
            id = "nested"
            regex = '''(?:[a-z]+\s*)+=\s*"(?:x+x+)+y"'''
            keywords = ["a"]
            """);
        dir.File("tree/evil.txt", new string('a', 100_000) + " = \"" + new string('x', 100_000) + "\"\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var r = ZeroDriftRunner.Run(Scan(dir.Combine("tree"), "--secret-config", config));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        Assert.Contains("0 secrets", r.Stdout);
    }

    [Fact]
    public void Sarif_report_of_a_secret_scan_validates_and_locates_the_secret()
    {
        using var dir = new TempDir();
        var tree = dir.Combine("tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "a.env"), $"# x\nSTRIPE_KEY={StripeKey}\n");
        var output = dir.Combine("report.sarif");
        var r = ZeroDriftRunner.Run(Scan(tree, "--format", "sarif", "--output", output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var check = ZeroDriftRunner.Tool("/usr/bin/python3", "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
            output, RepoPaths.Schema("sarif-schema-2.1.0.json"));
        Assert.Equal("valid", check.Trim());
        var text = File.ReadAllText(output);
        Assert.DoesNotContain(StripeKey, text);
        using var doc = JsonDocument.Parse(text);
        var run = doc.RootElement.GetProperty("runs")[0];
        var rule = Assert.Single(run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray());
        Assert.Equal("stripe-secret-key", rule.GetProperty("id").GetString());
        Assert.NotEmpty(rule.GetProperty("help").GetProperty("text").GetString()!);
        var result = Assert.Single(run.GetProperty("results").EnumerateArray());
        var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        Assert.Equal(2, region.GetProperty("startLine").GetInt32());
        Assert.Equal(12, region.GetProperty("startColumn").GetInt32());
        Assert.Equal("a.env", result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal("a.env:stripe-secret-key:2", result.GetProperty("partialFingerprints").GetProperty("zerodrift/v1").GetString());
    }

    [Fact]
    public void Pii_and_misconfig_run_in_the_same_pass_as_secrets()
    {
        using var dir = new TempDir();
        dir.File("customers.csv", "name,credit card\nalice,4111 1111 1111 1111\nbob,5555 5555 5555 4444\n");
        dir.File("Dockerfile", "FROM ubuntu:latest\nRUN echo hi\n");
        var r = ZeroDriftRunner.Run("scan", dir.Path, "--scanners", "secret,pii,misconfig", "--format", "json", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pii-payment-card", r.Stdout);
        Assert.Contains("ZD-DF-002", r.Stdout);
        Assert.DoesNotContain("4111 1111 1111 1111", r.Stdout);
    }

    [Fact]
    public void Unknown_scanners_are_usage_errors()
    {
        using var dir = new TempDir();
        var unknown = ZeroDriftRunner.Run("scan", dir.Path, "--scanners", "secret,viruses");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown scanner", unknown.Stderr);
    }

    private static byte[] Zip(params (string Name, object Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(content is byte[] b ? b : Encoding.UTF8.GetBytes((string)content));
            }
        }
        return buffer.ToArray();
    }

    private static byte[] TarGz(params (string Name, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gz))
        {
            foreach (var (name, content) in entries)
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
                    { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        }
        return buffer.ToArray();
    }
}
