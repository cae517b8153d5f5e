using System.Text;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// Hostile Falco rule files through the real <c>zerodrift rules check</c> (issue 15): files that are not files, files
/// whose lists or macros expand without end (the class of Falco's own list-expansion and recursion limits), and
/// patterns RE2 refuses. A broken rule is disabled with its reason; the rest of the file loads.
/// </summary>
public sealed class HostileRuleFileTests
{
    private const string FineRule = """
        - rule: shell in container
          desc: d
          condition: evt.type = execve and proc.name = bash
          output: shell (%proc.name)
          priority: WARNING
        """;

    private static string Write(HostileSandbox sandbox, string name, string content)
    {
        var path = Path.Combine(sandbox.Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Rules_check_of_dev_zero_is_one_line_and_exit_2()
    {
        using var sandbox = new HostileSandbox();
        var outcome = sandbox.Run("rules", "check", "/dev/zero");
        outcome.AssertContained("rules check /dev/zero");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("zerodrift: error: rule file /dev/zero is not a regular file", outcome.Stderr.Trim());
    }

    [Fact]
    public void A_rule_file_past_16_MiB_is_refused_from_stat_before_it_is_read()
    {
        using var sandbox = new HostileSandbox();
        var path = Path.Combine(sandbox.Root, "huge.yaml");
        using (var f = File.Create(path)) f.SetLength(20L << 30); // 20 GiB, sparse
        var outcome = sandbox.Run("rules", "check", path);
        outcome.AssertContained("a sparse 20 GiB rule file");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"rule file {path} is larger than 16 MiB", outcome.Stderr, StringComparison.Ordinal);
        Assert.True(outcome.PeakRssKiB < 512 * 1024, $"peak RSS {outcome.PeakRssKiB} KiB");
    }

    [Fact]
    public void Lists_that_each_name_the_previous_ten_times_disable_their_rule_and_the_rest_loads()
    {
        using var sandbox = new HostileSandbox();
        var yaml = new StringBuilder("- list: l0\n  items: [sh, bash]\n");
        for (var i = 1; i <= 10; i++) yaml.Append($"- list: l{i}\n  items: [{string.Join(", ", Enumerable.Repeat($"l{i - 1}", 10))}]\n");
        yaml.Append("""
            - rule: bomb
              desc: d
              condition: evt.type = execve and proc.name in (l10)
              output: o
              priority: WARNING

            """).Append(FineRule);
        var outcome = sandbox.Run("rules", "check", Write(sandbox, "lists.yaml", yaml.ToString()));
        outcome.AssertContained("Falco lists expanding to 2 x 10^10 items");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("disabled: bomb: list 'l10' expands to 20000000000 items, more than 100000", outcome.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 rules loaded, 1 fully evaluated, 0 partly evaluated, 1 not evaluated", outcome.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Chains_of_a_hundred_thousand_lists_and_macros_disable_their_rules_without_overflowing_the_stack()
    {
        using var sandbox = new HostileSandbox();
        const int n = 100_000;
        var yaml = new StringBuilder("- list: l0\n  items: [sh]\n- macro: m0\n  condition: proc.name = sh\n");
        for (var i = 1; i <= n; i++) yaml.Append($"- list: l{i}\n  items: [l{i - 1}]\n- macro: m{i}\n  condition: m{i - 1}\n");
        yaml.Append($"""
            - rule: lists
              desc: d
              condition: evt.type = execve and proc.name in (l{n})
              output: o
              priority: WARNING
            - rule: macros
              desc: d
              condition: evt.type = execve and m{n}
              output: o
              priority: WARNING

            """).Append(FineRule);
        var outcome = sandbox.Run("rules", "check", Write(sandbox, "chains.yaml", yaml.ToString()));
        outcome.AssertContained("100,000 chained lists and macros");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains($"disabled: lists: list 'l{n}' nests lists deeper than 100 levels", outcome.Stdout, StringComparison.Ordinal);
        Assert.Contains("disabled: macros: macros nest deeper than 100 levels", outcome.Stdout, StringComparison.Ordinal);
        Assert.Contains("3 rules loaded, 1 fully evaluated, 0 partly evaluated, 2 not evaluated", outcome.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Regexes_re2_refuses_disable_their_rule_with_the_reason()
    {
        using var sandbox = new HostileSandbox();
        var outcome = sandbox.Run("rules", "check", Write(sandbox, "regex.yaml", """
            - rule: nested counts
              desc: d
              condition: evt.type = execve and proc.cmdline regex '((a{1,100}){1,100}){1,100}b'
              output: o
              priority: WARNING
            - rule: backreference
              desc: d
              condition: evt.type = execve and proc.cmdline regex '(a)\1'
              output: o
              priority: WARNING
            - rule: catastrophic on a backtracking engine
              desc: d
              condition: evt.type = execve and proc.cmdline regex '(a+)+$'
              output: o
              priority: WARNING

            """ + FineRule));
        outcome.AssertContained("Falco regexes RE2 refuses");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("disabled: nested counts: invalid regex '((a{1,100}){1,100}){1,100}b' for field 'proc.cmdline': nested counted repetitions make 10000 copies", outcome.Stdout, StringComparison.Ordinal);
        Assert.Contains("disabled: backreference: invalid regex '(a)\\1' for field 'proc.cmdline'", outcome.Stdout, StringComparison.Ordinal);
        // RE2 accepts (a+)+$ and so does the linear-time engine: evaluated.
        Assert.Contains("4 rules loaded, 2 fully evaluated, 0 partly evaluated, 2 not evaluated", outcome.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_nested_a_hundred_thousand_deep_disables_its_rule()
    {
        using var sandbox = new HostileSandbox();
        var deep = new string('(', 100_000) + "proc.name = sh" + new string(')', 100_000);
        var outcome = sandbox.Run("rules", "check", Write(sandbox, "deep.yaml", $"""
            - rule: deep
              desc: d
              condition: evt.type = execve and {deep}
              output: o
              priority: WARNING

            """ + FineRule));
        outcome.AssertContained("a condition with 100,000 nested parentheses");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("disabled: deep:", outcome.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 rules loaded, 1 fully evaluated, 0 partly evaluated, 1 not evaluated", outcome.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_yaml_alias_bomb_in_a_rule_file_is_contained()
    {
        using var sandbox = new HostileSandbox();
        var yaml = new StringBuilder("- list: base\n  items: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i <= 9; i++)
            yaml.Append($"- list: b{i}\n  items: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        yaml.Append(FineRule);
        var outcome = sandbox.Run("rules", "check", Write(sandbox, "aliases.yaml", yaml.ToString()));
        outcome.AssertContained("a billion-laughs rule file");
        Assert.True(outcome.ExitCode is 0 or 2, outcome.Stderr);
    }
}
