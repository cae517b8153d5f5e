using ZeroDrift.Misconfig.Custom;

namespace ZeroDrift.Misconfig.Tests;

/// <summary>Custom CEL checks cannot crash, hang or exhaust a scan (issue 15): a parse depth limit held before any
/// recursive parsing, and a cost budget and deadline per check per document enforced from inside the evaluation.</summary>
public class CelLimitsTests
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations:
            pattern: "((a+)+)+$"
            text: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"
        spec:
          containers:
            - name: app
              image: app:1
        """;

    private static string List(int n) => "[" + string.Join(", ", Enumerable.Range(1, n)) + "]";

    private static (List<string> LoadWarnings, List<string> ScanWarnings, List<string> Ids) Run(params (string Id, string Expression)[] checks)
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "checks.yaml");
        File.WriteAllText(file, "checks:\n" + string.Concat(checks.Select(c =>
            $"  - id: {c.Id}\n    title: {c.Id}\n    expression: '{c.Expression.Replace("'", "''", StringComparison.Ordinal)}'\n")));
        var detector = MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = [file] });
        var warnings = new List<string>();
        var findings = Scan.Text("pod.yaml", Pod, warnings, detector);
        return (detector.LoadWarnings.ToList(), warnings.Except(detector.LoadWarnings).ToList(), findings.Select(f => f.RuleId).Where(id => !id.StartsWith("ZD-", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void Forty_thousand_nested_parentheses_are_refused_before_parsing_and_the_other_checks_run()
    {
        // (50,000 pairs are also longer than the 100,000-character limit.)
        var deep = new string('(', 40_000) + "true" + new string(')', 40_000);
        var (load, _, ids) = Run(("DEEP", deep), ("FALSE", "false"));
        var warning = Assert.Single(load);
        Assert.Contains("custom check DEEP", warning, StringComparison.Ordinal);
        Assert.Contains("nests brackets deeper than 100 levels", warning, StringComparison.Ordinal);
        Assert.Equal(["FALSE"], ids);
    }

    [Theory]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] != []", "nests brackets")]
    [InlineData("'((((' + ')))' == '(((()))'", null)] // brackets inside strings are not nesting
    public void Nesting_is_counted_on_tokens(string expression, string? refusal)
    {
        var (load, _, _) = Run(("X", expression));
        if (refusal is null) Assert.Empty(load);
        else Assert.Contains(refusal, Assert.Single(load), StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_operator_chain_is_refused_by_the_tree_depth_before_the_interpreter_recurses()
    {
        var chain = string.Join(" + ", Enumerable.Repeat("1", 3000)) + " > 0";
        var (load, _, _) = Run(("CHAIN", chain));
        Assert.Contains("nests deeper than the interpreter may go", Assert.Single(load), StringComparison.Ordinal);
    }

    [Fact]
    public void Comprehensions_nested_six_deep_stop_at_the_budget_with_a_warning_naming_check_and_document()
    {
        var l = List(30);
        var six = $"{l}.all(a, {l}.all(b, {l}.all(c, {l}.all(d, {l}.all(e, {l}.all(f, true))))))";
        var (load, scan, ids) = Run(("SIX", six), ("FALSE", "false"));
        Assert.Empty(load);
        var warning = Assert.Single(scan);
        // Over the cost budget, or over the deadline first on a loaded machine: stopped either way, from inside.
        Assert.Matches(@"^/src/pod\.yaml: custom check SIX stopped on Pod//web: (over its evaluation budget of 100000 cost units|ran longer than 1000 ms); not decided for this resource$", warning);
        Assert.Equal(["FALSE"], ids); // no finding from the stopped check; the others ran
    }

    [Fact]
    public void A_map_that_grows_a_list_is_stopped_before_it_holds_more_than_the_budget()
    {
        // Each step doubles the list: 2^40 elements if it ran to the end.
        var grow = "[[1]]" + string.Concat(Enumerable.Range(0, 40).Select(i => $".map(x{i}, x{i} + x{i})")) + " != []";
        var (_, scan, _) = Run(("GROW", grow));
        Assert.Contains("custom check GROW stopped on Pod//web: over its evaluation budget", Assert.Single(scan), StringComparison.Ordinal);
        var nested = $"{List(30)}.map(a, {List(30)}.map(b, {List(30)}.map(c, {List(30)}.map(d, [a, b, c, d])))) != []";
        (_, scan, _) = Run(("NESTED", nested));
        Assert.Contains("custom check NESTED stopped", Assert.Single(scan), StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_with_a_backtracking_pattern_from_the_manifest_runs_in_linear_time()
    {
        // The pattern and the text both come from the scanned document: on a backtracking engine, hours.
        var (load, scan, ids) = Run(("RE", "object.metadata.annotations.text.matches(object.metadata.annotations.pattern)"));
        Assert.Empty(load);
        Assert.Empty(scan);
        Assert.Equal(["RE"], ids); // decided: no match, so the check fails
    }

    [Fact]
    public void Matches_refuses_what_re2_refuses_as_an_undecided_resource()
    {
        var (_, scan, _) = Run(("BACKREF", "object.metadata.name.matches('(w)\\\\1')"), ("COUNTS", "object.metadata.name.matches('((a{1,100}){1,100}){1,100}')"));
        Assert.Equal(2, scan.Count);
        Assert.Contains(scan, w => w.Contains("custom check BACKREF could not be evaluated", StringComparison.Ordinal));
        Assert.Contains(scan, w => w.Contains("custom check COUNTS could not be evaluated", StringComparison.Ordinal));
    }

    [Fact]
    public void Ordinary_checks_keep_their_meaning_under_the_accounting()
    {
        var (load, scan, ids) = Run(
            ("PASS", "object.spec.containers.all(c, c.image.startsWith('app:')) && [1, 2].map(x, x + 1) == [2, 3] && 'a' + 'b' == 'ab'"),
            ("FAIL", "object.spec.containers.exists(c, c.name == 'db')"),
            ("FILTER", "object.spec.containers.filter(c, c.name.matches('^ap+$')).size() == 1"),
            ("ONE", "[1, 2, 3].exists_one(x, x > 2) && object.metadata.name.matches('^w.b$')"));
        Assert.Empty(load);
        Assert.Empty(scan);
        Assert.Equal(["FAIL"], ids);
    }

    [Fact]
    public void Custom_checks_have_a_time_limit_per_file_as_well_as_per_document()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "checks.yaml");
        var l = List(30);
        File.WriteAllText(file, $"checks:\n  - id: SLOW\n    title: slow\n    expression: '{l}.all(a, {l}.all(b, {l}.all(c, {l}.all(d, true))))'\n");
        var limits = CelLimits.Default with { MaxCost = long.MaxValue / 4, MaxTime = TimeSpan.FromMilliseconds(20), MaxTimePerFile = TimeSpan.FromMilliseconds(100) };
        var detector = MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = [file], CelLimits = limits });
        var pods = string.Join("---\n", Enumerable.Range(0, 50).Select(i => $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers: []\n"));
        var warnings = new List<string>();
        var findings = Scan.Text("pods.yaml", pods, warnings, detector);
        var stopped = warnings.Count(w => w.Contains("custom check SLOW stopped on Pod//p", StringComparison.Ordinal));
        Assert.InRange(stopped, 1, 49);
        Assert.Single(warnings, w => w.StartsWith($"/src/pods.yaml: custom checks ran longer than 0 s on this file; from Pod//p{stopped} on", StringComparison.Ordinal));
        Assert.Equal(50, findings.Count(f => f.RuleId == "ZD-K8S-023")); // the built-in checks ran on every document
    }

    [Fact]
    public void A_deadline_stops_a_check_from_inside_the_evaluation()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "checks.yaml");
        var l = List(30);
        File.WriteAllText(file, $"checks:\n  - id: SLOW\n    title: slow\n    expression: '{l}.all(a, {l}.all(b, {l}.all(c, {l}.all(d, true))))'\n");
        var limits = CelLimits.Default with { MaxCost = long.MaxValue / 4, MaxTime = TimeSpan.FromMilliseconds(50) };
        var detector = MisconfigDetector.Create(new MisconfigOptions { CustomCheckFiles = [file], CelLimits = limits });
        var warnings = new List<string>();
        Scan.Text("pod.yaml", Pod, warnings, detector);
        Assert.Contains("custom check SLOW stopped on Pod//web: ran longer than 50 ms", Assert.Single(warnings), StringComparison.Ordinal);
    }
}
