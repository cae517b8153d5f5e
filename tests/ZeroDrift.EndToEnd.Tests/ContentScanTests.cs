using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift scan --scanners pii,misconfig</c> as users run them: sensitive data counted per file and masked,
/// <c>--pii-min</c>, misconfigurations in an image's Dockerfile, manifests and compose file, custom CEL checks from
/// <c>--config-check</c>, and all four scanners in one run with one SARIF report.
/// </summary>
public class ContentScanTests
{
    private static readonly string GitHubToken = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";

    /// <summary>A path no database is at: content scans without vuln must not need one.</summary>
    private static string[] Scan(string target, string scanners, params string[] extra) =>
        ["scan", target, "--scanners", scanners, "--db", "/nonexistent/zerodrift.db", "--quiet", .. extra];

    private static JsonElement[] ContentFindings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("contentFindings").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    /// <summary>A PRC resident identity number with a valid GB 11643 check character (ISO 7064 MOD 11-2).</summary>
    private static string ResidentId(string first17)
    {
        int[] weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        var sum = first17.Select((c, i) => (c - '0') * weights[i]).Sum();
        return first17 + "10X98765432"[sum % 11];
    }

    private static (string Csv, string[] Ids, string[] Mobiles) CustomerDump(int rows)
    {
        var ids = Enumerable.Range(0, rows).Select(i => ResidentId($"11010519{80 + i % 10}0{1 + i % 9}1{i % 10}{100 + i:000}")).ToArray();
        var mobiles = Enumerable.Range(0, rows).Select(i => $"1381234{5600 + i}").ToArray();
        var csv = "id,name,mobile,id_card\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{i},customer {i},{mobiles[i]},{ids[i]}\n"));
        return (csv, ids, mobiles);
    }

    [Fact]
    public void Sensitive_data_is_counted_per_file_masked_everywhere_and_pii_min_keeps_only_bulk_files()
    {
        using var dir = new TempDir();
        var (csv, ids, mobiles) = CustomerDump(6);
        dir.File("export/customers.csv", csv);
        dir.File("README.md", "# Support\nWrite to alice.zhang@acme-corp.io with questions.\n");

        var r = ZeroDriftRunner.Run(Scan(dir.Path, "pii", "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var findings = ContentFindings(r.Stdout);
        var idFinding = Assert.Single(findings, f => f.GetProperty("ruleId").GetString() == "pii-prc-resident-id");
        Assert.Equal("/export/customers.csv", idFinding.GetProperty("path").GetString());
        Assert.Equal("pii", idFinding.GetProperty("class").GetString());
        Assert.Equal("6", idFinding.GetProperty("properties").GetProperty("count").GetString());
        Assert.Equal("12", idFinding.GetProperty("properties").GetProperty("fileItems").GetString());
        Assert.Equal(2, idFinding.GetProperty("startLine").GetInt32());
        Assert.Equal(ids[0][..4] + "**********" + ids[0][^4..], idFinding.GetProperty("match").GetString());
        var mobile = Assert.Single(findings, f => f.GetProperty("ruleId").GetString() == "pii-prc-mobile");
        Assert.Equal("6", mobile.GetProperty("properties").GetProperty("count").GetString());
        Assert.Equal("138****5600", mobile.GetProperty("match").GetString());
        var email = Assert.Single(findings, f => f.GetProperty("ruleId").GetString() == "pii-email");
        Assert.Equal("/README.md", email.GetProperty("path").GetString());
        Assert.Equal(2, findings.Length - 1);
        foreach (var clear in ids.Concat(mobiles).Append("alice.zhang@acme-corp.io")) Assert.DoesNotContain(clear, r.Stdout);

        // The table: one row per file and kind, with the count and masked samples, never a clear value.
        var table = ZeroDriftRunner.Run(Scan(dir.Path, "pii"));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("6 PRC resident identity numbers", table.Stdout);
        Assert.Contains("/export/customers.csv:2:", table.Stdout);
        Assert.Contains("3 sensitive data findings in", table.Stdout);
        foreach (var clear in ids.Concat(mobiles).Append("alice.zhang@acme-corp.io")) Assert.DoesNotContain(clear, table.Stdout);

        // Bulk data is the leak: with --pii-min 3 the README's single address is not reported, the dump still is.
        var bulk = ZeroDriftRunner.Run(Scan(dir.Path, "pii", "--format", "json", "--pii-min", "3"));
        Assert.True(bulk.ExitCode == 0, bulk.Stderr);
        var bulkFindings = ContentFindings(bulk.Stdout);
        Assert.Equal(2, bulkFindings.Length);
        Assert.All(bulkFindings, f => Assert.Equal("/export/customers.csv", f.GetProperty("path").GetString()));
        // 12 items in the dump: at 13 nothing is left.
        Assert.Empty(ContentFindings(ZeroDriftRunner.Run(Scan(dir.Path, "pii", "--format", "json", "--pii-min", "13")).Stdout));

        var exit = ZeroDriftRunner.Run(Scan(dir.Path, "pii", "--exit-code", "4", "--severity", "HIGH"));
        Assert.Equal(4, exit.ExitCode);
        Assert.Equal(0, ZeroDriftRunner.Run(Scan(dir.Path, "pii", "--exit-code", "4", "--pii-min", "13")).ExitCode);
    }

    [Theory]
    [InlineData("pii", "0", "--pii-min 0")]
    [InlineData("pii", "many", "many")]
    [InlineData("secret", "3", "--pii-min needs --scanners pii")]
    public void Bad_pii_min_is_a_usage_error(string scanners, string value, string message)
    {
        using var dir = new TempDir();
        var r = ZeroDriftRunner.Run(Scan(dir.Path, scanners, "--pii-min", value));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: nginx:1.27
                  securityContext:
                    privileged: true
        """;

    private const string Compose = """
        services:
          db:
            image: postgres:16
            privileged: true
        """;

    private const string Dockerfile = "FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n";

    private static JsonElement Finding(JsonElement[] findings, string ruleId, string path) =>
        Assert.Single(findings, f => f.GetProperty("ruleId").GetString() == ruleId && f.GetProperty("path").GetString() == path);

    [Fact]
    public void Misconfigurations_in_an_image_are_found_at_their_lines()
    {
        using var dir = new TempDir();
        var layout = new TestImage()
            .Layer(new TestLayer().File("src/Dockerfile", Dockerfile).File("deploy/web.yaml", Deployment))
            .Layer(new TestLayer().File("srv/compose.yaml", Compose))
            .WriteOciLayout(dir.Combine("layout"));
        var r = ZeroDriftRunner.Run(Scan("oci-dir:" + layout, "misconfig", "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var findings = ContentFindings(r.Stdout);
        Assert.All(findings, f => Assert.Equal("misconfig", f.GetProperty("class").GetString()));

        var latest = Finding(findings, "ZD-DF-002", "/src/Dockerfile");
        Assert.Equal(1, latest.GetProperty("startLine").GetInt32());
        var cache = Finding(findings, "ZD-DF-007", "/src/Dockerfile");
        Assert.Equal(2, cache.GetProperty("startLine").GetInt32());
        Finding(findings, "ZD-DF-001", "/src/Dockerfile");

        var privileged = Finding(findings, "ZD-K8S-003", "/deploy/web.yaml");
        Assert.Equal(12, privileged.GetProperty("startLine").GetInt32());
        Assert.Equal(25, privileged.GetProperty("startColumn").GetInt32());   // the offending value
        Assert.Equal("critical", privileged.GetProperty("severity").GetString(), ignoreCase: true);
        Assert.Contains("\"app\"", privileged.GetProperty("message").GetString());
        Assert.Equal(0, privileged.GetProperty("layer").GetProperty("index").GetInt32());

        var compose = Finding(findings, "ZD-DC-001", "/srv/compose.yaml");
        Assert.Equal(4, compose.GetProperty("startLine").GetInt32());
        Assert.Equal(1, compose.GetProperty("layer").GetProperty("index").GetInt32());

        // Every reported check carries its metadata in the report's rule list.
        using var doc = JsonDocument.Parse(r.Stdout);
        var rule = Assert.Single(doc.RootElement.GetProperty("rules").EnumerateArray(), x => x.GetProperty("id").GetString() == "ZD-K8S-003");
        Assert.False(string.IsNullOrEmpty(rule.GetProperty("remediation").GetString()));
        Assert.NotEmpty(rule.GetProperty("references").EnumerateArray());

        var table = ZeroDriftRunner.Run(Scan("oci-dir:" + layout, "misconfig"));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("/deploy/web.yaml:12:25 (layer 0)", table.Stdout);
        Assert.Contains("misconfigurations in", table.Stdout);
    }

    private const string CheckFile = """
        checks:
          - id: ORG-001
            title: Deployments name their owning team
            severity: high
            description: Every Deployment carries a team label, so an alert reaches someone.
            remediation: Add metadata.labels.team.
            match:
              kinds: [Deployment]
            expression: has(object.metadata.labels) && 'team' in object.metadata.labels
            message: the Deployment has no team label
        """;

    [Fact]
    public void Custom_cel_checks_load_from_config_check_files()
    {
        using var dir = new TempDir();
        dir.File("tree/web.yaml", Deployment);
        dir.File("tree/api.yaml", Deployment.Replace("name: web", "name: api\n  labels:\n    team: payments"));
        var checks = dir.File("checks/org.yaml", CheckFile);
        var broken = dir.File("checks/broken.yaml", CheckFile.Replace("ORG-001", "ORG-002").Replace("has(object.metadata.labels) &&", "object.metadata.(labels &&"));

        var r = ZeroDriftRunner.Run(Scan(dir.Combine("tree"), "misconfig", "--format", "json", "--config-check", checks, "--config-check", broken));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var custom = Assert.Single(ContentFindings(r.Stdout), f => f.GetProperty("ruleId").GetString() == "ORG-001");
        Assert.Equal("/web.yaml", custom.GetProperty("path").GetString());
        Assert.Equal(2, custom.GetProperty("startLine").GetInt32());
        Assert.Equal("high", custom.GetProperty("severity").GetString(), ignoreCase: true);
        Assert.Contains("the Deployment has no team label", custom.GetProperty("message").GetString());
        // The built-in checks still run beside the custom ones; a check that does not compile is a warning.
        Assert.Equal(2, ContentFindings(r.Stdout).Count(f => f.GetProperty("ruleId").GetString() == "ZD-K8S-003"));
        Assert.Contains("ORG-002", r.Stderr);
        Assert.DoesNotContain(ContentFindings(r.Stdout), f => f.GetProperty("ruleId").GetString() == "ORG-002");

        // The same warning with no manifest in the target at all: nothing silently dropped.
        dir.File("empty/readme.txt", "nothing to see");
        var none = ZeroDriftRunner.Run(Scan(dir.Combine("empty"), "misconfig", "--config-check", broken));
        Assert.Equal(0, none.ExitCode);
        Assert.Contains("ORG-002", none.Stderr);
    }

    [Theory]
    [InlineData("rules: []\n", "checks")]
    [InlineData("checks:\n  - title: no id\n    expression: 'true'\n", "'id' is required")]
    [InlineData("checks: [\n", "custom check file")]
    public void A_malformed_check_file_is_one_error_line_and_exit_2(string content, string message)
    {
        using var dir = new TempDir();
        dir.File("tree/web.yaml", Deployment);
        var file = dir.File("bad.yaml", content);
        var r = ZeroDriftRunner.Run(Scan(dir.Combine("tree"), "misconfig", "--config-check", file));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Contains(file, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Config_check_needs_the_misconfig_scanner_and_an_existing_file()
    {
        using var dir = new TempDir();
        var checks = dir.File("org.yaml", CheckFile);
        var wrongScanner = ZeroDriftRunner.Run(Scan(dir.Path, "secret", "--config-check", checks));
        Assert.Equal(2, wrongScanner.ExitCode);
        Assert.Contains("--config-check needs --scanners misconfig", wrongScanner.Stderr);
        var missing = ZeroDriftRunner.Run(Scan(dir.Path, "misconfig", "--config-check", dir.Combine("nope.yaml")));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.yaml", missing.Stderr);
        Assert.DoesNotContain("   at ", missing.Stderr);
    }

    [Fact]
    public void All_four_scanners_run_in_one_pass_with_one_sarif_report_valid_against_the_schema()
    {
        using var dir = new TempDir();
        var db = dir.Combine("osv.db");
        Assert.Equal(0, ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.SharedData, "osv", "crates.io"), "--db", db, "--quiet").ExitCode);
        var (csv, ids, _) = CustomerDump(3);
        dir.File("tree/Cargo.lock", "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
        dir.File("tree/config/app.env", $"DEBUG=1\nGITHUB_TOKEN={GitHubToken}\n");
        dir.File("tree/data/customers.csv", csv);
        dir.File("tree/Dockerfile", Dockerfile);
        dir.File("tree/deploy/web.yaml", Deployment);
        var output = dir.Combine("report.sarif");

        var r = ZeroDriftRunner.Run("scan", dir.Combine("tree"), "--scanners", "vuln,secret,pii,misconfig", "--db", db, "--quiet",
            "--format", "sarif", "--output", output, "--exit-code", "3");
        Assert.True(r.ExitCode == 3, r.Stderr);
        var check = ZeroDriftRunner.Tool("/usr/bin/python3", "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
            output, RepoPaths.Schema("sarif-schema-2.1.0.json"));
        Assert.Equal("valid", check.Trim());

        var text = File.ReadAllText(output);
        Assert.DoesNotContain(GitHubToken, text);
        foreach (var id in ids) Assert.DoesNotContain(id, text);
        using var doc = JsonDocument.Parse(text);
        var results = doc.RootElement.GetProperty("runs").EnumerateArray().SelectMany(run => run.GetProperty("results").EnumerateArray()).ToList();
        var rules = doc.RootElement.GetProperty("runs").EnumerateArray()
            .SelectMany(run => run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray())
            .Select(x => x.GetProperty("id").GetString()).ToHashSet();
        JsonElement Result(string ruleId) => Assert.Single(results, x => x.GetProperty("ruleId").GetString() == ruleId);
        string Uri(JsonElement x) => x.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()!;
        JsonElement Region(JsonElement x) => x.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");

        Assert.Contains(results, x => x.GetProperty("message").GetProperty("text").GetString()!.StartsWith("smallvec 1.6.0 is affected by", StringComparison.Ordinal));
        var secret = Result("github-pat");
        Assert.Equal("config/app.env", Uri(secret));
        Assert.Equal(2, Region(secret).GetProperty("startLine").GetInt32());
        Assert.Equal(14, Region(secret).GetProperty("startColumn").GetInt32());
        var pii = Result("pii-prc-resident-id");
        Assert.Equal("data/customers.csv", Uri(pii));
        Assert.Equal(2, Region(pii).GetProperty("startLine").GetInt32());
        var misconfig = Result("ZD-K8S-003");
        Assert.Equal("deploy/web.yaml", Uri(misconfig));
        Assert.Equal(12, Region(misconfig).GetProperty("startLine").GetInt32());
        Assert.Equal(25, Region(misconfig).GetProperty("startColumn").GetInt32());
        Assert.Contains(results, x => x.GetProperty("ruleId").GetString() == "ZD-DF-002");
        foreach (var x in new[] { secret, pii, misconfig })
        {
            Assert.Contains(x.GetProperty("ruleId").GetString(), rules);
            Assert.False(string.IsNullOrEmpty(x.GetProperty("partialFingerprints").GetProperty("zerodrift/v1").GetString()));
        }

        // The same run as JSON: one document with the vulnerability findings and every content finding.
        var json = ZeroDriftRunner.Run("scan", dir.Combine("tree"), "--scanners", "vuln,secret,pii,misconfig", "--db", db, "--quiet", "--format", "json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.Equal(["vuln", "secret", "pii", "misconfig"], report.RootElement.GetProperty("scanners").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains(report.RootElement.GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("ids").EnumerateArray().Any(id => id.GetString() == "RUSTSEC-2021-0003"));
        var classes = ContentFindings(json.Stdout).Select(f => f.GetProperty("class").GetString()).ToHashSet();
        Assert.Equal(["misconfig", "pii", "secret"], classes.Order());
        Assert.DoesNotContain(GitHubToken, json.Stdout);

        // And as a table: one section per scanner.
        var table = ZeroDriftRunner.Run("scan", dir.Combine("tree"), "--scanners", "vuln,secret,pii,misconfig", "--db", db, "--quiet");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("smallvec", table.Stdout);
        Assert.Contains("1 secrets in", table.Stdout);
        Assert.Contains("sensitive data findings in", table.Stdout);
        Assert.Contains("misconfigurations in", table.Stdout);
        Assert.DoesNotContain(GitHubToken, table.Stdout);
    }
}
