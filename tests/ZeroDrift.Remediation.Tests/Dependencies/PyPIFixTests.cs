using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>requirements pins and poetry.lock against the real PyPI advisories of ../shared/data/osv.</summary>
[Collection(AdvisoryCollection.Name)]
public sealed class PyPIFixTests(AdvisoryDatabase db)
{
    private const string Requirements = "# the app\nflask==1.0\nJinja2==2.10 ; python_version >= \"3\"\nrequests>=2.0\n";

    [Fact]
    public void Smallest_version_closing_every_advisory_is_pinned_and_the_rescan_has_none_left()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", Requirements);

        var plan = FixHarness.Apply(db, tree.Path);

        // 2.10.1 closes CVE-2019-10906 but not CVE-2020-28493 (fixed in 2.11.3): the smallest closing both is taken.
        var jinja = FixHarness.Upgrade(plan, "Jinja2");
        Assert.Equal(("2.10", "2.11.3"), (jinja.From, jinja.To));
        Assert.Equal(["CVE-2019-10906", "CVE-2020-28493"], jinja.Advisories);
        Assert.False(jinja.CrossesMajor);
        var edit = Assert.Single(plan.Changes.SelectMany(c => c.Edits), e => e.Package == "Jinja2");
        Assert.Equal(("requirements.txt", 3), (edit.File, edit.Line));
        Assert.Equal("# the app\nflask==1.0\nJinja2==2.11.3 ; python_version >= \"3\"\nrequests>=2.0\n", File.ReadAllText(tree.Combine("requirements.txt")));
        Assert.DoesNotContain(FixHarness.Findings(db, tree.Path), f => f.StartsWith("Jinja2", StringComparison.Ordinal));
    }

    [Fact]
    public void A_major_upgrade_is_reported_as_skipped_and_taken_only_with_allow_major()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", Requirements);

        var flask = FixHarness.Upgrade(FixHarness.Plan(db, tree.Path), "flask");
        Assert.Null(flask.To);
        Assert.True(flask.CrossesMajor);
        Assert.Equal("2.2.5", flask.Smallest);
        Assert.Contains("--allow-major", flask.SkipReason, StringComparison.Ordinal);

        var plan = FixHarness.Apply(db, tree.Path, allowMajor: true);
        Assert.Equal("2.2.5", FixHarness.Upgrade(plan, "flask").To);
        Assert.Contains("flask==2.2.5\n", File.ReadAllText(tree.Combine("requirements.txt")), StringComparison.Ordinal);
        Assert.DoesNotContain(FixHarness.Findings(db, tree.Path), f => f.StartsWith("flask ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_diff_is_a_unified_diff_of_the_pin()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", Requirements);
        var change = Assert.Single(FixHarness.Plan(db, tree.Path).Changes);
        Assert.Equal(
            "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,4 +1,4 @@\n # the app\n flask==1.0\n-Jinja2==2.10 ; python_version >= \"3\"\n+Jinja2==2.11.3 ; python_version >= \"3\"\n requests>=2.0\n",
            UnifiedDiff.Of(change.File, change.Before, change.After));
    }

    [Fact]
    public void Poetry_lock_entry_is_moved_and_its_stale_hashes_named()
    {
        using var tree = new TempDir();
        tree.File("poetry.lock", """
            [[package]]
            name = "jinja2"
            version = "2.10"
            description = "A very fast and expressive template engine."
            optional = false
            python-versions = "*"
            files = [
                {file = "Jinja2-2.10-py2.py3-none-any.whl", hash = "sha256:74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd"},
            ]

            [package.dependencies]
            MarkupSafe = ">=0.23"

            [metadata]
            lock-version = "2.0"
            python-versions = "^3.8"
            content-hash = "0"

            """);

        var plan = FixHarness.Apply(db, tree.Path);

        Assert.Contains("name = \"jinja2\"\nversion = \"2.11.3\"\n", File.ReadAllText(tree.Combine("poetry.lock")), StringComparison.Ordinal);
        Assert.Contains(plan.Notes, n => n.Contains("poetry lock --no-update", StringComparison.Ordinal));
        Assert.DoesNotContain(FixHarness.Findings(db, tree.Path), f => f.StartsWith("jinja2", StringComparison.Ordinal));
    }

    [Fact]
    public void Uv_lock_entry_is_moved_and_a_hashed_pin_is_named_in_a_note()
    {
        using var tree = new TempDir();
        tree.File("uv.lock", """
            version = 1
            requires-python = ">=3.8"

            [[package]]
            name = "jinja2"
            version = "2.10"
            source = { registry = "https://pypi.org/simple" }
            dependencies = [
                { name = "markupsafe" },
            ]

            [[package]]
            name = "markupsafe"
            version = "2.1.5"
            source = { registry = "https://pypi.org/simple" }

            """);
        tree.File("sub/requirements.txt", "jinja2==2.10 \\\n    --hash=sha256:74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd\n");

        var plan = FixHarness.Apply(db, tree.Path);

        Assert.Contains("name = \"jinja2\"\nversion = \"2.11.3\"\n", File.ReadAllText(tree.Combine("uv.lock")), StringComparison.Ordinal);
        Assert.Contains("name = \"markupsafe\"\nversion = \"2.1.5\"\n", File.ReadAllText(tree.Combine("uv.lock")), StringComparison.Ordinal);
        Assert.StartsWith("jinja2==2.11.3 \\\n", File.ReadAllText(tree.Combine("sub/requirements.txt")), StringComparison.Ordinal);
        Assert.Contains(plan.Notes, n => n.StartsWith("sub/requirements.txt:1: jinja2's --hash options", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("`uv lock`", StringComparison.Ordinal));
        Assert.DoesNotContain(FixHarness.Findings(db, tree.Path), f => f.StartsWith("jinja2", StringComparison.Ordinal));
    }

    [ToolFact("pip", "https://pypi.org/simple/jinja2/")]
    public void Pip_resolves_the_fixed_requirements()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "Jinja2==2.10\n");
        FixHarness.Apply(db, tree.Path);
        var (code, output) = Tools.Run(tree.Path, "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "-r", "requirements.txt");
        Assert.True(code == 0, output);
        Assert.Contains("Jinja2-2.11.3", output, StringComparison.Ordinal);
    }
}
