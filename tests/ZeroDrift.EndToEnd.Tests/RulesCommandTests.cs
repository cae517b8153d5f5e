namespace ZeroDrift.EndToEnd.Tests;

public sealed class RulesCommandTests
{
    private static string Falco(string file) => Path.Combine(RepoPaths.SharedData, "rules", "falco", file);

    [Fact]
    public void Check_reports_counts_per_falco_file_and_exits_0()
    {
        var r = ZeroDriftRunner.Run("rules", "check", Falco("falco_rules.yaml"), Falco("falco-incubating_rules.yaml"), Falco("falco-sandbox_rules.yaml"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Empty(r.Stderr);
        var lines = r.Stdout.Split('\n');
        // Judged against what the agent captures (CapturedEventTypes, AgentCapture): counts as of the sensor at this commit.
        Assert.Contains(lines, l => l.EndsWith("falco_rules.yaml: 25 rules loaded, 24 fully evaluated, 1 partly evaluated, 0 not evaluated (0 need what the agent does not capture)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("falco-incubating_rules.yaml: 31 rules loaded, 29 fully evaluated, 2 partly evaluated, 0 not evaluated (0 need what the agent does not capture)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("falco-sandbox_rules.yaml: 37 rules loaded, 25 fully evaluated, 0 partly evaluated, 12 not evaluated (0 need what the agent does not capture)", StringComparison.Ordinal));
        Assert.Contains("  disabled: Java Process Class File Download: field 'evt.buffer' is not provided by ZeroDrift", lines);
        Assert.Contains("  disabled: Container Run as Root User: disabled in the rule file (enabled: false)", lines);
        // dup, dup2 and dup3 of a socket onto a standard stream are captured (the sensor's filter is the rule's own).
        Assert.DoesNotContain(lines, l => l.Contains("Redirect STDOUT/STDIN", StringComparison.Ordinal));
        // The path-carrying calls carry Falco's arguments: a condition asking a rename for unlinkat's 'name' is no gap.
        Assert.DoesNotContain(lines, l => l.Contains("Modify binary dirs", StringComparison.Ordinal));
        Assert.Contains("  partly evaluated: Contact EC2 Instance Metadata Service From Container: event types sendmsg, sendto not captured", lines);
        Assert.Contains("total: 93 rules loaded, 78 fully evaluated, 3 partly evaluated, 12 not evaluated (0 need what the agent does not capture)", lines);
    }

    [Fact]
    public void A_rule_with_an_unsupported_field_loads_with_a_warning_naming_the_field()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "custom.yaml");
        File.WriteAllText(file, """
            - rule: Uses a plugin field
              desc: d
              condition: evt.type = open and fd.types[0] = ipv4
              output: o
              priority: WARNING
            - rule: Broken syntax
              desc: d
              condition: proc.name in (a, b
              output: o
              priority: WARNING
            - rule: Fine
              desc: d
              condition: evt.type = execve and proc.name = nc
              output: "nc ran (%proc.cmdline)"
              priority: WARNING
            """);
        var r = ZeroDriftRunner.Run("rules", "check", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("custom.yaml: 3 rules loaded, 1 fully evaluated, 0 partly evaluated, 2 not evaluated (0 need what the agent does not capture)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  disabled: Uses a plugin field: field 'fd.types' is not provided by ZeroDrift", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  disabled: Broken syntax: syntax error: expected a ')' token", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_yaml_is_one_line_and_exit_2_while_the_other_files_are_still_checked()
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(bad, "- rule: [unclosed\n");
        var r = ZeroDriftRunner.Run("rules", "check", Falco("falco_rules.yaml"), bad);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("falco_rules.yaml: 25 rules loaded", r.Stdout, StringComparison.Ordinal);
        var errors = r.Stderr.Trim().Split('\n');
        Assert.Single(errors);
        Assert.StartsWith($"zerodrift: error: {bad}: not valid YAML", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_in_rules_load_with_defaults()
    {
        using var dir = new TempDir();
        var empty = Path.Combine(dir.Path, "empty.yaml");
        File.WriteAllText(empty, "");
        var r = ZeroDriftRunner.Run("rules", "check", "--with-defaults", empty);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // One of the built-in rules reads what the sensor does not report (stdio types at exec); two more are partly evaluated
        // (setreuid/setresuid carry ruid/euid, not uid; the new mount API is not captured).
        Assert.Contains("zerodrift_rules.yaml (built in): 19 rules loaded, 16 fully evaluated, 2 partly evaluated, 1 not evaluated (1 need what the agent does not capture)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  not evaluable: ZeroDrift Reverse Shell: cannot fire: zerodrift.stdin_type has no value", r.Stdout, StringComparison.Ordinal);
    }
}
