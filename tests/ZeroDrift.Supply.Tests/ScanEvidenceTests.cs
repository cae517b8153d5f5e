using System.Text.Json.Nodes;
using ZeroDrift.Core;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

/// <summary>What the policy reads from an attested scan result: ZeroDrift's scan report as it is written, Trivy's and Grype's.</summary>
public sealed class ScanEvidenceTests
{
    private static ScanEvidence Read(string result) =>
        ScanEvidence.FromVulnPredicate(ScanAttestations.VulnPredicate(JsonNode.Parse(result)!, "0.1.0", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));

    [Fact]
    public void ZeroDrift_report_counts_unsuppressed_secret_findings_only()
    {
        var evidence = Read("""
            {"scanners":["vuln","secret","pii"],
             "findings":[{"id":"CVE-1","severity":{"level":"HIGH"},"fixedIn":"1.2"},{"id":"CVE-2","severity":{"level":"CRITICAL"},"suppressed":{"by":"vex"}}],
             "contentFindings":[{"class":"secret","ruleId":"aws-access-token"},{"class":"secret","ruleId":"x","suppressed":{"by":"baseline b.json"}},{"class":"pii","ruleId":"email"}]}
            """);
        Assert.True(evidence.VulnerabilitiesScanned);
        var v = Assert.Single(evidence.Vulnerabilities);
        Assert.Equal(("CVE-1", Severity.High, true), (v.Id, v.Severity, v.HasFix));
        Assert.Equal(1, evidence.Secrets);
    }

    [Fact]
    public void A_scan_that_did_not_run_a_scanner_proves_nothing_about_it()
    {
        var vulnOnly = Read("""{"scanners":["vuln"],"findings":[],"contentFindings":[]}""");
        Assert.True(vulnOnly.VulnerabilitiesScanned);
        Assert.Null(vulnOnly.Secrets);

        var secretOnly = Read("""{"scanners":["secret"],"contentFindings":[]}""");
        Assert.False(secretOnly.VulnerabilitiesScanned);
        Assert.Equal(0, secretOnly.Secrets);

        // A vulnerability-only report of the older layout (no `scanners`): vulnerabilities yes, secrets unknown.
        var older = Read("""{"schemaVersion":1,"findings":[{"id":"CVE-3","severity":{"level":"LOW"}}]}""");
        Assert.True(older.VulnerabilitiesScanned);
        Assert.Null(older.Secrets);
    }

    [Fact]
    public void Trivy_and_Grype_results_are_read()
    {
        var trivy = Read("""
            {"Results":[{"Target":"alpine","Class":"os-pkgs","Vulnerabilities":[{"VulnerabilityID":"CVE-4","Severity":"MEDIUM","FixedVersion":"2"}]},
                        {"Target":"app/.env","Class":"secret","Secrets":[{"RuleID":"aws"}]}]}
            """);
        Assert.True(trivy.VulnerabilitiesScanned);
        Assert.Equal(Severity.Medium, Assert.Single(trivy.Vulnerabilities).Severity);
        Assert.Equal(1, trivy.Secrets);

        var trivySecretsOnly = Read("""{"Results":[{"Target":"x","Class":"secret"}]}""");
        Assert.False(trivySecretsOnly.VulnerabilitiesScanned);
        Assert.Equal(0, trivySecretsOnly.Secrets);

        var grype = Read("""{"matches":[{"vulnerability":{"id":"GHSA-1","severity":"Critical","fix":{"versions":["1.0"]}}}]}""");
        Assert.True(grype.VulnerabilitiesScanned);
        Assert.True(Assert.Single(grype.Vulnerabilities).HasFix);
        Assert.Null(grype.Secrets);
    }
}
