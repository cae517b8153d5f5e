using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// Patterns and expressions that meet a target's data (issue 15, items 3 and 4): gitleaks configs with patterns RE2
/// refuses (the class of gitleaks' and Go's own "invalid repeat count" limits), and custom CEL checks that nest, loop
/// or backtrack without end (the class Kubernetes bounds with CEL's cost budget in admission). Each runs the real
/// command; the scan's other findings are still there.
/// </summary>
public sealed class HostilePatternTests
{
    private const string Token = "tok_ABCDEFGHIJKLMNOPQRSTUV";

    private const string GoodRule = """
        [[rules]]
        id = "tok"
        regex = '''tok_[A-Z]{22}'''
        keywords = ["tok_"]

        """;

    private static string[] Scan(string scanners, params string[] extra) =>
        ["scan", ".", "--scanners", scanners, "--db", "/nonexistent/zerodrift.db", "--quiet", "--format", "json", .. extra];

    private static string Write(HostileSandbox sandbox, string name, string content)
    {
        var path = Path.Combine(sandbox.Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static List<string> RuleIds(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("contentFindings").EnumerateArray().Select(f => f.GetProperty("ruleId").GetString()!)];

    // ---- gitleaks configs

    [Fact]
    public void A_counted_repetition_re2_refuses_is_refused_by_name_and_a_9_MB_file_is_scanned_with_the_other_rules()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("big.txt", new string('a', 9_000_000));
        sandbox.File("ci.env", $"TOKEN={Token}\n");
        var config = Write(sandbox, "gitleaks.toml", """
            [[rules]]
            id = "nested-counts"
            regex = '''((a{1,100}){1,100}){1,100}b'''

            """ + GoodRule);
        var outcome = sandbox.Run(Scan("secret", "--secret-config", config));
        outcome.AssertContained("gitleaks rule ((a{1,100}){1,100}){1,100}b on a 9 MB file");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains($"zerodrift: warning: --secret-config {config}: rule nested-counts skipped: regex: nested counted repetitions make 10000 copies of one item, more than RE2's limit of 1000", outcome.Stderr, StringComparison.Ordinal);
        Assert.Equal(["tok"], RuleIds(outcome.Stdout));
    }

    [Fact]
    public void Allowlist_and_rule_patterns_without_a_linear_time_form_are_refused_by_name()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("ci.env", $"TOKEN={Token}\n");
        var config = Write(sandbox, "gitleaks.toml", """
            [[rules]]
            id = "lookahead"
            regex = '''(?=secret)secret[0-9]+'''
            [[rules]]
            id = "atomic"
            regex = '''(?>a+)b'''
            [[rules]]
            id = "huge-count"
            regex = '''k{5000}'''
            [[rules]]
            id = "allowlist-backreference"
            regex = '''key_[a-z]{8}'''
            [[rules.allowlists]]
            regexes = ['''(x)\1''']

            """ + GoodRule);
        var outcome = sandbox.Run(Scan("secret", "--secret-config", config));
        outcome.AssertContained("gitleaks patterns with lookarounds, atomic groups, huge counts, backreferences");
        Assert.Equal(0, outcome.ExitCode);
        foreach (var id in new[] { "lookahead", "atomic", "huge-count", "allowlist-backreference" })
            Assert.Contains($"--secret-config {config}: rule {id} skipped:", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains("repetition count 5000 exceeds RE2's limit of 1000", outcome.Stderr, StringComparison.Ordinal);
        Assert.Equal(["tok"], RuleIds(outcome.Stdout));
    }

    [Fact]
    public void A_gitleaks_config_extending_dev_zero_is_one_line_and_exit_2()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("ci.env", $"TOKEN={Token}\n");
        var config = Write(sandbox, "gitleaks.toml", "[extend]\npath = '/dev/zero'\n\n" + GoodRule);
        var outcome = sandbox.Run(Scan("secret", "--secret-config", config));
        outcome.AssertContained("gitleaks [extend] path = '/dev/zero'");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("zerodrift: error: gitleaks config /dev/zero is not a regular file", outcome.Stderr.Trim());
    }

    [Fact]
    public void A_gitleaks_config_that_is_a_fifo_is_refused_without_blocking()
    {
        using var sandbox = new HostileSandbox();
        var fifo = Path.Combine(sandbox.Root, "config.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var outcome = sandbox.Run(Scan("secret", "--secret-config", fifo));
        outcome.AssertContained("--secret-config naming a fifo");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"gitleaks config {fifo} is not a regular file", outcome.Stderr, StringComparison.Ordinal);
    }

    // ---- custom CEL checks

