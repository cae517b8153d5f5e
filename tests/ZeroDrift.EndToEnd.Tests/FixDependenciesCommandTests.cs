using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary><c>zerodrift fix PATH</c> as users run it: the diff on stdout, exit codes as scan's, --apply, errors in one line.</summary>
public sealed class FixDependenciesCommandTests(OsvDatabaseFixture osv) : IClassFixture<OsvDatabaseFixture>
{
    [Fact]
    public void Proposes_a_diff_git_applies_then_apply_leaves_nothing_to_fix()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "jinja2==2.10\n");
        ZeroDriftRunner.Tool((IReadOnlyDictionary<string, string>?)null, tree.Path, "git", "init", "-q");

        var proposed = ZeroDriftRunner.Run("fix", tree.Path, "--db", osv.Db, "--allow-stale-db");
        Assert.Equal(1, proposed.ExitCode);
        Assert.StartsWith("--- a/requirements.txt\n+++ b/requirements.txt\n", proposed.Stdout, StringComparison.Ordinal);
        Assert.Contains("upgrade pypi jinja2 2.10 → 2.11.3: closes CVE-2019-10906, CVE-2020-28493", proposed.Stderr, StringComparison.Ordinal);
        Assert.Equal("jinja2==2.10\n", File.ReadAllText(tree.Combine("requirements.txt")));
        var patch = tree.File("fix.patch", proposed.Stdout);
        ZeroDriftRunner.Tool((IReadOnlyDictionary<string, string>?)null, tree.Path, "git", "apply", "--check", patch);

        var applied = ZeroDriftRunner.Run("fix", tree.Path, "--db", osv.Db, "--allow-stale-db", "--apply", "--format", "json");
        Assert.Equal(0, applied.ExitCode);
        using (var json = JsonDocument.Parse(applied.Stdout)) Assert.True(json.RootElement.GetProperty("applied").GetBoolean());
        Assert.Equal("jinja2==2.11.3\n", File.ReadAllText(tree.Combine("requirements.txt")));

        var again = ZeroDriftRunner.Run("fix", tree.Path, "--db", osv.Db, "--allow-stale-db");
        Assert.Equal((0, ""), (again.ExitCode, again.Stdout));
    }

    [Fact]
    public void A_skipped_major_upgrade_keeps_exit_code_1_after_apply()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "flask==1.0\n");
        var r = ZeroDriftRunner.Run("fix", tree.Path, "--db", osv.Db, "--allow-stale-db", "--apply");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("skipped flask 1.0: the smallest version that closes every advisory, 2.2.5, crosses a major version", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("flask==1.0\n", File.ReadAllText(tree.Combine("requirements.txt")));
    }

    [Fact]
    public void Not_a_directory_is_one_error_line_and_exit_2()
    {
        using var tree = new TempDir();
        var file = tree.File("requirements.txt", "jinja2==2.10\n");
        var r = ZeroDriftRunner.Run("fix", file, "--db", osv.Db, "--allow-stale-db");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"zerodrift: error: {file}: not a directory (a source tree) nor a named image form (docker-archive:PATH, oci-archive:PATH, oci-dir:PATH)", r.Stderr.Trim());
        var bad = ZeroDriftRunner.Run("fix", tree.Path, "--db", osv.Db, "--allow-stale-db", "--format", "xml");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
    }
}
