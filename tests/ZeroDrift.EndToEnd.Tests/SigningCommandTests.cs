using System.Text.Json.Nodes;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>The real <c>zerodrift</c> signing commands against a real registry: key generate, sign, verify, tamper, attest.</summary>
public sealed class SigningCommandTests : IAsyncLifetime
{
    private RegistryServer? _registry;
    private readonly TempDir _dir = new();
    private RegistryServer Registry => _registry!;
    private static readonly Dictionary<string, string> Password = new() { ["ZERODRIFT_PASSWORD"] = "e2e-password" };

    // Run(env, stdin, args) would take the first argument as standard input: name the overload.
    private static RunResult WithEnv(IReadOnlyDictionary<string, string> environment, params string[] args) => ZeroDriftRunner.Run(environment, null, args);

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        _dir.Dispose();
    }

    private string Push(string repoTag, string marker)
    {
        var layout = _dir.Combine("layout-" + marker);
        new TestImage().Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=12\n").File("marker", marker)).WriteOciLayout(layout, "x");
        var digestFile = _dir.Combine("digest-" + marker);
        ZeroDriftRunner.Tool("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--digestfile", digestFile, $"oci:{layout}:x", $"docker://{Registry.Host}/{repoTag}");
        return File.ReadAllText(digestFile).Trim();
    }

    private string GenerateKey(string prefix)
    {
        var path = _dir.Combine(prefix);
        var r = WithEnv(Password, "key", "generate", "--output-prefix", path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return path;
    }

    [Theory]
    [InlineData("bundle")]
    [InlineData("legacy")]
    public void Sign_verify_tamper_verify_fails(string format)
    {
        var key = GenerateKey("k-" + format);
        var other = GenerateKey("other-" + format);
        var image = $"{Registry.Host}/e2e/{format}:1.0";
        var digest = Push($"e2e/{format}:1.0", format + "-original");

        var before = ZeroDriftRunner.Run("verify", image, "--key", key + ".pub", "--insecure-registry", Registry.Host);
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("no signatures found", before.Stdout);

        var sign = WithEnv(Password, "sign", image, "--key", key + ".key", "--signature-format", format, "--insecure-registry", Registry.Host);
        Assert.True(sign.ExitCode == 0, sign.Stderr);
        Assert.Contains(digest, sign.Stdout);

        var verify = ZeroDriftRunner.Run("verify", image, "--key", other + ".pub", "--key", key + ".pub", "--insecure-registry", Registry.Host);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Contains($"verified by {key}.pub", verify.Stdout);

        var wrongKey = ZeroDriftRunner.Run("verify", image, "--key", other + ".pub", "--insecure-registry", Registry.Host);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("no trusted key verifies", wrongKey.Stdout);

        // Tamper: another image under the same tag.
        Push($"e2e/{format}:1.0", format + "-replaced");
        var after = ZeroDriftRunner.Run("verify", image, "--key", key + ".pub", "--insecure-registry", Registry.Host);
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("no valid signature", after.Stderr);

        // The original digest still verifies: signatures follow digests, not tags.
        Assert.Equal(0, ZeroDriftRunner.Run("verify", $"{Registry.Host}/e2e/{format}@{digest}", "--key", key + ".pub", "--insecure-registry", Registry.Host).ExitCode);
    }

    [Fact]
    public void Attest_and_verify_attestation_print_the_predicate()
    {
        var key = GenerateKey("att");
        var image = $"{Registry.Host}/e2e/attest:1.0";
        Push("e2e/attest:1.0", "attest");
        var predicate = _dir.File("sbom.json", """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"openssl","version":"3.0.11"}]}""");
        foreach (var format in new[] { "bundle", "legacy" })
        {
            var attest = WithEnv(Password, "attest", image, "--key", key + ".key", "--predicate", predicate, "--type", "cyclonedx", "--signature-format", format, "--insecure-registry", Registry.Host);
            Assert.True(attest.ExitCode == 0, attest.Stderr);
        }
        var verify = ZeroDriftRunner.Run("verify-attestation", image, "--key", key + ".pub", "--type", "cyclonedx", "-o", "json", "--insecure-registry", Registry.Host);
        Assert.True(verify.ExitCode == 0, verify.Stderr);
        var doc = JsonNode.Parse(verify.Stdout)!;
        var list = doc["attestations"]!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.All(list, a =>
        {
            Assert.True(a!["verified"]!.GetValue<bool>());
            Assert.Equal("https://cyclonedx.org/bom", a["predicateType"]!.GetValue<string>());
            Assert.Equal("openssl", a["predicate"]!["components"]![0]!["name"]!.GetValue<string>());
        });
        var none = ZeroDriftRunner.Run("verify-attestation", image, "--key", key + ".pub", "--type", "spdx", "--insecure-registry", Registry.Host);
        Assert.Equal(1, none.ExitCode);
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_2()
    {
        var key = GenerateKey("bad");
        var r = WithEnv(new Dictionary<string, string> { ["ZERODRIFT_PASSWORD"] = "wrong" }, "sign", $"{Registry.Host}/e2e/none:1", "--key", key + ".key", "--insecure-registry", Registry.Host);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("zerodrift: error: encrypted key: decryption failed (wrong password?)", r.Stderr.Trim());
        var missing = WithEnv(Password, "sign", $"{Registry.Host}/e2e/none:1", "--key", key + ".key", "--insecure-registry", Registry.Host);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("not found", missing.Stderr);
        var garbage = _dir.File("garbage.pub", "not a key");
        var g = ZeroDriftRunner.Run("verify", $"{Registry.Host}/e2e/none:1", "--key", garbage, "--insecure-registry", Registry.Host);
        Assert.Equal(2, g.ExitCode);
        Assert.Single(g.Stderr.Trim().Split('\n'));
        var exists = WithEnv(Password, "key", "generate", "--output-prefix", key);
        Assert.Equal(2, exists.ExitCode);
        Assert.Contains("--force", exists.Stderr);
    }

    [Fact]
    public void Cosign_password_variable_is_accepted()
    {
        var path = _dir.Combine("cosign-env");
        var r = WithEnv(new Dictionary<string, string> { ["COSIGN_PASSWORD"] = "from-cosign" }, "key", "generate", "--output-prefix", path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", File.ReadAllText(path + ".key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + ".key"));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", File.ReadAllText(path + ".pub"));
    }
}
