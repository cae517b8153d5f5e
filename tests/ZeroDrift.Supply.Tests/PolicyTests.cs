using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Keys;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

/// <summary>The documented policy cases, allowed and denied with reasons, against images in a real registry.</summary>
[Collection(SupplyRegistryCollection.Name)]
public sealed class PolicyTests(SupplyRegistryFixture fixture) : IDisposable
{
    private readonly RecordingPodSecurity _podSecurity = new();
    private readonly TempDir _dir = new();
    private readonly ECDsa _release = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _qa = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _release.Dispose();
        _qa.Dispose();
        _dir.Dispose();
    }

    private SupplyPolicy Policy(string rules, string? header = null)
    {
        _dir.File("release.pub", SigningKeys.Pem("PUBLIC KEY", _release.ExportSubjectPublicKeyInfo()));
        _dir.File("qa.pub", SigningKeys.Pem("PUBLIC KEY", _qa.ExportSubjectPublicKeyInfo()));
        var yaml = $"apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\n{header ?? $"allowedRegistries: [\"{fixture.Host}\"]\n"}images:\n{rules}";
        return SupplyPolicy.Parse(yaml, "policy.yaml", _dir.Path);
    }

    private PolicyEngine Engine(SupplyPolicy policy) => new(policy, new ImageSigning(fixture.Client()), _podSecurity, TimeSpan.FromMinutes(1));

    /// <summary>A scan result as <c>zerodrift scan --scanners vuln,secret --format json</c> writes it.</summary>
    private static JsonObject VulnResult(params (string Id, string Level, string? Fix)[] findings) => new()
    {
        ["scanners"] = new JsonArray("vuln", "secret"),
        ["findings"] = new JsonArray(findings.Select(f => (JsonNode)new JsonObject
        {
            ["id"] = f.Id, ["severity"] = new JsonObject { ["level"] = f.Level }, ["fixedIn"] = f.Fix,
        }).ToArray()),
        ["contentFindings"] = new JsonArray(),
    };

    private async Task<ResolvedImage> PushAsync(string repo, string marker)
    {
        await fixture.PushAsync($"{repo}:1", marker);
        return await new ImageSigning(fixture.Client()).ResolveAsync(ImageReference.Parse($"{fixture.Host}/{repo}:1"), CancellationToken.None);
    }

    private const string Strict = """
          - name: team
            match: ["*/policy/**"]
            signatures:
              keys: [release.pub]
            attestations: [cyclonedx]
            vulnerabilities:
              maxSeverity: medium
              fixedOnly: true
            noSecrets: true
            podSecurity: restricted
        """;

    [Fact]
    public async Task A_signed_attested_clean_image_is_allowed_and_pinned()
    {
        var image = await PushAsync("policy/good", "good");
        var signing = new ImageSigning(fixture.Client());
        await signing.SignAsync(image, _release, SignatureFormat.Bundle, CancellationToken.None);
        await signing.AttestAsync(image, _release, PredicateTypes.CycloneDx, new JsonObject { ["bomFormat"] = "CycloneDX" }, SignatureFormat.Legacy, CancellationToken.None);
        // One critical without a fix: fixedOnly lets it pass.
        var vuln = ScanAttestations.VulnPredicate(VulnResult(("CVE-1", "LOW", "1.2"), ("CVE-2", "CRITICAL", null)), "0.1.0", null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        await signing.AttestAsync(image, _release, PredicateTypes.Vuln, vuln, SignatureFormat.Bundle, CancellationToken.None);

        var text = $"{fixture.Host}/policy/good:1";
        var decision = await Engine(Policy(Strict)).CheckImageAsync(text, CancellationToken.None);
        Assert.True(decision.Allowed, string.Join("\n", decision.Verdicts.Select(v => $"{v.Rule}: {v.Reason}")));
        Assert.Equal(["allowedRegistries", "team: signatures", "team: attestation https://cyclonedx.org/bom", "team: vulnerabilities", "team: noSecrets"],
            decision.Verdicts.Select(v => v.Rule));
        Assert.Equal($"{fixture.Host}/policy/good@{image.Digest}", decision.Pins[text]);
    }

    [Fact]
    public async Task An_unsigned_image_is_denied_naming_the_rule()
    {
        await PushAsync("policy/unsigned", "unsigned");
        var decision = await Engine(Policy(Strict)).CheckImageAsync($"{fixture.Host}/policy/unsigned:1", CancellationToken.None);
        Assert.False(decision.Allowed);
        Assert.Equal("team: signatures", decision.FirstFailure!.Rule);
        Assert.Contains("requires all of release.pub; no signatures found", decision.FirstFailure.Reason);
        Assert.Contains(decision.Verdicts, v => v.Rule == "team: vulnerabilities" && v.Reason == "no vulnerability attestation signed by a trusted key");
    }

    [Fact]
    public async Task Require_all_keys_versus_any()
    {
        var image = await PushAsync("policy/keys", "keys");
        await new ImageSigning(fixture.Client()).SignAsync(image, _release, SignatureFormat.Legacy, CancellationToken.None);
        var all = Policy("""
              - match: ["**"]
                signatures:
                  keys: [release.pub, qa.pub]
            """);
        var any = Policy("""
              - match: ["**"]
                signatures:
                  keys: [release.pub, qa.pub]
                  require: any
            """);
        var text = $"{fixture.Host}/policy/keys:1";
        var denied = await Engine(all).CheckImageAsync(text, CancellationToken.None);
        Assert.False(denied.Allowed);
        Assert.Contains("requires all of release.pub, qa.pub; 1 signature(s) found, verified by: release.pub", denied.FirstFailure!.Reason);
        Assert.True((await Engine(any).CheckImageAsync(text, CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task Vulnerabilities_above_the_limit_and_secrets_deny()
    {
        var image = await PushAsync("policy/vulnerable", "vulnerable");
        var signing = new ImageSigning(fixture.Client());
        await signing.SignAsync(image, _release, SignatureFormat.Legacy, CancellationToken.None);
        var result = VulnResult(("CVE-9", "HIGH", "2.0"), ("CVE-8", "CRITICAL", null), ("CVE-7", "UNKNOWN", null), ("CVE-6", "LOW", null));
        result["contentFindings"] = new JsonArray(
            new JsonObject { ["class"] = "secret", ["ruleId"] = "aws-access-token", ["path"] = "app/.env" },
            new JsonObject { ["class"] = "secret", ["ruleId"] = "github-pat", ["path"] = "old.env", ["suppressed"] = new JsonObject { ["by"] = "baseline b.json" } },
            new JsonObject { ["class"] = "pii", ["ruleId"] = "email", ["path"] = "users.csv" });
        await signing.AttestAsync(image, _release, PredicateTypes.Vuln, ScanAttestations.VulnPredicate(result, "0.1.0", null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), SignatureFormat.Legacy, CancellationToken.None);
        var policy = Policy("""
              - name: prod
                match: ["**"]
                signatures: {keys: [release.pub]}
                vulnerabilities: {maxSeverity: medium}
                noSecrets: true
            """);
        var decision = await Engine(policy).CheckImageAsync($"{fixture.Host}/policy/vulnerable:1", CancellationToken.None);
        var vulns = decision.Verdicts.Single(v => v.Rule == "prod: vulnerabilities");
        Assert.False(vulns.Passed);
        // An unrated vulnerability counts as critical: it cannot be shown to be within the limit.
        Assert.Equal("3 vulnerabilities above medium: CVE-8 (critical), CVE-7 (unknown), CVE-9 (high)", vulns.Reason);
        var secrets = decision.Verdicts.Single(v => v.Rule == "prod: noSecrets");
        Assert.Equal("the attested scan found 1 secret(s)", secrets.Reason);
    }

    [Fact]
    public async Task A_scan_that_did_not_run_a_scanner_cannot_pass_its_rule()
    {
        var image = await PushAsync("policy/partial-scan", "partial");
        var signing = new ImageSigning(fixture.Client());
        await signing.SignAsync(image, _release, SignatureFormat.Bundle, CancellationToken.None);
        // `zerodrift scan --scanners secret` found nothing: that proves nothing about vulnerabilities.
        var secretsOnly = new JsonObject { ["scanners"] = new JsonArray("secret"), ["contentFindings"] = new JsonArray() };
        await signing.AttestAsync(image, _release, PredicateTypes.Vuln, ScanAttestations.VulnPredicate(secretsOnly, "0.1.0", null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), SignatureFormat.Bundle, CancellationToken.None);
        var policy = Policy("""
              - name: prod
                match: ["**"]
                signatures: {keys: [release.pub]}
                vulnerabilities: {maxSeverity: critical}
                noSecrets: true
            """);
        var decision = await Engine(policy).CheckImageAsync($"{fixture.Host}/policy/partial-scan:1", CancellationToken.None);
        var vulns = decision.Verdicts.Single(v => v.Rule == "prod: vulnerabilities");
        Assert.False(vulns.Passed);
        Assert.Equal("the attested scan did not look for vulnerabilities", vulns.Reason);
        Assert.True(decision.Verdicts.Single(v => v.Rule == "prod: noSecrets").Passed);
    }

    [Fact]
    public async Task Attestations_signed_by_an_untrusted_key_do_not_count()
    {
        var image = await PushAsync("policy/untrusted-att", "untrusted");
        var signing = new ImageSigning(fixture.Client());
        await signing.SignAsync(image, _release, SignatureFormat.Legacy, CancellationToken.None);
        await signing.AttestAsync(image, _qa, PredicateTypes.CycloneDx, new JsonObject(), SignatureFormat.Bundle, CancellationToken.None);
        var policy = Policy("""
              - match: ["**"]
                signatures: {keys: [release.pub]}
                attestations: [cyclonedx]
            """);
        var decision = await Engine(policy).CheckImageAsync($"{fixture.Host}/policy/untrusted-att:1", CancellationToken.None);
        Assert.Equal("no https://cyclonedx.org/bom attestation signed by a trusted key (1 unverified)", decision.FirstFailure!.Reason);
    }

    [Fact]
    public async Task Registries_and_unmatched_images()
    {
        var policy = Policy("""
              - match: ["ghcr.io/acme/*"]
                skip: true
            """, "allowedRegistries: [ghcr.io/acme]\n");
        var engine = Engine(policy);
        var other = await engine.CheckImageAsync("docker.io/library/nginx:1.27", CancellationToken.None);
        Assert.False(other.Allowed);
        Assert.Equal("registry docker.io is not in allowedRegistries (ghcr.io/acme)", other.FirstFailure!.Reason);
        Assert.Equal("no image rule matches docker.io/library/nginx and unmatched images are denied", other.Verdicts[1].Reason);
        Assert.True((await engine.CheckImageAsync("ghcr.io/acme/app:1", CancellationToken.None)).Allowed);
        Assert.False((await engine.CheckImageAsync("ghcr.io/acmecorp/app:1", CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task Pod_security_asks_for_the_strictest_level_of_the_workloads_images_and_reports_the_violations()
    {
        var policy = Policy("""
              - name: apps
                match: ["ghcr.io/acme/**"]
                podSecurity: restricted
              - name: infra
                match: ["ghcr.io/infra/**"]
                podSecurity: baseline
              - name: free
                match: ["ghcr.io/free/**"]
            """, "");
        var engine = Engine(policy);
        var manifests = KubernetesManifests.Parse("""
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: report}
            spec:
              jobTemplate:
                spec:
                  template:
                    metadata: {annotations: {team: infra}}
                    spec:
                      containers:
                        - {name: report, image: ghcr.io/infra/report:1}
                        - {name: sidecar, image: ghcr.io/acme/sidecar:1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: free}
            spec:
              containers:
                - {name: c, image: ghcr.io/free/c:1}
            """, "m.yaml");
        _podSecurity.Answer = ["the pod shares the host's namespace (hostPID: true)", "container \"c\" is privileged"];
        var cron = await engine.CheckWorkloadAsync(Workload.From(manifests[0])!, CancellationToken.None);
        var (spec, metadata, level) = Assert.Single(_podSecurity.Calls);
        Assert.Equal(PodSecurityLevel.Restricted, level);
        Assert.Same(manifests[0]["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"], spec);
        Assert.Equal("infra", metadata!["annotations"]!["team"]!.GetValue<string>());
        var verdict = cron.Verdicts.Single(v => v.Rule == "apps: podSecurity");
        Assert.False(verdict.Passed);
        Assert.Equal("violates Pod Security Standard 'restricted': the pod shares the host's namespace (hostPID: true); container \"c\" is privileged", verdict.Reason);

        // No rule of the workload's images asks for a level: the evaluator is not asked.
        var free = await engine.CheckWorkloadAsync(Workload.From(manifests[1])!, CancellationToken.None);
        Assert.Single(_podSecurity.Calls);
        Assert.DoesNotContain(free.Verdicts, v => v.Rule.EndsWith("podSecurity", StringComparison.Ordinal));
    }

    /// <summary>Records what the engine asks; the real evaluator (the misconfiguration checks') is tested with admission.</summary>
    private sealed class RecordingPodSecurity : IPodSecurityEvaluator
    {
        public List<(JsonObject Spec, JsonObject? Metadata, PodSecurityLevel Level)> Calls { get; } = [];
        public IReadOnlyList<string> Answer { get; set; } = [];

        public IReadOnlyList<string> Violations(JsonObject podSpec, JsonObject? podMetadata, PodSecurityLevel level)
        {
            Calls.Add((podSpec, podMetadata, level));
            return Answer;
        }
    }

    [Fact]
    public async Task A_moved_tag_is_seen_after_the_ttl_without_a_burst_of_lookups()
    {
        await PushAsync("policy/moving", "before");
        var signing = new ImageSigning(fixture.Client());
        var policy = Policy("""
              - match: ["**"]
                signatures: {keys: [release.pub]}
            """);
        var engine = new PolicyEngine(policy, signing, _podSecurity, TimeSpan.Zero);
        var text = $"{fixture.Host}/policy/moving:1";
        var first = (await engine.CheckImageAsync(text, CancellationToken.None)).Evidence[text].Image.Digest;
        var moved = await fixture.PushAsync("policy/moving:1", "after");
        Assert.NotEqual(first, moved);
        // Expired: this request still gets the previous digest while one refresh runs in the background.
        Assert.Equal(first, (await engine.CheckImageAsync(text, CancellationToken.None)).Evidence[text].Image.Digest);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string seen;
        do
        {
            await Task.Delay(20);
            seen = (await engine.CheckImageAsync(text, CancellationToken.None)).Evidence[text].Image.Digest;
        }
        while (seen != moved && DateTime.UtcNow < deadline);
        Assert.Equal(moved, seen);
    }

    [Theory]
    [InlineData("images:\n  - match: [x]\n    vulnerabilities: {maxSeverity: huge}\n    signatures: {keys: [release.pub]}", "maxSeverity must be none, low, medium, high or critical")]
    [InlineData("images:\n  - match: [x]\n    attestations: [cyclonedx]", "need signatures.keys")]
    [InlineData("images:\n  - match: [x]\n    signatures: {keys: [missing.pub]}", "missing.pub not found")]
    [InlineData("imagez: []", "line 3")]
    [InlineData("images:\n  - podSecurity: baseline", "'match' needs at least one pattern")]
    public void Malformed_policies_are_one_clear_error(string body, string expected)
    {
        _dir.File("release.pub", SigningKeys.Pem("PUBLIC KEY", _release.ExportSubjectPublicKeyInfo()));
        var e = Assert.Throws<SupplyException>(() => SupplyPolicy.Parse($"apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\n{body}\n", "p.yaml", _dir.Path));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Manifests_refuse_alias_bombs()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + string.Join("\n", Enumerable.Range(0, 8).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [{string.Join(", ", Enumerable.Repeat("*" + (char)('a' + i), 10))}]"));
        var e = Assert.Throws<SupplyException>(() => KubernetesManifests.Parse(bomb, "bomb.yaml"));
        Assert.Contains("alias bomb", e.Message, StringComparison.Ordinal);
    }
}
