using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary><c>zerodrift policy check</c> and <c>zerodrift admission</c> as users run them, against a real registry.</summary>
public sealed class PolicyAdmissionCommandTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RegistryServer? _registry;
    private RegistryServer Registry => _registry!;
    private static readonly Dictionary<string, string> Password = new() { ["ZERODRIFT_PASSWORD"] = "pw" };

    private static RunResult WithEnv(IReadOnlyDictionary<string, string> environment, params string[] args) => ZeroDriftRunner.Run(environment, null, args);

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        _dir.Dispose();
    }

    private void Push(string repoTag, string marker)
    {
        var layout = _dir.Combine("layout-" + marker);
        new TestImage().Layer(new TestLayer().File("m", marker)).WriteOciLayout(layout, "x");
        ZeroDriftRunner.Tool("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{layout}:x", $"docker://{Registry.Host}/{repoTag}");
    }

    private string SetUp()
    {
        var key = _dir.Combine("release");
        Assert.Equal(0, WithEnv(Password, "key", "generate", "--output-prefix", key).ExitCode);
        Push("shop/web:1", "web");
        Push("shop/rogue:1", "rogue");
        var sign = WithEnv(Password, "sign", $"{Registry.Host}/shop/web:1", "--key", key + ".key", "--insecure-registry", Registry.Host);
        Assert.True(sign.ExitCode == 0, sign.Stderr);
        var predicate = _dir.File("sbom.json", """{"bomFormat":"CycloneDX","specVersion":"1.6"}""");
        Assert.Equal(0, WithEnv(Password, "attest", $"{Registry.Host}/shop/web:1", "--key", key + ".key", "--type", "cyclonedx", "--predicate", predicate, "--insecure-registry", Registry.Host).ExitCode);
        return _dir.File("policy.yaml", $"""
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            allowedRegistries: ["{Registry.Host}"]
            images:
              - name: shop
                match: ["{Registry.Host}/shop/*"]
                signatures:
                  keys: [release.pub]
                attestations: [cyclonedx]
                podSecurity: baseline
            """);
    }

    [Fact]
    public void Policy_check_allows_and_denies_with_reasons()
    {
        var policy = SetUp();
        var ok = ZeroDriftRunner.Run("policy", "check", $"{Registry.Host}/shop/web:1", "--policy", policy, "--insecure-registry", Registry.Host);
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.Contains("ALLOW", ok.Stdout);
        Assert.Contains("pass  shop: signatures", ok.Stdout);
        Assert.Contains("pass  shop: attestation https://cyclonedx.org/bom", ok.Stdout);

        var denied = ZeroDriftRunner.Run("policy", "check", $"{Registry.Host}/shop/rogue:1", "--policy", policy, "--insecure-registry", Registry.Host);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("DENY  shop: signatures", denied.Stdout);
        Assert.Contains("no signatures found", denied.Stdout);

        var manifest = _dir.File("deploy.yaml", $"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"}name: web{"}"}
            spec:
              template:
                spec:
                  hostPID: true
                  containers:
                    - name: web
                      image: {Registry.Host}/shop/web:1
            """);
        var workload = ZeroDriftRunner.Run("policy", "check", manifest, "--policy", policy, "--insecure-registry", Registry.Host, "-o", "json");
        Assert.Equal(1, workload.ExitCode);
        var doc = JsonNode.Parse(workload.Stdout)!.AsArray();
        var verdict = doc[0]!["verdicts"]!.AsArray().Single(v => v!["rule"]!.GetValue<string>() == "shop: podSecurity")!;
        Assert.False(verdict["passed"]!.GetValue<bool>());
        Assert.Equal("violates Pod Security Standard 'baseline': the pod shares the host's namespace (hostPID: true)", verdict["reason"]!.GetValue<string>());

        var broken = _dir.File("broken.yaml", "apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages: [{match: [x], vulnerabilities: {maxSeverity: extreme}, signatures: {keys: [release.pub]}}]\n");
        var bad = ZeroDriftRunner.Run("policy", "check", "x", "--policy", broken);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("maxSeverity must be", bad.Stderr);
    }

    [Fact]
    public async Task Admission_serves_AdmissionReview_over_HTTPS()
    {
        var policy = SetUp();
        var (cert, key, ca) = Certificates();
        var port = RegistryServer.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"), "admission", "--policy", policy, "--tls-cert", cert, "--tls-key", key, "--listen", $"127.0.0.1:{port}", "--insecure-registry", Registry.Host, "--pss-version", "v1.34" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && Trusted(c, ca) },
            }) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    if ((await http.GetStringAsync("healthz")) == "ok\n") break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100);
                }
            }
            var review = $$$$"""
                {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"e2e-1","kind":{"group":"","version":"v1","kind":"Pod"},
                "resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"dev"},
                "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"rogue"},"spec":{"containers":[{"name":"c","image":"{{{{Registry.Host}}}}/shop/rogue:1"}]}},"oldObject":null,"dryRun":false}}
                """;
            using var content = new StringContent(review, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("validate", content);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!;
            Assert.Equal("e2e-1", answer["uid"]!.GetValue<string>());
            Assert.False(answer["allowed"]!.GetValue<bool>());
            Assert.Contains("rule 'shop: signatures' failed", answer["status"]!["message"]!.GetValue<string>());

            // The pod spec that `policy check deploy.yaml` denies (Policy_check_allows_and_denies_with_reasons) gets the same reason here.
            var hostPid = review.Replace("\"uid\":\"e2e-1\"", "\"uid\":\"e2e-2\"", StringComparison.Ordinal).Replace("shop/rogue:1\"}]", "shop/web:1\"}],\"hostPID\":true", StringComparison.Ordinal);
            using var pidContent = new StringContent(hostPid, Encoding.UTF8);
            pidContent.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var pidResponse = await http.PostAsync("validate", pidContent);
            var pidAnswer = JsonNode.Parse(await pidResponse.Content.ReadAsStringAsync())!["response"]!;
            Assert.Equal("e2e-2", pidAnswer["uid"]!.GetValue<string>());
            Assert.False(pidAnswer["allowed"]!.GetValue<bool>());
            Assert.EndsWith("rule 'shop: podSecurity' failed for Pod rogue: violates Pod Security Standard 'baseline': the pod shares the host's namespace (hostPID: true)",
                pidAnswer["status"]!["message"]!.GetValue<string>());

            // The webhook judges at --pss-version v1.34: a pod in its own user namespace may not unmask /proc under that
            // version's baseline (v1.35 and later allow it).
            var unmasked = review.Replace("\"uid\":\"e2e-1\"", "\"uid\":\"e2e-3\"", StringComparison.Ordinal)
                .Replace("shop/rogue:1\"}]", "shop/web:1\",\"securityContext\":{\"procMount\":\"Unmasked\"}}],\"hostUsers\":false", StringComparison.Ordinal);
            using var unmaskedContent = new StringContent(unmasked, Encoding.UTF8);
            unmaskedContent.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var unmaskedResponse = await http.PostAsync("validate", unmaskedContent);
            var unmaskedAnswer = JsonNode.Parse(await unmaskedResponse.Content.ReadAsStringAsync())!["response"]!;
            Assert.False(unmaskedAnswer["allowed"]!.GetValue<bool>());
            Assert.EndsWith("violates Pod Security Standard 'baseline': container \"c\" unmasks /proc (procMount: Unmasked)",
                unmaskedAnswer["status"]!["message"]!.GetValue<string>());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var manifests = ZeroDriftRunner.Run("admission", "manifests", "--ca-bundle", _dir.Combine("ca.pem"));
        Assert.Equal(0, manifests.ExitCode);
        Assert.Contains("kind: ValidatingWebhookConfiguration", manifests.Stdout);
        Assert.Contains("kind: MutatingWebhookConfiguration", manifests.Stdout);
        Assert.Contains("failurePolicy: Fail", manifests.Stdout);
    }

    [Fact]
    public void Assets_discover_then_list()
    {
        SetUp();
        var db = _dir.Combine("assets.db");
        var discover = ZeroDriftRunner.Run("assets", "discover", $"{Registry.Host}/shop/web", $"{Registry.Host}/shop/rogue", "--key", _dir.Combine("release.pub"), "--db", db, "--insecure-registry", Registry.Host);
        Assert.True(discover.ExitCode == 0, discover.Stderr);
        Assert.Contains("1 tagged image(s) recorded", discover.Stderr);
        var list = ZeroDriftRunner.Run("assets", "list", "--db", db, "-o", "json");
        Assert.Equal(0, list.ExitCode);
        var assets = JsonNode.Parse(list.Stdout)!.AsArray().OrderBy(a => a!["repository"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        Assert.Equal(2, assets.Count);
        Assert.Empty(assets[0]!["signedBy"]!.AsArray());                               // shop/rogue
        Assert.Equal(_dir.Combine("release.pub"), assets[1]!["signedBy"]![0]!.GetValue<string>()); // shop/web
        Assert.Equal("https://cyclonedx.org/bom", assets[1]!["attestations"]![0]!.GetValue<string>());
        var table = ZeroDriftRunner.Run("assets", "list", "--db", db, "--repository", "*/shop/web");
        Assert.Contains("shop/web", table.Stdout);
        Assert.DoesNotContain("shop/rogue", table.Stdout);
        var image = ZeroDriftRunner.Run("assets", "discover", $"{Registry.Host}/shop/web:1", "--db", db, "--insecure-registry", Registry.Host);
        Assert.Equal(2, image.ExitCode);
    }

    // Split so that this source file is not itself a finding of secret scanners.
    private static readonly string AwsKeyId = "AKIA" + "Z3MSJV4WWNKWW5FG";

    /// <summary>Pushes an image holding a Rust app whose Cargo.lock pins a vulnerable smallvec, and, when asked, a leaked key.</summary>
    private void PushApp(string repoTag, bool withSecret)
    {
        var layout = _dir.Combine("layout-" + repoTag.Replace('/', '-').Replace(':', '-'));
        var app = new TestLayer()
            .File("app/Cargo.lock", "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
            .File("app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n");
        if (withSecret) app.File("app/.env", $"AWS_ACCESS_KEY_ID={AwsKeyId}\n");
        new TestImage().Layer(app).WriteOciLayout(layout, "x");
        ZeroDriftRunner.Tool("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{layout}:x", $"docker://{Registry.Host}/{repoTag}");
    }

    [Fact]
    public void Scan_attest_feeds_verify_attestation_and_the_policy()
    {
        var key = _dir.Combine("ci");
        Assert.Equal(0, WithEnv(Password, "key", "generate", "--output-prefix", key).ExitCode);
        var db = _dir.Combine("osv.db");
        Assert.Equal(0, ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.SharedData, "osv", "crates.io"), "--db", db, "--quiet").ExitCode);
        PushApp("ci/leaky:1", withSecret: true);
        PushApp("ci/clean:1", withSecret: false);
        foreach (var repo in new[] { "ci/leaky:1", "ci/clean:1" })
            Assert.Equal(0, WithEnv(Password, "sign", $"{Registry.Host}/{repo}", "--key", key + ".key", "--insecure-registry", Registry.Host).ExitCode);
        RunResult ScanAttest(string image, params string[] extra) => WithEnv(Password, ["scan", image, "--scanners", "vuln,secret", "--db", db, "--format", "json",
            "--insecure-registry", Registry.Host, "--attest", "--key", key + ".key", .. extra]);

        var leaky = $"{Registry.Host}/ci/leaky:1";
        var scan = ScanAttest(leaky);
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains($"zerodrift: attested {Registry.Host}/ci/leaky@sha256:", scan.Stderr);
        var clean = $"{Registry.Host}/ci/clean:1";
        var cleanScan = ScanAttest(clean, "--signature-format", "legacy");
        Assert.True(cleanScan.ExitCode == 0, cleanScan.Stderr);
        var scanned = JsonNode.Parse(scan.Stdout)!;

        // verify-attestation finds both, signed by the key; the vuln predicate carries the very report the scan wrote.
        var sbom = ZeroDriftRunner.Run("verify-attestation", leaky, "--key", key + ".pub", "--type", "cyclonedx", "-o", "json", "--insecure-registry", Registry.Host);
        Assert.True(sbom.ExitCode == 0, sbom.Stderr);
        var bom = Assert.Single(JsonNode.Parse(sbom.Stdout)!["attestations"]!.AsArray())!["predicate"]!;
        Assert.Contains(bom["components"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "smallvec");
        var vuln = ZeroDriftRunner.Run("verify-attestation", leaky, "--key", key + ".pub", "--type", "vuln", "-o", "json", "--insecure-registry", Registry.Host);
        Assert.True(vuln.ExitCode == 0, vuln.Stderr);
        var attestation = Assert.Single(JsonNode.Parse(vuln.Stdout)!["attestations"]!.AsArray())!;
        Assert.True(attestation["verified"]!.GetValue<bool>());
        var result = attestation["predicate"]!["scanner"]!["result"]!;
        Assert.Equal(scanned["findings"]!.ToJsonString(), result["findings"]!.ToJsonString());
        var secret = Assert.Single(result["contentFindings"]!.AsArray())!;
        Assert.Equal("secret", secret["class"]!.GetValue<string>());
        Assert.DoesNotContain(AwsKeyId, vuln.Stdout); // redacted: an attestation is readable by whoever can pull the image
        var smallvec = result["findings"]!.AsArray().Select(f => f!["id"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(smallvec);

        var policy = _dir.File("scan-policy.yaml", """
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            images:
              - name: ci
                match: ["**/ci/*"]
                signatures: {keys: [ci.pub]}
                attestations: [cyclonedx, vuln]
                vulnerabilities: {maxSeverity: critical}
                noSecrets: true
            """);
        var denied = ZeroDriftRunner.Run("policy", "check", leaky, "--policy", policy, "--insecure-registry", Registry.Host);
        Assert.True(denied.ExitCode == 1, denied.Stdout + denied.Stderr);
        Assert.Contains("DENY  ci: noSecrets", denied.Stdout);
        Assert.Contains("the attested scan found 1 secret(s)", denied.Stdout);
        Assert.Contains("pass  ci: attestation https://cosign.sigstore.dev/attestation/vuln/v1", denied.Stdout);
        Assert.Contains("pass  ci: vulnerabilities", denied.Stdout);

        var allowed = ZeroDriftRunner.Run("policy", "check", clean, "--policy", policy, "--insecure-registry", Registry.Host);
        Assert.True(allowed.ExitCode == 0, allowed.Stdout + allowed.Stderr);
        Assert.Contains("pass  ci: noSecrets  ", allowed.Stdout);

        // The same attested report judged with a stricter limit: the smallvec advisories deny it, by id.
        var strict = _dir.File("strict-policy.yaml", File.ReadAllText(policy).Replace("maxSeverity: critical", "maxSeverity: none", StringComparison.Ordinal));
        var vulnerable = ZeroDriftRunner.Run("policy", "check", clean, "--policy", strict, "--insecure-registry", Registry.Host, "-o", "json");
        Assert.Equal(1, vulnerable.ExitCode);
        var verdict = JsonNode.Parse(vulnerable.Stdout)![0]!["verdicts"]!.AsArray().Single(v => v!["rule"]!.GetValue<string>() == "ci: vulnerabilities")!;
        Assert.False(verdict["passed"]!.GetValue<bool>());
        Assert.Contains(smallvec[0], verdict["reason"]!.GetValue<string>());

        // Misuse is one line and exit 2, before any scanning.
        var noKey = WithEnv(Password, "scan", leaky, "--db", db, "--insecure-registry", Registry.Host, "--attest");
        Assert.Equal(2, noKey.ExitCode);
        Assert.Equal("zerodrift: error: --attest needs --key", noKey.Stderr.Trim());
        var directory = WithEnv(Password, "scan", _dir.Path, "--db", db, "--attest", "--key", key + ".key");
        Assert.Equal(2, directory.ExitCode);
        Assert.Contains("--attest works on registry images", directory.Stderr);
    }

    private static bool Trusted(X509Certificate certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    private (string Cert, string Key, X509Certificate2 Ca) Certificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=e2e CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        _dir.File("ca.pem", ca.ExportCertificatePem());
        return (_dir.File("tls.crt", server.ExportCertificatePem()), _dir.File("tls.key", serverKey.ExportPkcs8PrivateKeyPem()), ca);
    }
}
