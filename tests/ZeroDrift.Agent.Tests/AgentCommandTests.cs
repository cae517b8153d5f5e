using System.Diagnostics;

namespace ZeroDrift.Agent.Tests;

/// <summary>The <c>zerodrift agent</c> command's contract: bad options are one line and exit 2; rule files load with warnings.</summary>
public sealed class AgentCommandTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"zerodrift {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("--mode", "sideways")]
    [InlineData("--alerts", "carrier-pigeon")]
    [InlineData("--alerts", "webhook:ftp://example.org/")]
    [InlineData("--alerts", "syslog:udp://not-an-address")]
    [InlineData("--alerts", "file:/no/such/dir/alerts.jsonl")]
    [InlineData("--learn-quiet", "-3s")]
    [InlineData("--learn-quiet", "soon")]
    [InlineData("--auto-advance", "learn")]
    [InlineData("--host-processes", "some")]
    [InlineData("--enforcement", "magic")]
    [InlineData("--output", "yaml")]
    [InlineData("--server", "ftp://example.org", "--token", "t")]
    public void Bad_options_are_one_line_and_exit_2(params string[] args)
    {
        var r = Run(["agent", .. args]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("zerodrift: error: ", line);
    }

    [RootFact]
    public void Falco_rule_files_load_with_a_warning_naming_each_field_zerodrift_lacks()
    {
        using var dir = new TempDir();
        var rules = dir.File("custom.yaml", """
            - rule: Uses a field we lack
              desc: needs the syscall's raw buffer
              condition: evt.type = write and evt.buffer contains secret
              output: "buffer %evt.buffer"
              priority: WARNING
            """);
        var falco = Directory.GetFiles(Path.Combine(RepoPaths.SharedData, "rules", "falco"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        List<string> args = ["agent", "--output", "none", "--duration", "1", "--alerts", "file:" + dir.Combine("alerts.jsonl"), "--profiles", dir.Combine("p.db"), "--enforcement", "user-space"];
        foreach (var f in falco.Append(rules)) args.AddRange(["--rules", f]);
        var r = Run([.. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("warning: rule 'Uses a field we lack' (custom.yaml) disabled: field 'evt.buffer' is not provided by ZeroDrift", r.Stderr);
        // One summary line, judged against what the agent captures (the details are at debug, as `rules check` prints them).
        Assert.Contains("rules: 113 rules loaded, 94 fully evaluated, 5 partly evaluated, 14 not evaluated (1 need what the agent does not capture)", r.Stderr);
        Assert.DoesNotContain("not evaluable:", r.Stderr);
        Assert.Contains("enforcement: user-space response", r.Stderr);
    }
}