    private const string Pods = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations:
            pattern: "((a+)+)+$"
            text: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"
        spec:
          containers:
            - name: app
              image: app:1
              securityContext:
                privileged: true
        """;

    private static string Checks(params (string Id, string Expression)[] checks) =>
        "checks:\n" + string.Concat(checks.Select(c =>
            $"  - id: {c.Id}\n    title: {c.Id}\n    expression: '{c.Expression.Replace("'", "''", StringComparison.Ordinal)}'\n"));

    private static string List(int n) => "[" + string.Join(", ", Enumerable.Range(1, n)) + "]";

    private static HostileOutcome RunChecks(HostileSandbox sandbox, params (string Id, string Expression)[] checks)
    {
        sandbox.File("pod.yaml", Pods);
        return sandbox.Run(Scan("misconfig", "--config-check", Write(sandbox, "checks.yaml", Checks(checks))));
    }

    [Fact]
    public void A_check_with_50000_nested_parentheses_is_skipped_by_name_and_the_scan_goes_on()
    {
        using var sandbox = new HostileSandbox();
        var outcome = RunChecks(sandbox, ("DEEP", new string('(', 50_000) + "true" + new string(')', 50_000)), ("LABEL", "has(object.metadata.labels)"));
        outcome.AssertContained("a CEL check with 50,000 nested parentheses");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("zerodrift: warning: custom check DEEP", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains("skipped: its expression is longer than 100000 characters", outcome.Stderr, StringComparison.Ordinal);
        var ids = RuleIds(outcome.Stdout);
        Assert.Contains("LABEL", ids);
        Assert.Contains("ZD-K8S-003", ids); // the built-in checks still ran
    }

    [Fact]
    public void A_check_with_40000_nested_parentheses_is_refused_on_its_tokens_before_parsing()
    {
        using var sandbox = new HostileSandbox();
        var outcome = RunChecks(sandbox, ("DEEP", new string('(', 40_000) + "true" + new string(')', 40_000)), ("LABEL", "has(object.metadata.labels)"));
        outcome.AssertContained("a CEL check with 40,000 nested parentheses");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("skipped: its expression nests brackets deeper than 100 levels", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains("LABEL", RuleIds(outcome.Stdout));
    }

    [Fact]
    public void Comprehensions_nested_six_deep_over_30_element_lists_stop_with_a_warning_naming_check_and_document()
    {
        using var sandbox = new HostileSandbox();
        var l = List(30);
        var outcome = RunChecks(sandbox, ("SIX", $"{l}.all(a, {l}.all(b, {l}.all(c, {l}.all(d, {l}.all(e, {l}.all(f, true))))))"),
            ("LABEL", "has(object.metadata.labels)"));
        outcome.AssertContained("CEL comprehensions nested six deep over 30 elements (729 million steps)");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Matches(@"zerodrift: warning: \S*pod\.yaml: custom check SIX stopped on Pod//web: (over its evaluation budget of 100000 cost units|ran longer than 1000 ms); not decided for this resource", outcome.Stderr);
        var ids = RuleIds(outcome.Stdout);
        Assert.Contains("LABEL", ids);
        Assert.DoesNotContain("SIX", ids);
        Assert.Contains("ZD-K8S-003", ids);
    }

    [Fact]
    public void Nested_maps_growing_a_list_stop_before_memory_grows()
    {
        using var sandbox = new HostileSandbox();
        var grow = "[[1]]" + string.Concat(Enumerable.Range(0, 40).Select(i => $".map(x{i}, x{i} + x{i} + x{i} + x{i})")) + " != []";
        var l = List(30);
        var nested = $"{l}.map(a, {l}.map(b, {l}.map(c, {l}.map(d, {l}.map(e, [a, b, c, d, e]))))) != []";
        var outcome = RunChecks(sandbox, ("GROW", grow), ("NESTED", nested), ("LABEL", "has(object.metadata.labels)"));
        outcome.AssertContained("CEL maps growing a list 4^40 and 30^5 elements");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("custom check GROW stopped on Pod//web", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains("custom check NESTED stopped on Pod//web", outcome.Stderr, StringComparison.Ordinal);
        Assert.True(outcome.PeakRssKiB < 512 * 1024, $"peak RSS {outcome.PeakRssKiB} KiB");
        Assert.Contains("LABEL", RuleIds(outcome.Stdout));
    }

    [Fact]
    public void Matches_with_a_backtracking_pattern_and_text_from_the_manifest_is_decided_in_linear_time()
    {
        using var sandbox = new HostileSandbox();
        var outcome = RunChecks(sandbox, ("RE", "object.metadata.annotations.text.matches(object.metadata.annotations.pattern)"),
            ("RE-REFUSED", "object.metadata.name.matches('((w{1,100}){1,100}){1,100}')"));
        outcome.AssertContained("CEL matches() with ((a+)+)+$ from the scanned manifest");
        Assert.Equal(0, outcome.ExitCode);
        var ids = RuleIds(outcome.Stdout);
        Assert.Contains("RE", ids); // decided (no match), so the check reports the resource
        Assert.Contains("custom check RE-REFUSED could not be evaluated on Pod//web", outcome.Stderr, StringComparison.Ordinal);
        Assert.Contains("copies of one item", outcome.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_documents_each_over_budget_stop_at_the_per_file_time_limit()
    {
        using var sandbox = new HostileSandbox();
        var docs = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            // A kind of its own: the built-in checks have nothing to say about it, so the file's findings (capped per
            // file) never end the file before the custom checks' time does.
            docs.Append($"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: p{i}\nspec:\n  containers:\n");
            for (var c = 0; c < 400; c++) docs.Append($"    - name: c{c}\n      image: i:1\n");
            docs.Append("---\n");
        }
        sandbox.File("many.yaml", docs.ToString());
        // Quadratic in the manifest's own data: 400 x 400 x 400 steps per document.
        var cubic = "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, a.name != '' && b.name != '' && c.name != '')))";
        var outcome = sandbox.Run(Scan("misconfig", "--config-check", Write(sandbox, "checks.yaml", Checks(("CUBIC", cubic)))));
        // 100 documents at the 1 s deadline each would be 100 s: the custom checks stop at 10 s for the file.
        outcome.AssertContained("a check cubic in the manifest's containers, over 100 documents");
        Assert.Equal(0, outcome.ExitCode);
        var stopped = outcome.Stderr.Split('\n').Count(l => l.Contains("custom check CUBIC stopped on Widget//p", StringComparison.Ordinal));
        Assert.InRange(stopped, 1, 99);
        Assert.Contains($"many.yaml: custom checks ran longer than 10 s on this file; from Widget//p{stopped} on, its resources are not checked by them", outcome.Stderr, StringComparison.Ordinal);
    }
}
