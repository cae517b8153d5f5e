using ZeroDrift.Core;
using ZeroDrift.Misconfig.Custom;

namespace ZeroDrift.Misconfig.Tests;

public class CustomCheckTests
{
    private const string ChecksYaml = """
        checks:
          - id: ORG-001
            title: Containers must set runAsNonRoot
            severity: high
            description: Every container states runAsNonRoot true.
            remediation: Set securityContext.runAsNonRoot true on each container.
            references: [https://kubernetes.io/docs/tasks/configure-pod-container/security-context/]
            match:
              kinds: [Deployment]
            expression: >-
              object.spec.template.spec.containers.all(c, has(c.securityContext) && c.securityContext.runAsNonRoot == true)
            message: a container may run as root
          - id: ORG-002
            title: Team label
            severity: low
            expression: has(object.metadata.labels) && 'team' in object.metadata.labels
          - id: ORG-003
            title: Broken
            expression: object.spec.((
          - id: ORG-004
            title: Reads a field without has()
            match:
              kinds: [Deployment]
            expression: object.spec.template.spec.nodeSelector.zone == 'a'
          - id: ORG-005
            title: No port 22
            match:
              kinds: [Deployment]
            expression: >-
              object.spec.template.spec.containers.all(c, !has(c.ports) || c.ports.all(p, p.containerPort != 22))
        """;

    private const string Manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: bad
        spec:
          template:
            spec:
              containers:
                - name: a
                  image: a:1
                  ports:
                    - containerPort: 22
                - name: b
                  image: b:1
                  securityContext:
                    runAsNonRoot: true
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: good
          labels:
            team: payments
        spec:
          template:
            spec:
              containers:
                - name: a
                  image: a:1
                  securityContext:
                    runAsNonRoot: true
        """;

    private static MisconfigDetector Detector(TempDir dir, string yaml)
    {
        var file = Path.Combine(dir.Path, "checks.yaml");
        File.WriteAllText(file, yaml);
        return MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = [file] });
    }

    [Fact]
    public void Cel_checks_report_failing_resources_and_pass_the_others()
    {
        using var dir = new TempDir();
        var detector = Detector(dir, ChecksYaml);
        var warnings = new List<string>();
        var findings = Scan.Text("deploy.yaml", Manifest, warnings, detector).Where(f => f.RuleId.StartsWith("ORG-", StringComparison.Ordinal)).ToList();

        var org1 = Assert.Single(findings, f => f.RuleId == "ORG-001");
        Assert.Equal(2, org1.Span!.StartLine); // the kind line of the failing Deployment
        Assert.Equal(Severity.High, org1.Severity);
        Assert.Equal("Containers must set runAsNonRoot", org1.Title);
        Assert.Contains("Deployment//bad: a container may run as root", org1.Message, StringComparison.Ordinal);

        var org2 = Assert.Single(findings, f => f.RuleId == "ORG-002"); // no match: applies to every kind; the good one has the label
        Assert.Equal(2, org2.Span!.StartLine);
        var org5 = Assert.Single(findings, f => f.RuleId == "ORG-005"); // port 22: nested all() over a list of maps with ints
        Assert.Equal(2, org5.Span!.StartLine);

        // The broken expression is one warning at load, passed once to the scan; the scan went on.
        Assert.Contains(detector.LoadWarnings, w => w.Contains("ORG-003", StringComparison.Ordinal) && w.Contains("does not compile", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains("ORG-003", StringComparison.Ordinal));
        Assert.DoesNotContain(detector.Rules, r => r.Id == "ORG-003");
        Assert.Contains(detector.Rules, r => r.Id == "ORG-001" && r.References.Count == 1);

        // Reading a missing field without has() cannot be decided: a warning per resource, never a finding.
        Assert.DoesNotContain(findings, f => f.RuleId == "ORG-004");
        Assert.Equal(2, warnings.Count(w => w.Contains("ORG-004 could not be evaluated", StringComparison.Ordinal)));
        Assert.DoesNotContain(Scan.Text("deploy.yaml", Manifest, detector: detector), f => f.RuleId == "ORG-003");
    }

    [Fact]
    public void Kinds_limit_where_a_check_runs()
    {
        using var dir = new TempDir();
        var detector = Detector(dir, "checks:\n  - id: ORG-009\n    title: Never\n    match:\n      kinds: [StatefulSet]\n    expression: 'false'\n");
        Assert.DoesNotContain(Scan.Text("deploy.yaml", Manifest, detector: detector), f => f.RuleId == "ORG-009");
    }

    [Theory]
    [InlineData("checks:\n  - title: no id\n    expression: 'true'\n", "'id' is required")]
    [InlineData("checks:\n  - id: X-1\n    title: no expression\n", "'expression' is required")]
    [InlineData("checks:\n  - id: X-1\n    expression: 'true'\n    severity: catastrophic\n", "severity 'catastrophic'")]
    [InlineData("checks:\n  - id: ZD-K8S-003\n    expression: 'true'\n", "already used")]
    [InlineData("rules: []\n", "'checks:' list")]
    [InlineData("checks: [\n", "invalid YAML")]
    public void Malformed_check_files_are_one_clear_error(string yaml, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CustomCheckFileException>(() => Detector(dir, yaml));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(e); // the command maps it to one line and exit 2
    }

    [Fact]
    public void Missing_check_file_is_an_io_error() =>
        Assert.Throws<FileNotFoundException>(() => MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = ["/nonexistent/checks.yaml"] }));
}
