using System.Diagnostics;
using System.Globalization;
using ZeroDrift.Secrets;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// <c>secrets-profile TREE [CONFIG]</c>: where a cold secret scan's time goes, rule by rule. Scans every regular file
/// under TREE once on one thread in this fresh process (runtime start, JIT and regex construction included, as in a
/// command run), with the built-in rules or a gitleaks config, and prints the keyword pass's time, then the costliest
/// rules: windows their keywords opened, the probe's time (its first call, which builds it, apart), candidates and the
/// linear-time engine's time (first call apart), findings. Then the keywords with the most hits. A diagnostic for
/// tuning, not a benchmark: compare figures of one run with each other, and runs only alternated.
/// </summary>
public static class SecretProfile
{
    public static int Run(string root, string? config, int top = 40)
    {
        var start = Stopwatch.GetTimestamp();
        var set = config is null ? BuiltInRules.RuleSet : SecretRuleSet.LoadGitleaks(config);
        var costs = new RuleCosts(set.Rules.Count);
        var scanner = new SecretScanner(set, boundWindows: true, costs);
        var built = Stopwatch.GetElapsedTime(start);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Order(StringComparer.Ordinal).ToList();
        long findings = 0;
        var scanFrom = Stopwatch.GetTimestamp();
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            findings += scanner.Scan(file, stream).Count;
        }
        var scan = Stopwatch.GetElapsedTime(scanFrom);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var rules = set.Rules;
        var ruleMs = Enumerable.Range(0, rules.Count).Sum(r => Ms(costs.ProbeTicks[r] + costs.MatchTicks[r]));
        Console.WriteLine(FormattableString.Invariant(
            $"{files.Count} files, {costs.KeywordChars / 1e6:F0} M chars scanned, {findings} findings; rule set {built.TotalMilliseconds:F0} ms, scan {scan.TotalMilliseconds:F0} ms, process CPU {cpu.TotalMilliseconds:F0} ms"));
        Console.WriteLine(FormattableString.Invariant(
            $"keyword pass (automaton and window bookkeeping) {Ms(costs.KeywordTicks):F0} ms; rules (probes and matches) {ruleMs:F0} ms; rules run: {costs.Windows.Count(w => w > 0)}, with a candidate: {costs.Candidates.Count(c => c > 0)}"));
        Console.WriteLine("total_ms  probe_ms  (first)  match_ms  (first)  allow_ms (checks)   windows  win_kchars  cands  finds  rule");
        foreach (var r in Enumerable.Range(0, rules.Count).OrderByDescending(r => costs.ProbeTicks[r] + costs.MatchTicks[r]).Take(top))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Ms(costs.ProbeTicks[r] + costs.MatchTicks[r]),8:F1}  {Ms(costs.ProbeTicks[r]),8:F1}  {Ms(costs.FirstProbeTicks[r]),7:F1}  {Ms(costs.MatchTicks[r]),8:F1}  {Ms(costs.FirstMatchTicks[r]),7:F1}  {Ms(costs.AllowTicks[r]),8:F1} {costs.AllowChecks[r],8}  {costs.Windows[r],8}  {costs.WindowChars[r] / 1000,10}  {costs.Candidates[r],5}  {costs.Findings[r],5}  {rules[r].Id}"));
        var firsts = Enumerable.Range(0, rules.Count).Sum(r => Ms(costs.FirstProbeTicks[r]) + Ms(costs.FirstMatchTicks[r]));
        Console.WriteLine(FormattableString.Invariant($"first calls (builds and their JIT) of all rules: {firsts:F0} ms"));
        return 0;
    }
}
