using System.Text.Json.Nodes;

namespace ZeroDrift.Remediation.Tests;

/// <summary>
/// The "done when": a vulnerable image → <c>zerodrift fix</c> → the rescan shows the fix → the patched image
/// runs under podman and its entrypoint prints the new version → it is signed and pushed to a local registry → the
/// admission policy that denied the original (a critical vulnerability) allows it.
/// </summary>
public sealed class FixImageEndToEndTests
{
    private static readonly Dictionary<string, string> Password = new() { ["ZERODRIFT_PASSWORD"] = "pw" };

    [RootFact]
    public async Task A_patched_image_runs_is_signed_pushed_and_admitted_where_the_original_was_denied()
    {
        using var s = new FixImageTests.Setup();
        await using var registry = await RegistryServer.StartAsync();
        var host = registry.Host;
        var key = s.Work.Combine("release");
        Assert.Equal(0, Tools.ZeroDrift(Password, "key", "generate", "--output-prefix", key).ExitCode);

        // The original, pushed, signed and scanned with its report attested, as CI would have done.
        var original = $"{host}/zd/app:1.0";
        Tools.Tool("skopeo", ["--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{s.Image}:latest", $"docker://{original}"]);
        Assert.Equal(0, Tools.ZeroDrift(Password, "sign", original, "--key", key + ".key", "--insecure-registry", host).ExitCode);
        var attest = Tools.ZeroDrift(Password, "scan", original, "--db", s.Db, "--insecure-registry", host, "--attest", "--key", key + ".key", "--format", "json");
        Assert.True(attest.ExitCode == 0, attest.Stderr);
        var policy = s.Work.File("policy.yaml", """
            apiVersion: zerodrift.dev/v1
            kind: ImagePolicy
            images:
              - name: app
                match: ["**/zd/*"]
                signatures: {keys: [release.pub]}
                attestations: [vuln]
                vulnerabilities: {maxSeverity: high}
            """);
        var denied = Tools.ZeroDrift("policy", "check", original, "--policy", policy, "--insecure-registry", host);
        Assert.True(denied.ExitCode == 1, denied.Stdout + denied.Stderr);
        Assert.Contains("DENY  app: vulnerabilities", denied.Stdout);

        // fix: from the registry, pushed back under a new tag, signed and attested.
        var patched = $"{host}/zd/app:1.0-patched";
        var fix = Tools.ZeroDrift(Password, "fix", original, "--repo", s.Repo.RepoLine, "--keyring", s.Repo.Keyring, "--db", s.Db,
            "--push", patched, "--sign", "--key", key + ".key", "--insecure-registry", host);
        Assert.True(fix.ExitCode == 0, fix.Stderr + fix.Stdout);
        Assert.Contains("1.0 -> 1.1", fix.Stdout);
        Assert.Contains(VulnerableImage.AdvisoryId, fix.Stdout);

        // verify-attestation verifies the patch attestation with the public key and shows what changed.
        var verified = Tools.ZeroDrift("verify-attestation", patched, "--key", key + ".pub", "--type", "https://zerodrift.dev/patch/v1", "-o", "json", "--insecure-registry", host);
        Assert.True(verified.ExitCode == 0, verified.Stderr);
        var predicate = Assert.Single(JsonNode.Parse(verified.Stdout)!["attestations"]!.AsArray())!["predicate"]!;
        Assert.Contains(predicate["packages"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "zdtest" && p["to"]!.GetValue<string>() == "1.1");
        Assert.Equal([VulnerableImage.AdvisoryId], predicate["advisoriesClosed"]!.AsArray().Select(a => a!.GetValue<string>()));

        // The policy that denied the original allows the patched image, and can require the patch attestation itself.
        var allowed = Tools.ZeroDrift("policy", "check", patched, "--policy", policy, "--insecure-registry", host);
        Assert.True(allowed.ExitCode == 0, allowed.Stdout + allowed.Stderr);
        var requirePatch = s.Work.File("require-patch.yaml", File.ReadAllText(policy).Replace("attestations: [vuln]", "attestations: [vuln, \"https://zerodrift.dev/patch/v1\"]", StringComparison.Ordinal));
        Assert.Equal(0, Tools.ZeroDrift("policy", "check", patched, "--policy", requirePatch, "--insecure-registry", host).ExitCode);
        Assert.Equal(1, Tools.ZeroDrift("policy", "check", original, "--policy", requirePatch, "--insecure-registry", host).ExitCode);

        // The patched image runs under podman and its entrypoint is the new version.
        var archive = s.Work.Combine("patched.tar");
        var name = $"localhost/zd-fix-{Guid.NewGuid():N}"[..40] + ":patched";
        Assert.Equal(0, s.Fix("--output", "docker-archive:" + archive, "--tag", name).ExitCode);
        try
        {
            Tools.Tool("podman", ["load", "-q", "-i", archive]);
            var output = Tools.Tool("podman", ["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none", name]);
            Assert.Equal("zdtest 1.1\n", output);
        }
        finally
        {
            Tools.Run("podman", ["rmi", "-f", name], null, null);
        }
    }
}
