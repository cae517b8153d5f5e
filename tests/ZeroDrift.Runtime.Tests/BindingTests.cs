using System.Net;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Runtime.Tests;

/// <summary>The engine over an event type of the caller's own: what the agent does with the sensor's events.</summary>
public sealed class BindingTests
{
    private sealed record SensorEvent(string Syscall, string Comm, string[] Lineage, long Uid, IPAddress? Peer, Dictionary<string, string> Labels);

    private static readonly FieldTable<SensorEvent> Table = new FieldTable<SensorEvent>()
        .Add("evt.type", e => e.Syscall)
        .Add("proc.name", e => e.Comm)
        .Add("user.uid", e => (long?)e.Uid)
        .Add("fd.rip", e => e.Peer)
        .Add("zerodrift.in_profile", e => (bool?)(e.Comm == "nginx"))
        .AddIndexed("proc.aname", (e, n) => n < e.Lineage.Length ? e.Lineage[n] : null, e => e.Lineage.Skip(1).ToArray())
        .AddKeyed("k8s.pod.label", (e, key) => e.Labels.GetValueOrDefault(key));

    private static RuleEngine<SensorEvent> Compile(string yaml)
    {
        var set = new RuleSet();
        RuleLoader.LoadText(set, yaml, "custom.yaml");
        return RuleEngine<SensorEvent>.Compile(set, Table);
    }

    [Fact]
    public void A_custom_event_type_binds_with_one_table()
    {
        var engine = Compile("""
            - rule: Unprofiled root connect from frontend
              desc: d
              condition: >
                evt.type = connect and user.uid = 0 and not zerodrift.in_profile = true
                and fd.rip != 10.0.0.0/8 and proc.aname[1] = sh and proc.aname = init and k8s.pod.label[app] = frontend
              output: "%proc.name -> %fd.rip (%k8s.pod.label[app])"
              priority: CRITICAL
            - rule: Needs a field this binding lacks
              desc: d
              condition: evt.type = connect and fd.sport = 22
              output: o
              priority: INFO
            """);
        var hit = new SensorEvent("connect", "curl", ["curl", "sh", "init"], 0, IPAddress.Parse("203.0.113.9"), new() { ["app"] = "frontend" });
        var rule = engine.FirstMatch(hit);
        Assert.Equal("Unprofiled root connect from frontend", rule?.Name);
        Assert.EndsWith("Critical curl -> 203.0.113.9 (frontend)", rule!.CreateAlert(hit, 0, "h").Output);
        Assert.Null(engine.FirstMatch(hit with { Peer = IPAddress.Parse("10.1.1.1") }));
        Assert.Null(engine.FirstMatch(hit with { Comm = "nginx" }));
        Assert.Null(engine.FirstMatch(hit with { Syscall = "accept" }));
        var missing = engine.Statuses.Single(s => s.Name == "Needs a field this binding lacks");
        Assert.Equal(RuleState.MissingField, missing.State);
        Assert.Equal("field 'fd.sport' is not provided by ZeroDrift", missing.Reason);
    }

    [Fact]
    public void Operators_that_do_not_fit_a_field_type_disable_the_rule_with_the_reason()
    {
        var engine = Compile("""
            - rule: a
              desc: d
              condition: user.uid contains 0
              output: o
              priority: INFO
            - rule: b
              desc: d
              condition: user.uid = root
              output: o
              priority: INFO
            - rule: c
              desc: d
              condition: fd.rip = not-an-ip
              output: o
              priority: INFO
            - rule: e
              desc: d
              condition: proc.name regex '(unclosed'
              output: o
              priority: INFO
            """);
        var reasons = engine.Statuses.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Contains("operator 'contains' is not supported for numeric field 'user.uid'", reasons["a"]);
        Assert.Contains("'root' is not a number for field 'user.uid'", reasons["b"]);
        Assert.Contains("'not-an-ip' is not an IP address or network", reasons["c"]);
        Assert.Contains("invalid regex", reasons["e"]);
        Assert.Empty(engine.Rules);
    }

    [Fact]
    public void Evaluating_events_that_match_nothing_allocates_nothing()
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, Path.Combine(RepoPaths.SharedData, "rules", "falco", "falco_rules.yaml"));
        RuleLoader.LoadDefaults(set);
        var engine = RuleEngine<SyscallEvent>.Compile(set, Events.Fields);
        SyscallEvent[] quiet =
        [
            Events.Exec(Events.Process("nginx", "/usr/sbin/nginx", "-g", "daemon off;")) with { ZeroDrift = new ZeroDriftInfo { ExeFromImage = true } },
            Events.Open("/usr/share/nginx/html/index.html", "O_RDONLY", Events.Nginx),
            Events.Connect("10.0.0.5", 5432, Events.Nginx),
        ];
        foreach (var e in quiet) Assert.Null(engine.FirstMatch(e));
        // Warm up past tiered compilation, whose call counting may allocate on the calling thread.
        for (var i = 0; i < 5_000; i++)
            foreach (var e in quiet) engine.FirstMatch(e);
        foreach (var e in quiet)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++) engine.FirstMatch(e);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before == 0, $"{e.Type} allocated {GC.GetAllocatedBytesForCurrentThread() - before} bytes");
        }
    }
}
