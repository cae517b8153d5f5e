using System.Diagnostics;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// <c>rules-profile [RULES]</c>: where evaluation time goes — the rules each event type meets and each rule's
/// share of the time over the benchmark's quiet mix. A diagnostic for tuning, not a benchmark.
/// </summary>
public static class RuleProfile
{
    public static int Run(string? rules)
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, rules ?? Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/data/rules/falco/falco_rules.yaml"));
        var engine = RuleEngine<SyscallEvent>.Compile(set, SyscallFields.Create());
        var events = RuleEvaluationBenchmarks.Mix(1, attacks: false);
        foreach (var type in events.Select(e => e.Type).Distinct())
            Console.WriteLine($"{type}: {engine.Candidates(events.First(e => e.Type == type)).Length} candidate rules");
        var times = new Dictionary<string, long>();
        for (var round = 0; round < 200; round++)
        {
            foreach (var e in events)
            {
                foreach (var rule in engine.Candidates(e))
                {
                    var start = Stopwatch.GetTimestamp();
                    rule.Condition(e);
                    times[rule.Name] = times.GetValueOrDefault(rule.Name) + Stopwatch.GetTimestamp() - start;
                }
            }
        }
        foreach (var rule in engine.Rules)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var e in events) rule.Condition(e);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > 0) Console.WriteLine($"allocates {allocated} bytes over the mix: {rule.Name}");
        }
        var total = times.Values.Sum();
        foreach (var (name, ticks) in times.OrderByDescending(t => t.Value).Take(15))
            Console.WriteLine($"{100.0 * ticks / total,5:F1}%  {name}");
        // On a shared machine the wall clock counts time other processes held the core; the process's CPU time
        // is the time this evaluation actually used, hence events per CPU-second is the per-core figure.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var n = 0;
        for (var round = 0; round < 500; round++)
            foreach (var e in events) { engine.FirstMatch(e); n++; }
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"{n / sw.Elapsed.TotalSeconds:N0} events/s wall clock, {n / used.TotalSeconds:N0} events per CPU-second");
        return 0;
    }
}
