using System.Diagnostics;

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
