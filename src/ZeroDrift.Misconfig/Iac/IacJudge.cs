using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig.Custom;
using ZeroDrift.Misconfig.Iac.Checks;

namespace ZeroDrift.Misconfig.Iac;

/// <summary>Runs the built-in infrastructure checks and the custom CEL checks (those with <c>match.resourceTypes</c>)
/// over resources of one module or template; each result carries the resource's file, address and line.</summary>
internal static class IacJudge
{
    public static IEnumerable<(RuleDescriptor Rule, string File, Issue Issue)> Judge(IReadOnlyList<IacResource> resources, IReadOnlyList<CustomCheck> custom,
        Action<string> warn, CancellationToken cancellationToken)
    {
        var context = new IacContext(resources);
        foreach (var r in resources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var check in IacChecks.For(r.Type))
                foreach (var fail in check.ByType[r.Type](r, context))
                {
                    var line = fail.At?.Start?.Line is > 0 and var l ? l : r.Line;
                    yield return (check.Rule, r.File, new Issue(check.Rule.Id, line, 1, $"{r.Address}: {fail.Message}", r.Address));
                }
            object? cel = null;
            foreach (var check in custom)
            {
                if (!check.MatchesResource(r.Type)) continue;
                cel ??= CustomCheckLoader.ToCel(r.Attributes);
                bool passed;
                try
                {
                    passed = check.Evaluate(cel);
                }
                catch (CelBudgetExceededException e)
                {
                    warn($"{r.File}: custom check {check.Rule.Id} stopped on {r.Address}: {e.Message}; not decided for this resource");
                    continue;
                }
                catch (Exception e) // CEL reports missing fields and type errors with its own exception types
                {
                    warn($"{r.File}: custom check {check.Rule.Id} could not be evaluated on {r.Address}: {e.Message.Split('\n')[0]}");
                    continue;
                }
                if (!passed) yield return (check.Rule, r.File, new Issue(check.Rule.Id, r.Line, 1, $"{r.Address}: {check.Message ?? check.Rule.Title}", r.Address));
            }
        }
    }
}
