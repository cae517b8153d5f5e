using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// gitleaks' own per-rule true and false positives (<c>../shared/conformance/gitleaks/cases.jsonl</c>: 6,396 TPs and 374
/// FPs of 220 rules), one file per case, scanned by the real command as <c>run.sh</c> scans them (issue 17). The
/// thresholds are the issue's: a rule or engine change that loses recall or gains false positives fails here.
/// </summary>
public class GitleaksConformanceTests(GitleaksConformanceTests.CaseFiles cases) : IClassFixture<GitleaksConformanceTests.CaseFiles>
{

    /// <summary>
    /// ZeroDrift's own rules against every case: a TP counts when any rule reports its file (the rule ids differ from
    /// gitleaks'); an FP when any rule does. gitleaks' full config flags 30 of the FPs; ZeroDrift must flag no more.
    /// </summary>
    [Fact]
    public void Built_in_rules_find_98_percent_of_gitleaks_true_positives_and_flag_at_most_30_false_positives()
    {
        var found = ScanBoth();
        var missed = cases.Positives.Where(c => !found.ContainsKey(c.Key)).ToList();
        var flagged = cases.Negatives.Where(c => found.ContainsKey(c.Key)).ToList();
        var recall = 1.0 - (double)missed.Count / cases.Positives.Count;
        Assert.True(recall >= 0.98, $"recall {recall:P2} ({missed.Count} of {cases.Positives.Count} missed), first missed:\n{List(missed)}");
        Assert.True(flagged.Count <= 30, $"{flagged.Count} of {cases.Negatives.Count} false positives flagged:\n{List(flagged, found)}");
    }

    /// <summary>
    /// gitleaks' default config loaded unchanged: as gitleaks validates each rule alone, a TP counts when the rule under
    /// test reports it and an FP when the rule under test flags it.
    /// </summary>
    [Fact]
    public void With_gitleaks_config_995_permille_of_true_positives_are_found_by_their_rule_and_no_false_positive()
    {
        var config = Path.Combine(RepoPaths.SharedData, "rules", "gitleaks", "gitleaks.toml");
        var found = ScanBoth("--secret-config", config);
        var missed = cases.Positives.Where(c => !Reports(found, c)).ToList();
        var flagged = cases.Negatives.Where(c => Reports(found, c)).ToList();
        var recall = 1.0 - (double)missed.Count / cases.Positives.Count;
        Assert.True(recall >= 0.995, $"recall {recall:P2} ({missed.Count} of {cases.Positives.Count} missed), first missed:\n{List(missed, found)}");
        Assert.True(flagged.Count == 0, $"{flagged.Count} false positives flagged by their rule:\n{List(flagged, found)}");
    }

    private static bool Reports(Dictionary<string, HashSet<string>> found, Case c) =>
        found.TryGetValue(c.Key, out var rules) && rules.Contains(c.Rule);

    public sealed record Case(string Kind, string Rule, string Text, string Key);

    /// <summary>The suite's cases written once for both tests, in the layout of its <c>evaluate.py write</c>: KIND/RULE/N.txt, or KIND/RULE/N/PATH for a case with a path.</summary>
    public sealed class CaseFiles : IDisposable
    {
        public TempDir Dir { get; } = new();
        public List<Case> Positives { get; } = [];
        public List<Case> Negatives { get; } = [];

        public CaseFiles()
        {
            foreach (var c in Write(Dir.Path)) (c.Kind == "tp" ? Positives : Negatives).Add(c);
        }

        public void Dispose() => Dir.Dispose();
    }

    private static List<Case> Write(string dir)
    {
        var counters = new Dictionary<(string, string), int>();
        var all = new List<Case>();
        foreach (var line in File.ReadLines(Path.Combine(RepoPaths.Conformance("gitleaks"), "cases.jsonl")))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var (kind, rule, text) = (root.GetProperty("kind").GetString()!, root.GetProperty("rule").GetString()!, root.GetProperty("text").GetString()!);
            var n = counters.GetValueOrDefault((kind, rule));
            counters[(kind, rule)] = n + 1;
            var relative = root.TryGetProperty("path", out var p) && p.GetString() is { Length: > 0 } path ? $"{rule}/{n}/{path}" : $"{rule}/{n}.txt";
            var full = Path.Combine(dir, kind, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            all.Add(new Case(kind, rule, text, $"{kind}:/{relative}"));
        }
        return all;
    }

    /// <summary>Scans the TP and the FP tree; the rule ids reported per case file.</summary>
    private Dictionary<string, HashSet<string>> ScanBoth(params string[] extra)
    {
        var found = new Dictionary<string, HashSet<string>>();
        foreach (var kind in (string[])["tp", "fp"])
        {
            var r = ZeroDriftRunner.Run(["scan", Path.Combine(cases.Dir.Path, kind), "--scanners", "secret", "--format", "json", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.DoesNotContain("warning", r.Stderr, StringComparison.Ordinal);
            using var report = JsonDocument.Parse(r.Stdout);
            foreach (var f in report.RootElement.GetProperty("contentFindings").EnumerateArray())
            {
                if (f.GetProperty("class").GetString() != "secret") continue;
                var path = f.GetProperty("path").GetString()!;
                var key = $"{kind}:{(path.StartsWith('/') ? path : "/" + path)}";
                if (!found.TryGetValue(key, out var rules)) found[key] = rules = [];
                rules.Add(f.GetProperty("ruleId").GetString()!);
            }
        }
        return found;
    }

    private static string List(IEnumerable<Case> cases, Dictionary<string, HashSet<string>>? found = null) =>
        string.Join('\n', cases.Take(40).Select(c =>
            $"  {c.Rule}{(found?.GetValueOrDefault(c.Key) is { } by ? " (by " + string.Join(',', by.Order()) + ")" : "")}: " +
            (c.Text.Length > 120 ? c.Text[..120] + "…" : c.Text).Replace("\n", "\\n", StringComparison.Ordinal)));
}
