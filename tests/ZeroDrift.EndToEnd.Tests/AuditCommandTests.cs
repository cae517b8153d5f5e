using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift rules check</c> on Falco's plugin rule files, and <c>zerodrift audit cloudtrail|k8s</c> on real files:
/// a folder laid out as CloudTrail delivers to S3, with a gzip bomb, a file that is not JSON, a malformed record and a
/// symbolic link out of the folder among good records.
/// </summary>
public sealed class AuditCommandTests
{
    private static string Plugin(string file) => Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins", file);

    [Fact]
    public void Rules_check_judges_plugin_rules_by_their_audit_inputs()
    {
        var r = ZeroDriftRunner.Run("rules", "check", Plugin("k8s_audit_rules.yaml"), Plugin("aws_cloudtrail_rules.yaml"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Contains(lines, l => l.EndsWith("k8s_audit_rules.yaml: 48 rules loaded, 43 fully evaluated, 0 partly evaluated, 5 not evaluated (0 need what the agent does not capture)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("aws_cloudtrail_rules.yaml: 22 rules loaded, 20 fully evaluated, 0 partly evaluated, 2 not evaluated (0 need what the agent does not capture)", StringComparison.Ordinal));
        Assert.Contains("  cannot fire as shipped: Create Disallowed Pod: its condition is false for every event (a placeholder macro the file leaves for you to override)", lines);
        Assert.Contains("  disabled: List Buckets: disabled in the rule file (enabled: false)", lines);
        Assert.DoesNotContain(lines, l => l.Contains("needs plugin source", StringComparison.Ordinal) || l.Contains("is required by the file", StringComparison.Ordinal));
    }

    private const string Record = """
        {"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","userName":"root"},
         "eventTime":"2026-12-07T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",
         "userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},
         "eventID":"e-login","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"123456789012"}
        """;

    private static void Gzip(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(content);
    }

    [Fact]
    public void Cloudtrail_folder_prints_Falco_json_and_bad_files_and_records_are_warnings()
    {
        using var dir = new TempDir();
        var day = Path.Combine(dir.Path, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "12", "07");
        Gzip(Path.Combine(day, "123456789012_CloudTrail_us-east-1_20261207T1000Z_a.json.gz"),
            Encoding.UTF8.GetBytes($$"""{"Records":[{{Record}}, "not a record", {"eventName": 7}]}"""));
        File.WriteAllText(Path.Combine(dir.Path, "manual.json"), $$"""{"Records":[{{Record.Replace("e-login", "e-login-2", StringComparison.Ordinal)}}]}""");
        // 200 MiB of zeros in a few hundred KiB: refused at 128 MiB inflated, the folder goes on.
        Gzip(Path.Combine(day, "bomb.json.gz"), new byte[200 << 20]);
        File.WriteAllText(Path.Combine(day, "broken.json"), "{\"Records\": [");
        using var outside = new TempDir();
        File.WriteAllText(Path.Combine(outside.Path, "secret.json"), $$"""{"Records":[{{Record}}]}""");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link.json"), Path.Combine(outside.Path, "secret.json"));

        var r = ZeroDriftRunner.Run("audit", "cloudtrail", dir.Path, "--rules", Plugin("aws_cloudtrail_rules.yaml"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var alerts = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a =>
        {
            // Falco's default rule_matching: first: a root login without MFA meets "Console Login Without MFA" first in the file.
            Assert.Equal("Console Login Without MFA", a.GetProperty("rule").GetString());
            Assert.Equal("Critical", a.GetProperty("priority").GetString());
            Assert.Equal("aws_cloudtrail", a.GetProperty("source").GetString());
            Assert.Equal("2026-12-07T10:00:00.000000000Z", a.GetProperty("time").GetString());
            Assert.Equal("203.0.113.9", a.GetProperty("output_fields").GetProperty("ct.srcip").GetString());
        });
        Assert.Contains("bomb.json.gz (decompressed) is larger than 128 MiB: skipped", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("broken.json is not valid JSON", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Records[1]: a CloudTrail record must be a JSON object, not string: skipped", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Records[2]: not a CloudTrail record: no \"eventName\" string: skipped", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret.json", r.Stderr + r.Stdout, StringComparison.Ordinal);
        Assert.Contains("zerodrift: 4 files (2 unreadable), 2 CloudTrail records, 2 alerts, 2 records skipped", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void K8s_audit_log_with_overrides_and_rule_matching_all()
    {
        using var dir = new TempDir();
        var log = Path.Combine(dir.Path, "audit.log");
        // The log backend's format: one Event per line.
        File.WriteAllText(log, string.Join('\n',
            """{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/db","verb":"get","user":{"username":"mallory"},"objectRef":{"resource":"secrets","namespace":"default","name":"db"},"responseStatus":{"code":200}}""",
            """{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"2","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"admin"},"objectRef":{"resource":"pods","namespace":"default"},"responseStatus":{"code":201},"requestObject":{"spec":{"containers":[{"name":"x","image":"evil.example/miner:1"}]}}}""",
            "not json at all"));
        var overrides = Path.Combine(dir.Path, "overrides.yaml");
        File.WriteAllText(overrides, "- macro: allowed_k8s_containers\n  condition: (ka.req.pod.containers.image.repository in (registry.local/shop/web))\n");
        var r = ZeroDriftRunner.Run("audit", "k8s", log, "--rules", Plugin("k8s_audit_rules.yaml"), overrides, "--rule-matching", "all");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rules = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("rule").GetString()).ToList();
        Assert.Equal(["Disallowed K8s User", "K8s Secret Get Successfully", "Create Disallowed Pod"], rules);
        Assert.Contains("line 3 is not valid JSON", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("zerodrift: 2 audit events, 3 alerts, 1 skipped", r.Stderr, StringComparison.Ordinal);

        var missing = ZeroDriftRunner.Run("audit", "k8s", Path.Combine(dir.Path, "nope.json"), "--rules", Plugin("k8s_audit_rules.yaml"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("zerodrift: error:", StringComparison.Ordinal));
    }
}
