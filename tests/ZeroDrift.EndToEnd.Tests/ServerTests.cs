using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift server</c> as a process, and <c>zerodrift scan … --server</c> uploading to it over HTTPS with the
/// server's own certificate pinned: the server holds what the scan found.
/// </summary>
public sealed class ServerTests(OsvDatabaseFixture osv) : IClassFixture<OsvDatabaseFixture>
{

    [Fact]
    public async Task A_scan_uploaded_with_server_lands_in_the_servers_ranked_risks()
    {
        using var server = new ServerProcess();
        using var client = server.Client();
        Assert.Contains("listening on", server.Log, StringComparison.Ordinal);
        var login = await (await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = ServerProcess.Password })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", login.GetProperty("csrf").GetString());
        var created = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "ci", role = "ci" })).Content.ReadFromJsonAsync<JsonElement>();
        var token = created.GetProperty("token").GetString()!;

        using var dir = new TempDir();
        var image = new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nID=debian\nVERSION_ID=\"10\"\n")
                .File("var/lib/dpkg/status", "Package: libxml2\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.9.4+dfsg1-7+deb10u9\n"))
            .WriteOciLayout(dir.Combine("img"));
        var env = new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = token };
        var scan = ZeroDriftRunner.Run(env, null, "scan", "oci-dir:" + image, "--db", osv.Db, "--format", "json", "--server", server.Url, "--server-ca", server.Certificate, "--workload", "shop/web");
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains("uploaded scan", scan.Stderr, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(scan.Stdout);
        var found = report.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToHashSet();
        Assert.NotEmpty(found);

        var risks = await client.GetFromJsonAsync<JsonElement>("/api/v1/risks?limit=5000");
        Assert.Equal(found, risks.EnumerateArray().Select(r => r.GetProperty("vulnId").GetString()).ToHashSet());
        Assert.All(risks.EnumerateArray(), r => Assert.Equal("shop/web", r.GetProperty("subject").GetString()));

        // A wrong token: one line, exit 2, and the report was still written.
        var refused = ZeroDriftRunner.Run(new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = "zdt_wrong" }, null, "scan", "oci-dir:" + image, "--db", osv.Db, "--format", "json",
            "--server", server.Url, "--server-ca", server.Certificate);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("401", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.NotEmpty(refused.Stdout);
    }

    [Fact]
    public void The_server_refuses_to_start_without_an_admin_and_says_how()
    {
        using var dir = new TempDir();
        var r = ZeroDriftRunner.Run(new Dictionary<string, string> { ["ZERODRIFT_ADMIN_PASSWORD"] = "" }, null, "server", "--listen", $"https://127.0.0.1:{RegistryServer.FreePort()}", "--data-dir", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("zerodrift: error: no admin exists yet: set ZERODRIFT_ADMIN_PASSWORD (at least 12 characters) for the first start", r.Stderr.Trim());
        var bad = ZeroDriftRunner.Run("server", "--listen", "ftp://x", "--data-dir", dir.Path);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--listen ftp://x", bad.Stderr, StringComparison.Ordinal);
    }
    [Fact]
    public async Task Secrets_and_misconfigurations_reach_the_server_redacted_and_its_webhook_denies_a_privileged_deployment()
    {
        using var policyDir = new TempDir();
        var policy = policyDir.File("policy.yaml", """
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            allowedRegistries: ["registry.local"]
            images:
              - name: shop
                match: ["registry.local/shop/**"]
                podSecurity: restricted
            """);
        using var server = new ServerProcess("--admission-policy", policy);
        using var client = server.Client();
        Assert.Contains("admission webhook at /admission/validate", server.Log, StringComparison.Ordinal);
        var login = await (await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = ServerProcess.Password })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", login.GetProperty("csrf").GetString());
        var token = (await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "ci", role = "ci" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        var gitHubToken = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";
        using var tree = new TempDir();
        tree.File("config/app.env", $"DEBUG=1\nGITHUB_TOKEN={gitHubToken}\n");
        tree.File("Dockerfile", "FROM debian:12\nADD https://example.com/tool.tgz /opt/\nRUN curl -sSL https://example.com/install.sh | sh\n");
        var env = new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = token };
        var scan = ZeroDriftRunner.Run(env, null, "scan", tree.Path, "--scanners", "secret,misconfig", "--format", "json", "--server", server.Url, "--server-ca", server.Certificate, "--workload", "shop/web");
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains("secret/PII/misconfiguration findings", scan.Stderr, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(scan.Stdout);
        var reported = report.RootElement.GetProperty("contentFindings").EnumerateArray().Select(f => f.GetProperty("fingerprint").GetString()).ToHashSet();
        Assert.Contains(report.RootElement.GetProperty("contentFindings").EnumerateArray(), f => f.GetProperty("class").GetString() == "misconfig");

        var stored = await client.GetStringAsync("/api/v1/findings?limit=5000");
        var findings = JsonDocument.Parse(stored).RootElement.EnumerateArray().ToList();
        Assert.Equal(reported, findings.Select(f => f.GetProperty("fingerprint").GetString()).ToHashSet());
        Assert.Contains(findings, f => f.GetProperty("class").GetString() == "secret" && f.GetProperty("match").GetString()!.Contains("ghp_*****", StringComparison.Ordinal));
        Assert.DoesNotContain(gitHubToken, stored, StringComparison.Ordinal);
        // Not in the database either: the SQLite file and its WAL hold no byte sequence of the secret.
        foreach (var file in Directory.GetFiles(server.Dir.Path, "server.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            Assert.Equal(-1, memory.ToArray().AsSpan().IndexOf(Encoding.ASCII.GetBytes(gitHubToken)));
        }
        var numbers = await client.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(reported.Count, numbers.GetProperty("risksBeforeDeploymentByKind").GetProperty("contentFindings").GetInt64());

        // Secrets in clear never leave for the server: refused before scanning, one line, exit 2.
        var clear = ZeroDriftRunner.Run(env, null, "scan", tree.Path, "--scanners", "secret", "--show-secrets", "--server", server.Url, "--server-ca", server.Certificate);
        Assert.Equal(2, clear.ExitCode);
        Assert.Equal("zerodrift: error: --show-secrets cannot be used with --server: the server stores secrets redacted only", clear.Stderr.Trim());

        // The API server's call to the hosted webhook, as kube-apiserver makes it.
        var review = $$$"""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"e2e-1","kind":{"group":"","version":"v1","kind":"Pod"},
             "resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},
             "object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-7d4b9c-","namespace":"shop"},
               "spec":{"containers":[{"name":"web","image":"registry.local/shop/web@sha256:{{{new string('c', 64)}}}","securityContext":{"privileged":true}}]}},"dryRun":false}}
            """;
        using var anonymous = server.Client();
        using var answer = await anonymous.PostAsync("/admission/validate", new StringContent(review, Encoding.UTF8, "application/json"));
        var response = (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("response");
        Assert.False(response.GetProperty("allowed").GetBoolean());
        Assert.Equal("e2e-1", response.GetProperty("uid").GetString());
        var denied = Assert.Single((await client.GetFromJsonAsync<JsonElement[]>("/api/v1/admission?decision=denied"))!);
        Assert.Equal(("Pod", "web-7d4b9c-"), (denied.GetProperty("kind").GetString(), denied.GetProperty("name").GetString()));
        numbers = await client.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(reported.Count + 1, numbers.GetProperty("risksFoundBeforeDeployment").GetInt64());
    }
}
