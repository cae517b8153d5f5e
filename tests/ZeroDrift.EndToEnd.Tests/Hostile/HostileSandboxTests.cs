namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>The sandbox itself: it must see what it is there to see, or the corpus proves nothing.</summary>
public sealed class HostileSandboxTests
{
    [Fact]
    public void A_crash_is_recognised_on_stderr()
    {
        Assert.True(HostileSandbox.LooksLikeACrash("Unhandled exception. System.InvalidOperationException: x\n   at ZeroDrift.Cli.Program.Main(String[] args)"));
        Assert.True(HostileSandbox.LooksLikeACrash("zerodrift: internal error: NotSupportedException"));
        Assert.False(HostileSandbox.LooksLikeACrash("zerodrift: error: target.tar: not a tar archive (at byte 512)"));
    }

    [RootFact]
    public void The_canary_leaves_a_mark_and_a_write_outside_is_found()
    {
        using var sandbox = new HostileSandbox();
        var outside = $"/tmp/zerodrift-hostile-probe-{Guid.NewGuid():N}";
        try
        {
            // zerodrift writes its SBOM where it is told: outside the sandbox here, and the canary stands in for a
            // program the target would run.
            sandbox.File("requirements.txt", "flask==2.0.0\n");
            var outcome = sandbox.Run("sbom", ".", "--format", "json", "--output", outside);
            Assert.True(outcome.ExitCode == 0, outcome.Stderr);
            Assert.Contains(outside, outcome.WrittenOutside);
            Assert.True(outcome.PeakRssKiB > 10_000, $"peak RSS {outcome.PeakRssKiB} KiB");
            using (var p = System.Diagnostics.Process.Start("setpriv", ["--reuid=0", sandbox.Canary]))
                p.WaitForExit();
            Assert.NotEmpty(sandbox.Run("version", "compare", "--ecosystem", "Debian", "1", "2").CanaryMarks);
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
