using ZeroDrift.Runtime.Rules;
using ZeroDrift.Sensor;
using ZeroDrift.TestSupport;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Falco's three rule files judged against what the agent captures (what <c>zerodrift rules check</c> prints and the
/// agent logs at load): a rule is never called evaluated when the agent's events cannot fire it.
/// </summary>
public class AgentCaptureTests
{
    private static RuleEngine<Runtime.Rules.Reference.SyscallEvent> FalcoFiles(bool defaults = false)
    {
        var set = new RuleSet();
        if (defaults) RuleLoader.LoadDefaults(set);
        foreach (var file in new[] { "falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml" })
            RuleLoader.LoadFile(set, Path.Combine(RepoPaths.SharedData, "rules", "falco", file));
        return AgentCapture.Compile(set);
    }

    /// <summary>Rules of the issue whose only event types the sensor did not capture when it was filed.</summary>
    public static TheoryData<string, string[]> NeedUncapturedTypes => new()
    {
        { "Create Symlink Over Sensitive Files", ["symlink", "symlinkat"] },
        { "Create Hardlink Over Sensitive Files", ["link", "linkat"] },
        { "Mkdir binary dirs", ["mkdir", "mkdirat"] },
        { "Modify binary dirs", ["rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir"] },
        { "Set Setuid or Setgid bit", ["chmod", "fchmod", "fchmodat"] },
        { "Packet socket created in container", ["socket"] },
        { "Unprivileged Delegation of Page Faults Handling to a Userspace Process", ["userfaultfd"] },
    };

    [Theory]
    [MemberData(nameof(NeedUncapturedTypes))]
    public void A_rule_is_evaluated_exactly_when_the_sensor_captures_one_of_its_event_types(string rule, string[] types)
    {
        var status = FalcoFiles().Statuses.Single(s => s.Name == rule);
        var captured = types.Where(CapturedEventTypes.Names.Contains).ToList();
        if (captured.Count == 0)
        {
            Assert.Equal(RuleState.NotCaptured, status.State);
            Assert.False(status.IsEvaluated);
            Assert.StartsWith("cannot fire: event type", status.Reason);
            Assert.DoesNotContain(FalcoFiles().Rules, r => r.Name == rule); // not run either
        }
        else
        {
            Assert.True(status.IsEvaluated, $"{rule}: {status.Reason}");
        }
    }

    [Fact]
    public void No_rule_is_called_evaluated_unless_an_event_type_it_matches_is_captured()
    {
        var engine = FalcoFiles(defaults: true);
        var capture = AgentCapture.Profile;
        foreach (var s in engine.Statuses.Where(s => s.IsEvaluated))
        {
            var types = s.EventTypes!;
            var served = types.AllExcept || types.Types.Any(t => capture.EventTypes.Contains(t));
            Assert.True(served, $"{s.Name} evaluated with event types {types}");
        }
        Assert.All(engine.Statuses.Where(s => s.IsFullyEvaluated), s => Assert.Empty(s.Gaps));
        Assert.All(engine.Statuses.Where(s => s.State == RuleState.NotCaptured), s => Assert.NotEmpty(s.Gaps));
        // The agent's own default rules that read what the sensor does not report are said not to fire.
        Assert.Equal(RuleState.NotCaptured, engine.Statuses.Single(s => s.Name == "ZeroDrift Reverse Shell").State);
        var summary = RuleCoverage.Summary(engine.Statuses);
        Assert.Matches(@"^\d+ rules loaded, \d+ fully evaluated, \d+ partly evaluated, \d+ not evaluated \(\d+ need what the agent does not capture\)$", summary);
    }

    [Fact]
    public void Plugin_sources_are_not_evaluable_and_say_which_source()
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins", "k8s_audit_rules.yaml"));
        var statuses = AgentCapture.Compile(set).Statuses;
        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.False(s.IsEvaluated));
        Assert.Contains(statuses, s => s.Reason == "needs plugin source 'k8s_audit', which the agent does not capture (only syscall events)");
    }

    [Fact]
    public void Every_notable_syscall_is_a_captured_event_type()
    {
        foreach (var e in NotableSyscalls.X64) Assert.Contains(e.Name, CapturedEventTypes.Names);
    }
}
