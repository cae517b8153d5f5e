namespace ZeroDrift.EndToEnd.Tests;

/// <summary><c>rules sign</c> and <c>rules update --source</c>: a rule bundle from a mirror is installed only when its signature verifies.</summary>
public sealed class RuleBundleCommandTests
{
    private const string Rules = """
        - rule: Shell in container (mirror)
          desc: a shell started in a container
          condition: evt.type = execve and proc.name = bash and container.id != host
          output: "shell %proc.cmdline"
          priority: WARNING
        """;

    [Fact]
    public void A_signed_rule_bundle_installs_and_an_unsigned_tampered_or_foreign_one_is_refused_in_one_line()
    {
        using var dir = new TempDir();
        var mirror = Directory.CreateDirectory(dir.Combine("mirror")).FullName;
        var rules = Path.Combine(mirror, "rules.yaml");
        File.WriteAllText(rules, Rules);
        var password = new Dictionary<string, string> { ["ZERODRIFT_PASSWORD"] = "rules" };
        Assert.Equal(0, ZeroDriftRunner.Run(password, null, "key", "generate", "--output-prefix", dir.Combine("k")).ExitCode);
        Assert.Equal(0, ZeroDriftRunner.Run(password, null, "key", "generate", "--output-prefix", dir.Combine("other")).ExitCode);
        var env = new Dictionary<string, string> { ["ZERODRIFT_RULES_DIR"] = dir.Combine("installed") };
        var installed = Path.Combine(dir.Combine("installed"), "rules.yaml");
        RunResult Update(params string[] extra) => ZeroDriftRunner.Run(env, null, ["rules", "update", "--source", mirror, .. extra]);

        var usage = Update();
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--insecure-skip-verify", usage.Stderr, StringComparison.Ordinal);

        var unsigned = Update("--key", dir.Combine("k.pub"));
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Equal($"zerodrift: rules update refused: rules.yaml from {mirror}: unsigned: no rules.yaml.sigstore.json beside it", unsigned.Stderr.Trim());
        Assert.False(File.Exists(installed));

        var sign = ZeroDriftRunner.Run(password, null, "rules", "sign", rules, "--key", dir.Combine("k.key"));
        Assert.True(sign.ExitCode == 0, sign.Stderr);
        var ok = Update("--key", dir.Combine("k.pub"));
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("1 rule(s), signature verified", ok.Stdout, StringComparison.Ordinal);
        Assert.Equal(Rules, File.ReadAllText(installed));

        var foreign = Update("--key", dir.Combine("other.pub"));
        Assert.Equal(1, foreign.ExitCode);
        Assert.Contains("signature: it does not verify", foreign.Stderr, StringComparison.Ordinal);

        File.WriteAllText(rules, Rules.Replace("proc.name = bash", "proc.name = bosh", StringComparison.Ordinal));
        var tampered = Update("--key", dir.Combine("k.pub"));
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("the message digest is not the artifact's", tampered.Stderr, StringComparison.Ordinal);
        Assert.Single(tampered.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(Rules, File.ReadAllText(installed));

        var skipped = Update("--insecure-skip-verify");
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        Assert.Contains("signature not verified (--insecure-skip-verify)", skipped.Stderr, StringComparison.Ordinal);
    }
}
