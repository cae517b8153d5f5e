using System.Text;

namespace ZeroDrift.EndToEnd.Tests;

public class VersionCommandTests
{
    [Theory]
    [InlineData("Debian:12", "1.0~rc1", "1.0", "<")]
    [InlineData("Ubuntu:22.04:LTS", "1:1.0", "2.0", ">")]
    [InlineData("PyPI", "1.0.post1", "1.0-1", "=")]
    [InlineData("Maven", "1.0-SNAPSHOT", "1.0", "<")]
    [InlineData("Go", "v1.2.3", "1.2.3+incompatible", "=")]
    [InlineData("Alpine:v3.20", "1.2.3-r1", "1.2.3_rc1-r9", ">")]
    [InlineData("AlmaLinux:9", "0:1.0^git1-1.el9", "1.0-1.el9", ">")]
    [InlineData("npm", "1.0.0-alpha.10", "1.0.0-alpha.9", ">")]
    public void Compare_prints_one_symbol_and_exits_0(string ecosystem, string a, string b, string expected)
    {
        var r = ZeroDriftRunner.Run("version", "compare", "--ecosystem", ecosystem, a, b);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(expected + "\n", r.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public void An_unknown_ecosystem_is_one_line_on_stderr_and_exit_2()
    {
        var r = ZeroDriftRunner.Run("version", "compare", "--ecosystem", "Debianish", "1", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(r.Stdout);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("unknown ecosystem 'Debianish'", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_unparsable_version_is_one_line_on_stderr_and_exit_2()
    {
        var r = ZeroDriftRunner.Run("version", "compare", "--ecosystem", "Debian", "1:", "2.0");
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal("zerodrift: error: '1:' is not a valid Debian version: nothing after colon in version number", r.Stderr.Trim());
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version", "compare", "--ecosystem", "npm", "1.0.0")]
    [InlineData("version", "compare", "1.0.0", "2.0.0")]
    [InlineData("version", "compare", "--ecosystem", "npm", "--stdin", "1.0.0", "2.0.0")]
    public void Bad_usage_exits_2(params string[] args)
    {
        var r = ZeroDriftRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.NotEmpty(r.Stderr.Trim());
    }

    [Fact]
    public void Stdin_gives_one_symbol_per_line_and_question_marks_with_reasons()
    {
        const string input = "1.0 2.0\n2.0~rc1   2.0\n\n1: 2\n1.0-0 1.0\nonly-one\n3 2\n";
        var r = ZeroDriftRunner.RunWithStdin(input, "version", "compare", "--ecosystem", "Debian", "--stdin");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["<", "<", "?", "?", "=", "?", ">"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var errors = r.Stderr.Trim().Split('\n');
        Assert.Equal(3, errors.Length);
        Assert.StartsWith("zerodrift: line 3: expected two versions", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("zerodrift: line 4: '1:' is not a valid Debian version", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("zerodrift: line 6: expected two versions", errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Stdin_agrees_with_dpkg_on_the_debian_vectors()
    {
        // Real pairs from osv-scalibr's vectors, through the command, against dpkg itself for a sample.
        var pairs = File.ReadLines(Path.Combine(RepoPaths.SharedData, "version-vectors", "debian-versions-generated.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Take(5000).Select(l => l.Split(' ')).ToList();
        var input = new StringBuilder();
        foreach (var p in pairs) input.Append(p[0]).Append(' ').Append(p[2]).Append('\n');
        var r = ZeroDriftRunner.RunWithStdin(input.ToString(), "version", "compare", "-e", "Debian", "--stdin");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var symbols = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(pairs.Select(p => p[1]), symbols);
        foreach (var i in Enumerable.Range(0, 20).Select(i => i * 250))
        {
            var op = symbols[i] switch { "<" => "lt", "=" => "eq", _ => "gt" };
            ZeroDriftRunner.Tool("dpkg", "--compare-versions", pairs[i][0], op, pairs[i][2]);
        }
    }
}
