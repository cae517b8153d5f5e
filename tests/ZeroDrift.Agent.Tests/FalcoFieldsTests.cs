using System.Text.Json;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Server.Client;
using static ZeroDrift.Agent.Tests.Harness;

namespace ZeroDrift.Agent.Tests;

/// <summary>Falco's fields as the agent fills them from the sensor's records, and the learned mark on rule alerts.</summary>
public class FalcoFieldsTests
{
    private static RuleSet Rules(string yaml)
    {
        var set = new RuleSet();
        RuleLoader.LoadText(set, yaml, "test.yaml");
        return set;
    }

    [Fact]
    public void Events_are_numbered_from_one_so_falcos_never_true_exclusions_let_rules_fire()
    {
        using var h = new Harness(ruleSet: Rules("""
            - macro: never_true
              condition: (evt.num=0)
            - rule: exec seen
              desc: d
              condition: evt.type = execve and not never_true
              output: exec (num=%evt.num start=%container.start_ts duration=%proc.duration)
              priority: NOTICE
            """));
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"], extra: new ExecExtra { Vpid = 1 }));
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        h.Feed(h.Exec(P + 101, P + 100, "/bin/busybox", ["sh", "-c", "id"], extra: new ExecExtra { Vpid = 7 }));
        var alerts = h.Sink.Alerts.Where(a => a.GetProperty("rule").GetString() == "exec seen").ToList();
        Assert.Equal(2, alerts.Count);
        var numbers = alerts.Select(a => a.GetProperty("output_fields").GetProperty("evt.num").GetInt64()).ToList();
        Assert.True(numbers[0] >= 1, $"evt.num {numbers[0]}");
        Assert.True(numbers[1] > numbers[0], $"evt.num {numbers[0]} then {numbers[1]}");
        // container.start_ts: the exec of the container's pid 1, on the events' clock; proc.duration on the same clock.
        var second = alerts[1].GetProperty("output_fields");
        var start = second.GetProperty("container.start_ts").GetInt64();
        Assert.Equal(alerts[0].GetProperty("output_fields").GetProperty("container.start_ts").GetInt64(), start);
        Assert.Equal(DateTimeOffset.Parse(alerts[0].GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), start / 1_000_000);
        Assert.Equal(0, second.GetProperty("proc.duration").GetInt64()); // the exec event is the process's start
    }

    [Fact]
    public void A_rule_alert_for_a_shell_the_profile_learned_says_learned_and_a_new_one_does_not()
    {
        var records = new List<AgentRecord>();
        using var h = new Harness(uplink: records.Add);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(h.Exec(P + 101, P + 100, "/bin/busybox", ["sh", "-c", "id"]));
        h.SwitchTo(ProfileMode.Monitor);
        h.Feed(h.Exec(P + 102, P + 100, "/bin/busybox", ["sh", "-c", "id"]));   // what Learn saw: in the profile
        h.Feed(h.Exec(P + 103, P + 100, "/bin/dash", ["dash", "-c", "id"]));    // a shell never learned
        var shells = h.Sink.Alerts.Where(a => a.GetProperty("rule").GetString() == "ZeroDrift Shell Spawned in Container").ToList();
        Assert.Equal(3, shells.Count);
        bool Learned(JsonElement a) => a.GetProperty("zerodrift").TryGetProperty("learned", out var l) && l.GetBoolean();
        Assert.True(Learned(shells[0]), "learned in Learn");
        Assert.True(Learned(shells[1]), "in the profile, in Monitor");
        Assert.False(Learned(shells[2]), "new behaviour");
        Assert.Contains(h.Sink.Alerts, a => a.GetProperty("rule").GetString() == "ZeroDrift Process Outside the Profile");
        // The server hears the same, to group the alerts apart.
        h.Tick();
        var sent = records.OfType<AlertRecord>().Where(r => r.Rule == "ZeroDrift Shell Spawned in Container").ToList();
        Assert.Equal([true, true, null], sent.Select(r => r.Learned));
    }
}
