using System.Net;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Tests.Profiles;

namespace ZeroDrift.Runtime.Tests.Engine;

public sealed class BehaviourEngineTests
{
    private static readonly WorkloadIdentity Web = new("web", ProfileFixtures.DigestV1, "localhost/web:1");
    private static readonly DateTimeOffset T0 = ProfileFixtures.T0;
    private static readonly ImageTrust Image = new(["/bin/busybox", "/bin/sh", "/bin/httpd", "/usr/bin/wget"]);

    private static BehaviourEngine Engine(ProfileMode mode = ProfileMode.Learn, LearningPolicy? learning = null, ProfileStore? store = null) =>
        new(store, _ => Image, mode, learning ?? LearningPolicy.Default);

    /// <summary>A small service's normal life: its shell starts httpd, which serves on 8080, reads its files and calls a backend.</summary>
    private static IEnumerable<Observation> Normal(DateTimeOffset at) =>
    [
        new ExecObservation(Web, at, "/bin/sh", null, "root"),
        new ExecObservation(Web, at, "/bin/httpd", "/bin/sh", "www-data"),
        new FileObservation(Web, at, "/var/www/index.html", FileAccessKind.Read, "/bin/httpd"),
        new FileObservation(Web, at, "/proc/1234/stat", FileAccessKind.Read, "/bin/httpd"),
        new NetworkObservation(Web, at, NetworkDirection.Ingress, "tcp", IPAddress.Parse("10.0.0.7"), 8080),
        new NetworkObservation(Web, at, NetworkDirection.Egress, "tcp", IPAddress.Parse("10.1.2.3"), 5432, "db.shop.svc"),
        new SyscallObservation(Web, at, ["accept4", "read", "write", "openat"]),
    ];

    private static BehaviourEngine Learned(ProfileMode then, ProfileStore? store = null)
    {
        var engine = Engine(learning: new LearningPolicy(TimeSpan.FromMinutes(10), then), store: store);
        foreach (var o in Normal(T0)) engine.Observe(o);
        Assert.Equal([new ModeChange(Web, ProfileMode.Learn, then, "")], engine.Tick(T0.AddMinutes(11)).Select(c => c with { Why = "" }));
        return engine;
    }

    [Fact]
    public void Learning_grows_the_profile_then_ends_after_a_quiet_period()
    {
        var engine = Engine(learning: new LearningPolicy(TimeSpan.FromMinutes(10), ProfileMode.Monitor));
        Assert.All(Normal(T0), o => Assert.Equal(EngineAction.Learned, engine.Observe(o).Action));
        // The same behaviour again (another PID in /proc) is nothing new.
        Assert.All(Normal(T0.AddMinutes(5)).Select(o => o is FileObservation f ? f with { Path = "/proc/99/stat" } : o), o => Assert.Equal(EngineAction.None, engine.Observe(o).Action));
        Assert.Empty(engine.Tick(T0.AddMinutes(9)));
        var change = Assert.Single(engine.Tick(T0.AddMinutes(10)));
        Assert.Equal(ProfileMode.Monitor, change.To);
        Assert.Equal(ProfileMode.Monitor, engine.ModeOf(Web));
        var profile = engine.ProfileOf(Web)!;
        Assert.Contains(new ProcessEntry("/bin/httpd", null, "/bin/sh", "www-data"), profile.Processes);
        Assert.Contains(new FileAccessEntry("/proc/*/stat", FileAccessKind.Read), profile.Files);
    }

    [Fact]
    public void A_multi_call_file_is_known_only_under_the_names_it_ran_as()
    {
        var engine = Engine(learning: new LearningPolicy(TimeSpan.FromMinutes(10), ProfileMode.Protect));
        engine.Observe(new ExecObservation(Web, T0, "/bin/busybox", "/usr/bin/conmon", "0", Name: "httpd"));
        engine.Tick(T0.AddMinutes(11));
        Assert.Equal(EngineAction.None, engine.Observe(new ExecObservation(Web, T0.AddHours(1), "/bin/busybox", "/usr/bin/conmon", "0", Name: "httpd")).Action);
        // The same file as sh, or under its own name: another program.
        var shell = engine.Observe(new ExecObservation(Web, T0.AddHours(1), "/bin/busybox", "/usr/bin/conmon", "0", Name: "sh"));
        Assert.Equal(EngineAction.Block, shell.Action);
        Assert.Contains("(as sh)", shell.Reason, StringComparison.Ordinal);
        Assert.Equal(EngineAction.Block, engine.Observe(new ExecObservation(Web, T0.AddHours(1), "/bin/busybox", "/usr/bin/conmon", "0")).Action);
    }

