namespace ZeroDrift.EndToEnd.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("sbom", "--help")]
    [InlineData("scan", "--help")]
    [InlineData("db", "--help")]
    [InlineData("db", "import", "--help")]
    [InlineData("db", "update", "--help")]
    [InlineData("db", "info", "--help")]
    [InlineData("version", "compare", "--help")]
    [InlineData("agent", "--help")]
    [InlineData("agent", "status", "--help")]
    [InlineData("up", "--help")]
    public void Every_command_has_help(params string[] args)
    {
        var r = ZeroDriftRunner.Run(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout);
    }

    [Fact]
    public void Version_is_printed()
    {
        var r = ZeroDriftRunner.Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", r.Stdout.Trim());
    }

    [Theory]
    [InlineData("sbom")]
    [InlineData("sbom", "/", "--format", "nonsense")]
    [InlineData("frobnicate")]
    [InlineData("sbom", "/", "--max-entries", "-5")]
    [InlineData("agent", "--output", "yaml")]
    [InlineData("agent", "--duration", "-1")]
    [InlineData("agent", "status", "--output", "yaml")]
    [InlineData("up", "--mode", "sideways")]
    [InlineData("agent", "status", "--status-file", "/nonexistent/zerodrift-status.json")]
    public void Bad_usage_exits_2_with_a_message_and_no_stack_trace(params string[] args)
    {
        var r = ZeroDriftRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.NotEmpty(r.Stderr.Trim());
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("scan", ".", "--scanners", "misconfig", "--pss-version", "v1.x")]
    [InlineData("policy", "check", "pod.yaml", "--policy", "policy.yaml", "--pss-version", "1.34")]
    [InlineData("admission", "--policy", "policy.yaml", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--pss-version", "v2.0")]
    [InlineData("server", "--admission-policy", "policy.yaml", "--pss-version", "v1.034")]
    public void A_malformed_pss_version_is_one_line_and_exit_2_before_anything_runs(params string[] args)
    {
        var r = ZeroDriftRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"zerodrift: error: --pss-version {args[^1]}: must be \"latest\" or \"v1.x\" (a Pod Security policy version, v1.0 to v1.37)", r.Stderr.Trim());
    }

    [Theory]
    [InlineData("--pss-version needs --scanners misconfig", "scan", ".", "--scanners", "secret", "--pss-version", "v1.34")]
    [InlineData("--pss-version needs --admission-policy", "server", "--pss-version", "v1.34")]
    public void A_pss_version_without_what_it_judges_is_a_usage_error(string message, params string[] args)
    {
        var r = ZeroDriftRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"zerodrift: error: {message}", r.Stderr.Trim());
    }

    [Fact]
    public void A_missing_target_is_one_line_and_exit_2()
    {
        var r = ZeroDriftRunner.Run("sbom", "/no/such/place");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("zerodrift: error: /no/such/place: no such file or directory, and not an image reference (use dir:, docker-archive:, oci-archive:, oci-dir:, registry: or podman:)", r.Stderr.Trim());
    }
}
