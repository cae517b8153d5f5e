namespace ZeroDrift.EndToEnd.Tests.Conformance;

/// <summary>
/// sigstore-conformance's 70 bundle-verify cases through the real command, as the suite's CLI protocol calls a
/// client (<c>verify-bundle --bundle B [--certificate-identity I --certificate-oidc-issuer U | --key K]
/// [--trusted-root R] FILE</c>): every case verifies (exit 0) or is refused (exit 1, one line) as its name says.
/// </summary>
public sealed class SigstoreBundleConformanceTests
{
    private const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    /// <summary>Cases whose own input the user gave is unusable (a corrupted key, a malformed trusted root):
    /// refused as bad input, exit 2, rather than as a failed verification.</summary>
    private static readonly HashSet<string> BadUserInput = ["managed-key-wrong-key_fail", "trust-root-tlog-missing-validity-start_fail"];

    /// <summary>Target: all 70. A regression in any case fails this test with the case and the command's output.</summary>
    [Fact]
    public void Every_case_verifies_or_is_refused_through_the_command()
    {
        var casesDir = Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");
        var cases = Directory.GetDirectories(casesDir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(70, cases.Count);
        var wrong = new List<string>();
        foreach (var dir in cases)
        {
            var name = Path.GetFileName(dir);
            string? Optional(string file) => File.Exists(Path.Combine(dir, file)) ? Path.Combine(dir, file) : null;
            var args = new List<string> { "verify-bundle", "--bundle", Path.Combine(dir, "bundle.sigstore.json") };
            if (Optional("key.pub") is { } key) args.AddRange(["--key", key]);
            else
                args.AddRange([
                    "--certificate-identity", Optional("identity") is { } i ? File.ReadAllText(i).Trim() : DefaultIdentity,
                    "--certificate-oidc-issuer", Optional("issuer") is { } u ? File.ReadAllText(u).Trim() : DefaultIssuer]);
            if (Optional("trusted_root.json") is { } root) args.AddRange(["--trusted-root", root]);
            args.Add(Optional("artifact") ?? Path.Combine(casesDir, "a.txt"));

            var run = ZeroDriftRunner.Run([.. args]);
            var stderrLines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var ok = name.EndsWith("_fail", StringComparison.Ordinal)
                ? run.ExitCode == (BadUserInput.Contains(name) ? 2 : 1) && stderrLines.Length == 1 && run.Stdout.Length == 0
                : run.ExitCode == 0 && run.Stdout.StartsWith("Verified OK", StringComparison.Ordinal) && run.Stderr.Length == 0;
            if (!ok) wrong.Add($"{name}: exit {run.ExitCode}: {run.Stdout.Trim()} {run.Stderr.Trim()}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {cases.Count} cases wrong:\n{string.Join('\n', wrong)}");
    }

    [Fact]
    public void The_GitHub_workflow_and_extension_options_match_the_certificate()
    {
        var dir = Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");
        var bundle = Path.Combine(dir, "happy-path-v0.3", "bundle.sigstore.json");
        string[] Args(params string[] extra) => ["verify-bundle", "--bundle", bundle, "--certificate-identity", DefaultIdentity, "--certificate-oidc-issuer", DefaultIssuer, .. extra, Path.Combine(dir, "a.txt")];

        var ok = ZeroDriftRunner.Run(Args("--certificate-github-workflow-repository", "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
            "--certificate-github-workflow-ref", "refs/heads/main", "--certificate-github-workflow-trigger", "workflow_dispatch",
            "--certificate-extension", "runnerEnvironment=github-hosted", "--certificate-extension-regexp", "sourceRepositoryURI=^https://github\\.com/sigstore-conformance/"));
        Assert.Equal(0, ok.ExitCode);

        var otherRepo = ZeroDriftRunner.Run(Args("--certificate-github-workflow-repository", "attacker/fork"));
        Assert.Equal(1, otherRepo.ExitCode);
        Assert.Equal("zerodrift: verification failed: identity: the certificate's githubWorkflowRepository is 'sigstore-conformance/extremely-dangerous-public-oidc-beacon', not attacker/fork", otherRepo.Stderr.Trim());

        var unknown = ZeroDriftRunner.Run(Args("--certificate-extension", "nosuch=x"));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Single(unknown.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, ZeroDriftRunner.Run(Args("--certificate-extension", "novalue")).ExitCode);
        Assert.Equal(2, ZeroDriftRunner.Run(Args("--certificate-extension-regexp", "buildTrigger=(")).ExitCode);
    }

    [Fact]
    public void A_digest_stands_for_the_artifact_and_usage_errors_exit_2()
    {
        var dir = Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");
        var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "a.txt"))));
        var bundle = Path.Combine(dir, "happy-path-v0.3", "bundle.sigstore.json");
        var ok = ZeroDriftRunner.Run("verify-bundle", "--bundle", bundle, "--certificate-identity", DefaultIdentity, "--certificate-oidc-issuer", DefaultIssuer, digest);
        Assert.Equal(0, ok.ExitCode);

        var noPolicy = ZeroDriftRunner.Run("verify-bundle", "--bundle", bundle, digest);
        Assert.Equal(2, noPolicy.ExitCode);
        Assert.Single(noPolicy.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var badRegex = ZeroDriftRunner.Run("verify-bundle", "--bundle", bundle, "--certificate-identity-regexp", "(", "--certificate-oidc-issuer", DefaultIssuer, digest);
        Assert.Equal(2, badRegex.ExitCode);

        var notRegular = ZeroDriftRunner.Run("verify-bundle", "--bundle", "/dev/zero", "--certificate-identity", DefaultIdentity, "--certificate-oidc-issuer", DefaultIssuer, digest);
        Assert.Equal(2, notRegular.ExitCode);
        Assert.Single(notRegular.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