    [Fact]
    public void Replaying_what_was_learned_in_protect_gives_no_alert_and_no_block()
    {
        var engine = Learned(ProfileMode.Protect);
        Assert.All(Normal(T0.AddHours(2)), o => Assert.Equal(Verdict.Known.Action, engine.Observe(o).Action));
    }

    [Theory]
    [InlineData(ProfileMode.Monitor)]
    [InlineData(ProfileMode.Protect)]
    public void Known_behaviour_of_a_workload_outside_learn_carries_its_mode(ProfileMode mode)
    {
        // The rules' alerts on the same event say the verdict's mode: a protected workload's shell is not "learn".
        var engine = Learned(mode);
        foreach (var verdict in Normal(T0.AddHours(2)).Select(engine.Observe))
            Assert.Equal((EngineAction.None, mode), (verdict.Action, verdict.Mode));
    }

    [Fact]
    public void Drift_is_never_learned_and_is_blocked_in_protect()
    {
        var engine = Engine();
        var dropped = new ExecObservation(Web, T0, "/tmp/x", "/bin/sh", "root", FromWritableLayer: true);
        var verdict = engine.Observe(dropped);
        Assert.Equal(EngineAction.Alert, verdict.Action);
        Assert.Equal(DeviationKind.Drift, verdict.Deviation);
        Assert.Contains("writable layer", verdict.Reason);
        Assert.DoesNotContain(engine.ProfileOf(Web)!.Processes, p => p.Executable == "/tmp/x");

        var memfd = engine.Observe(new ExecObservation(Web, T0, "memfd:payload", "/bin/sh", "root", FromMemfd: true));
        Assert.Equal(DeviationKind.Drift, memfd.Deviation);
        // Not in the image even though the kernel did not flag it (a path the image does not have).
        Assert.Equal(DeviationKind.Drift, engine.Observe(new ExecObservation(Web, T0, "/usr/local/bin/miner", "/bin/sh", "root")).Deviation);

        var protect = Learned(ProfileMode.Protect);
        var blocked = protect.Observe(dropped with { At = T0.AddHours(1) });
        Assert.Equal(EngineAction.Block, blocked.Action);
        Assert.Equal(DeviationKind.Drift, blocked.Deviation);
    }

    [Fact]
    public void With_drift_prevention_drift_from_the_writable_layer_or_memory_is_blocked_in_every_mode_and_never_learned()
    {
        var dropped = new ExecObservation(Web, T0, "/tmp/x", "/bin/sh", "root", FromWritableLayer: true, DriftPrevention: true);
        var memfd = new ExecObservation(Web, T0, "/memfd:payload", "/bin/sh", "root", FromMemfd: true, DriftPrevention: true);
        foreach (var mode in Enum.GetValues<ProfileMode>())
        {
            var engine = Engine(mode);
            foreach (var exec in new[] { dropped, memfd })
            {
                var verdict = engine.Observe(exec);
                Assert.Equal((EngineAction.Block, DeviationKind.Drift, mode), (verdict.Action, verdict.Deviation, verdict.Mode));
                Assert.Contains("drift prevention is on", verdict.Reason);
            }
            Assert.DoesNotContain(engine.ProfileOf(Web)!.Processes, p => p.Executable is "/tmp/x" or "/memfd:payload");
        }
        // Drift the kernel cannot tell (a path the image lacks, not in the writable layer) keeps its mode's verdict.
        Assert.Equal(EngineAction.Alert, Engine().Observe(new ExecObservation(Web, T0, "/usr/local/bin/miner", "/bin/sh", "root", DriftPrevention: true)).Action);
        // Without it, Learn only alerts.
        Assert.Equal(EngineAction.Alert, Engine().Observe(dropped with { DriftPrevention = false }).Action);
    }

    [Fact]
    public void A_profile_that_asks_for_drift_prevention_has_it_and_a_users_switch_is_picked_up_without_a_mode_change()
    {
        using var dir = new TempDir();
        using var store = ProfileStore.Open(dir.Combine("profiles.db"));
        var engine = Engine(store: store);
        var dropped = new ExecObservation(Web, T0, "/tmp/x", "/bin/sh", "root", FromWritableLayer: true);
        Assert.Equal(EngineAction.Alert, engine.Observe(dropped).Action);
        Assert.Empty(engine.Sync(T0)); // saves the new profile

        Assert.True(store.SetDriftPrevention(Web.Key, true));
        var change = Assert.Single(engine.Sync(T0.AddSeconds(1)));
        Assert.Equal((ProfileMode.Learn, ProfileMode.Learn, (bool?)true), (change.From, change.To, change.DriftPrevention));
        Assert.True(engine.DriftPreventionOf(Web));
        Assert.Equal(EngineAction.Block, engine.Observe(dropped).Action);

        // What the agent saves of its learning leaves the user's setting alone.
        engine.Observe(new ExecObservation(Web, T0.AddSeconds(2), "/bin/httpd", "/bin/sh", "www-data"));
        Assert.Empty(engine.Sync(T0.AddSeconds(3)));
        Assert.True(store.Get(Web.Key)!.DriftPrevention);
        Assert.True(ProfileYaml.Parse(ProfileYaml.Export(store.Get(Web.Key)!), "test").DriftPrevention);
    }

