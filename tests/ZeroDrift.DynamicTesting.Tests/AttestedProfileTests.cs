using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>
/// The profile ships with the image: a tested profile attested next to an image in a real registry (docker-registry),
/// verified and imported for that digest in Protect under the deployment's workload name; a wrong key imports nothing.
/// </summary>
public sealed class AttestedProfileTests : IAsyncLifetime
{
    private const string Password = "dyntest-pass";
    private readonly TempDir _dir = new();
    private RegistryServer? _registry;

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        _dir.Dispose();
    }

    private const string Tested = """
        apiVersion: zerodrift.dev/v1
        kind: BehaviourProfile
        metadata:
          workload: zdtest-0c3b3863-sandbox
          image: localhost/web:1
          imageDigest: sha256:a98436959f57e8342b5b5318245f22c0000472b37f5cf4ba104fbc5fd600fa96
          created: 2026-12-07T17:22:47Z
          updated: 2026-12-07T17:22:49Z
        spec:
          mode: learn
          processes:
          - executable: /bin/busybox
            name: httpd
            parent: runtime:entry
            user: root
            uid: 0
          files:
          - path: /etc/httpd.conf
            access: r
          network:
          - direction: ingress
            protocol: tcp
            peer: 10.89.0.1
            port: 8080
          syscalls:
          - accept
          - read
        """;

    [Fact]
    public void A_tested_profile_attested_on_the_image_is_imported_for_its_digest_in_protect()
    {
        var host = _registry!.Host;
        var digest = Push("shop/web:1.4");
        var key = Key("signer");
        var other = Key("other");
        var profile = _dir.File("tested.yaml", Tested);
        var store = _dir.Combine("profiles.db");

        var attest = Run(["profile", "attest", $"{host}/shop/web:1.4", "--profile", profile, "--key", key + ".key", "--insecure-registry", host]);
        Assert.True(attest.ExitCode == 0, attest.Stderr);
        Assert.Contains($"Attested https://zerodrift.dev/behaviour-profile/v1 for {host}/shop/web@{digest}", attest.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 processes, 1 files, 1 connections, 2 syscalls", attest.Stdout, StringComparison.Ordinal);

        // A key that did not sign it: nothing imported, exit 1.
        var refused = Run(["profile", "--profiles", store, "import-attested", $"{host}/shop/web:1.4", "--key", other + ".pub", "--mode", "protect", "--insecure-registry", host]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no https://zerodrift.dev/behaviour-profile/v1 attestation verifies with the given key(s) (1 found)", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("web@", Run(["profile", "--profiles", store, "list"]).Stdout, StringComparison.Ordinal);

        var imported = Run(["profile", "--profiles", store, "import-attested", $"{host}/shop/web:1.4", "--key", key + ".pub", "--mode", "protect", "--insecure-registry", host]);
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.StartsWith($"imported web@{digest} (protect) from its attestation, verified by ", imported.Stdout, StringComparison.Ordinal);
        var shown = Run(["profile", "--profiles", store, "show", $"web@{digest}"]);
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains("mode: protect", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains($"imageDigest: {digest}", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("name: httpd", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("- accept", shown.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Admission can require the attestation: a policy rule with <c>attestations: [behaviour-profile]</c> allows a signed
    /// image whose tested profile is attested by the rule's key and denies one signed by it without a profile, in
    /// <c>policy check</c> and in the admission webhook (AdmissionReview over HTTPS).
    /// </summary>
    [Fact]
    public async Task Admission_requires_the_behaviour_profile_attestation()
    {
        var host = _registry!.Host;
        Push("shop/web:1.4");
        Push("shop/untested:1.4");
        var key = Key("release");
        foreach (var image in new[] { "web", "untested" })
        {
            var signed = Run(["sign", $"{host}/shop/{image}:1.4", "--key", key + ".key", "--insecure-registry", host]);
            Assert.True(signed.ExitCode == 0, signed.Stderr);
        }
        var attest = Run(["profile", "attest", $"{host}/shop/web:1.4", "--profile", _dir.File("tested.yaml", Tested), "--key", key + ".key", "--insecure-registry", host]);
        Assert.True(attest.ExitCode == 0, attest.Stderr);
        var policy = _dir.File("policy.yaml", $"""
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            images:
              - name: tested
                match: ["{host}/shop/*"]
                signatures:
                  keys: [{key}.pub]
                attestations: [behaviour-profile]
            """);

        var allowed = Run(["policy", "check", $"{host}/shop/web:1.4", "--policy", policy, "--insecure-registry", host]);
        Assert.True(allowed.ExitCode == 0, allowed.Stdout + allowed.Stderr);
        Assert.Contains("pass  tested: attestation https://zerodrift.dev/behaviour-profile/v1", allowed.Stdout, StringComparison.Ordinal);
        var denied = Run(["policy", "check", $"{host}/shop/untested:1.4", "--policy", policy, "--insecure-registry", host]);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("DENY  tested: attestation https://zerodrift.dev/behaviour-profile/v1", denied.Stdout, StringComparison.Ordinal);

        // The webhook, as a cluster calls it.
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", tlsKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var port = RegistryServer.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Cli.Dll, "admission", "--policy", policy, "--tls-cert", _dir.File("tls.crt", certificate.ExportCertificatePem()),
            "--tls-key", _dir.File("tls.key", tlsKey.ExportPkcs8PrivateKeyPem()), "--listen", $"127.0.0.1:{port}", "--insecure-registry", host })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                // Exactly the certificate the webhook was given.
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == certificate.GetCertHashString() },
            }) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    if (await http.GetStringAsync("healthz") == "ok\n") break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(200);
                }
            }
            var web = await ReviewAsync(http, "a-1", $"{host}/shop/web:1.4");
            Assert.True(web["allowed"]!.GetValue<bool>(), web.ToJsonString());
            var untested = await ReviewAsync(http, "a-2", $"{host}/shop/untested:1.4");
            Assert.False(untested["allowed"]!.GetValue<bool>());
            Assert.Contains("rule 'tested: attestation https://zerodrift.dev/behaviour-profile/v1' failed", untested["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task<JsonNode> ReviewAsync(HttpClient http, string uid, string image)
    {
        var review = $$$"""
            {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"{{{uid}}}","kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"dev"},
            "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"{{{image}}}"}]}},"oldObject":null,"dryRun":false}}
            """;
        using var content = new StringContent(review, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("validate", content);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!;
        Assert.Equal(uid, answer["uid"]!.GetValue<string>());
        return answer;
    }

    private string Push(string repoTag)
    {
        var layout = _dir.Combine("layout");
        new TestImage().Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=12\n").File("marker", Guid.NewGuid().ToString("N"))).WriteOciLayout(layout, "x");
        var digestFile = _dir.Combine("digest");
        var r = Cli.Run("skopeo", ["--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile, $"oci:{layout}:x", $"docker://{_registry!.Host}/{repoTag}"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllText(digestFile).Trim();
    }

    private string Key(string name)
    {
        var prefix = _dir.Combine(name);
        var r = Run(["key", "generate", "--output-prefix", prefix]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return prefix;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Cli.Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["ZERODRIFT_PASSWORD"] = Password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit(TimeSpan.FromMinutes(3));
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
