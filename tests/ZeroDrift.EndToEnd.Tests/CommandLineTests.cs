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

    [Fact]
    public void A_missing_target_is_one_line_and_exit_2()
    {
        var r = ZeroDriftRunner.Run("sbom", "/no/such/place");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("zerodrift: error: /no/such/place: no such file or directory, and not an image reference (use dir:, docker-archive:, oci-archive:, oci-dir:, registry: or podman:)", r.Stderr.Trim());
    }
}