    [Fact]
    public void Outside_the_profile_monitor_alerts_and_protect_blocks_what_the_kernel_can_block()
    {
        foreach (var (mode, blockable) in new[] { (ProfileMode.Monitor, EngineAction.Alert), (ProfileMode.Protect, EngineAction.Block) })
        {
            var engine = Learned(mode);
            var at = T0.AddHours(1);
            // A shell spawned by the service: /bin/sh is known, but not as httpd's child.
            var shell = engine.Observe(new ExecObservation(Web, at, "/bin/sh", "/bin/httpd", "www-data"));
            Assert.Equal((blockable, DeviationKind.Process), (shell.Action, shell.Deviation));
            // An image executable never seen: in the image, so not drift, but outside the profile.
            Assert.Equal(DeviationKind.Process, engine.Observe(new ExecObservation(Web, at, "/usr/bin/wget", "/bin/sh", "root")).Deviation);
            var connect = engine.Observe(new NetworkObservation(Web, at, NetworkDirection.Egress, "tcp", IPAddress.Parse("203.0.113.9"), 4444));
            Assert.Equal((blockable, DeviationKind.Network), (connect.Action, connect.Deviation));
            Assert.Contains("203.0.113.9 tcp/4444", connect.Reason);
            // The same peer on a learned port, as an IPv4-mapped IPv6 address, is known.
            Assert.Equal(EngineAction.None, engine.Observe(new NetworkObservation(Web, at, NetworkDirection.Egress, "tcp", IPAddress.Parse("::ffff:10.1.2.3"), 5432)).Action);
            // Opens and incoming connections cannot be refused without BPF-LSM: alerted in both modes.
            var shadow = engine.Observe(new FileObservation(Web, at, "/etc/shadow", FileAccessKind.Read, "/bin/httpd"));
            Assert.Equal((EngineAction.Alert, DeviationKind.File), (shadow.Action, shadow.Deviation));
            Assert.Equal(EngineAction.Alert, engine.Observe(new NetworkObservation(Web, at, NetworkDirection.Ingress, "tcp", IPAddress.Parse("10.0.0.7"), 22)).Action);
            var syscalls = engine.Observe(new SyscallObservation(Web, at, ["read", "ptrace"]));
            Assert.Equal(DeviationKind.Syscall, syscalls.Deviation);
            Assert.Contains("ptrace", syscalls.Reason);
        }
    }

    [Fact]
    public void A_workload_without_a_profile_gets_the_default_mode()
    {
        var engine = Engine(ProfileMode.Protect);
        Assert.Equal(EngineAction.Block, engine.Observe(new ExecObservation(Web, T0, "/bin/sh", null, "root")).Action);
    }

    [Fact]
    public void A_users_mode_switch_in_the_store_reaches_the_running_engine_and_is_not_undone()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "profiles.db");
        using var agentStore = ProfileStore.Open(path);
        var engine = Engine(store: agentStore);
        foreach (var o in Normal(T0)) engine.Observe(o);
        Assert.Empty(engine.Sync(T0.AddMinutes(1)));   // saves what was learned

        using (var userStore = ProfileStore.Open(path))
        {
            var stored = Assert.Single(userStore.Find("localhost/web:1"));
            userStore.Save(stored with { Mode = ProfileMode.Protect });
        }
        engine.Observe(new FileObservation(Web, T0.AddMinutes(2), "/var/www/new.html", FileAccessKind.Read));   // still learning: grows
        var change = Assert.Single(engine.Sync(T0.AddMinutes(3)));
        Assert.Equal((ProfileMode.Learn, ProfileMode.Protect), (change.From, change.To));
        Assert.Equal(EngineAction.Block, engine.Observe(new ExecObservation(Web, T0.AddMinutes(4), "/usr/bin/wget", "/bin/sh", "root")).Action);

        using var check = ProfileStore.Open(path);
        var saved = check.Get(Web.Key)!;
        Assert.Equal(ProfileMode.Protect, saved.Mode);
        Assert.Contains(saved.Files, f => f.Path == "/var/www/new.html");
    }
}
