using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Agent;

/// <summary>
/// How many loaded rules the agent evaluates, said the same way by <c>zerodrift rules check</c> and the agent at load:
/// fully evaluated (can fire, reads nothing uncaptured), partly evaluated (can fire, but some event type or field it
/// reads is not captured), and not evaluated (disabled by the file, invalid, another source, or unable to fire).
/// </summary>
public static class RuleCoverage
{
    public static string Summary(IReadOnlyCollection<RuleStatus> statuses)
    {
        var full = statuses.Count(s => s.IsFullyEvaluated);
        var partly = statuses.Count(s => s.IsEvaluated && !s.IsFullyEvaluated);
        var notEvaluable = statuses.Count(s => s.State is RuleState.NotCaptured or RuleState.OtherSource);
        var not = statuses.Count - full - partly;
        return $"{statuses.Count} rules loaded, {full} fully evaluated, {partly} partly evaluated, {not} not evaluated "
            + $"({notEvaluable} need what the agent does not capture)";
    }

    /// <summary>One line per rule that is not fully evaluated, saying why.</summary>
    public static IEnumerable<string> Details(IEnumerable<RuleStatus> statuses)
    {
        foreach (var s in statuses)
        {
            if (s.IsFullyEvaluated) continue;
            yield return s.State switch
            {
                RuleState.Evaluated => $"partly evaluated: {s.Name}: {string.Join("; ", s.Gaps)}",
                RuleState.NotCaptured or RuleState.OtherSource => $"not evaluable: {s.Name}: {s.Reason}",
                RuleState.NeverTrue => $"cannot fire as shipped: {s.Name}: {s.Reason}",
                _ => $"disabled: {s.Name}: {s.Reason}",
            };
        }
    }
}
