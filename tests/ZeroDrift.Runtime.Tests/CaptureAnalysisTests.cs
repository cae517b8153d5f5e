using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Runtime.Tests;

/// <summary>A rule is called evaluated only if the source's events can make it fire.</summary>
public sealed class CaptureAnalysisTests
{
    private static readonly CaptureProfile Capture = new()
    {
        EventTypes = new HashSet<string> { "execve", "openat", "connect", "setuid" },
        ReportedAs = new Dictionary<string, string> { ["open"] = "openat" },
        EmptyFields = new Dictionary<string, string> { ["user.loginname"] = "not named" },
        EmptyForTypes = new Dictionary<string, (IReadOnlySet<string>, string)> { ["evt.res"] = (new HashSet<string> { "setuid" }, "entry only") },
        Args = new Dictionary<string, IReadOnlySet<string>> { ["openat"] = new HashSet<string> { "flags" }, ["setuid"] = new HashSet<string> { "uid" } },
    };

    private static RuleStatus Status(string condition)
    {
        var set = new RuleSet();
        RuleLoader.LoadText(set, $"""
            - macro: never_true
              condition: (evt.num=0)
            - rule: r
              desc: d
              condition: {condition}
              output: o
              priority: NOTICE
            """, "test.yaml");
        var engine = RuleEngine<SyscallEvent>.Compile(set, SyscallFields.Create(), Capture);
        var status = Assert.Single(engine.Statuses);
        Assert.Equal(status.IsEvaluated, engine.Rules.Count == 1); // a rule that cannot fire is not run either
        return status;
    }

    [Fact]
    public void A_rule_on_captured_types_and_fields_is_fully_evaluated()
    {
        var s = Status("evt.type = execve and proc.name = sh and not never_true");
        Assert.True(s.IsFullyEvaluated, string.Join("; ", s.Gaps));
    }

    [Fact]
    public void A_rule_needing_only_uncaptured_event_types_cannot_fire_and_says_which()
    {
        var s = Status("evt.type in (symlink, symlinkat) and evt.arg.target startswith /etc");
        Assert.Equal(RuleState.NotCaptured, s.State);
        Assert.False(s.IsEvaluated);
        Assert.Equal("cannot fire: event types symlink, symlinkat not captured", s.Reason);
    }

    [Fact]
    public void A_rule_with_some_captured_types_is_partly_evaluated_with_the_rest_listed()
    {
        var s = Status("evt.type in (openat, mkdir, open) and fd.name startswith /bin");
        Assert.True(s.IsEvaluated);
        Assert.False(s.IsFullyEvaluated);
        Assert.Equal(["event type mkdir not captured"], s.Gaps); // open arrives as openat, which the rule matches
        var only = Status("evt.type = open and fd.name startswith /bin");
        Assert.Equal(RuleState.NotCaptured, only.State);
        Assert.Contains("event type open arrives as openat, which the rule does not match", only.Reason);
    }

    [Fact]
    public void A_required_field_that_is_always_empty_makes_the_rule_unable_to_fire_but_an_empty_exclusion_does_not()
    {
        var required = Status("evt.type = execve and user.loginname = root");
        Assert.Equal(RuleState.NotCaptured, required.State);
        Assert.Contains("user.loginname has no value (not named)", required.Reason);
        var exclusion = Status("evt.type = execve and not user.loginname in (admin)");
        Assert.True(exclusion.IsEvaluated);
        Assert.Equal(["user.loginname has no value (not named)"], exclusion.Gaps);
    }

    [Fact]
    public void Fields_empty_for_one_type_and_missing_arguments_are_judged_per_type()
    {
        Assert.Equal(RuleState.NotCaptured, Status("evt.type = setuid and evt.res = SUCCESS").State);
        Assert.True(Status("evt.type in (setuid, openat) and evt.res = SUCCESS").IsEvaluated); // openat carries a result
        Assert.True(Status("evt.type = setuid and evt.arg.uid = 0").IsFullyEvaluated);
        var noArg = Status("evt.type = openat and evt.arg.mode contains 7");
        Assert.Equal(RuleState.NotCaptured, noArg.State);
        Assert.Contains("evt.arg.mode of openat has no value (openat events carry no argument 'mode')", noArg.Reason);
    }
}
