using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using static ZeroDrift.Agent.Tests.Harness;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Honest verdicts: an alert says <c>blocked</c> only when the kernel's record of that exec or connect confirms it,
/// <c>killed</c> only when a kill from user space landed before the process exited, else <c>kill-failed</c>, and
/// otherwise <c>detected</c>. Kills are real: the processes are the test's own children.
/// </summary>
public sealed class VerdictTests
{
    private static string Action(JsonElement alert) => alert.GetProperty("zerodrift").GetProperty("action").GetString()!;
    private static string? Enforcement(JsonElement alert) => alert.GetProperty("zerodrift").TryGetProperty("enforcement", out var e) ? e.GetString() : null;
    private static int Pid(JsonElement alert) => alert.GetProperty("output_fields").GetProperty("proc.pid").GetInt32();

    /// <summary>A workload learned (httpd, one connection), then protected, with its container enforced.</summary>
    private static Harness Protected(bool kernel)
    {
        var h = new Harness(ProfileMode.Learn, kernel: kernel);
        h.Members((P + 100, "httpd"));
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(h.Connect(P + 100, IPAddress.Parse("10.88.0.7"), 5432));
        h.SwitchTo(ProfileMode.Protect);
        Assert.Equal((ContainerState.Enforced, ProfileMode.Protect), (h.Loop.Container(h.Cgroup)!.State, h.Loop.Container(h.Cgroup)!.Mode));
        return h;
    }

    [Fact]
    public void The_kernels_record_of_an_exec_or_connect_confirms_a_block_and_nothing_is_said_before_it()
    {
        using var h = Protected(kernel: true);
        // A shell the workload never ran: the kernel killed it at exec; its record comes on the enforcer's own ring.
        h.Feed(h.Exec(P + 101, P + 100, "/bin/sh", ["sh"]));
        Assert.Empty(h.ProfileAlerts);
        h.Loop.Post(new KernelBlocked(new BlockedAction("exec", h.Cgroup, P + 101, "/bin/sh", 41, 1065939, null, DateTimeOffset.UtcNow) { KernelTimeNs = (long)h.Now }));
        h.Loop.Drain();
        var exec = Assert.Single(h.ProfileAlerts);
        Assert.Equal(("blocked", "kernel"), (Action(exec), Enforcement(exec)));
        Assert.Equal(0, exec.GetProperty("zerodrift").GetProperty("blockLatencyMs").GetDouble());

        // The kernel's per-pid record of execs it killed confirms one at once.
        h.Enforcement.KilledExecs.Add(P + 102);
        h.Feed(h.Exec(P + 102, P + 100, "/bin/sh", ["sh"]));
        Assert.Equal(("blocked", "kernel"), (Action(h.ProfileAlerts.Last()), Enforcement(h.ProfileAlerts.Last())));
        // Its blocked record, read later, is what that alert already said: not a second alert.
        h.Loop.Post(new KernelBlocked(new BlockedAction("exec", h.Cgroup, P + 102, "/bin/sh", 41, 1065939, null, DateTimeOffset.UtcNow) { KernelTimeNs = (long)h.Now }));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        h.Loop.Drain();
        Assert.Equal(2, h.Sink.Alerts.Count(a => Action(a) == "blocked"));

        // A connect the kernel refused: the record may even come first (the loop behind on its own ring).
        h.Loop.Post(new KernelBlocked(new BlockedAction("connect", h.Cgroup, P + 100, null, 0, 0, new IPEndPoint(IPAddress.Parse("203.0.113.9"), 4444), DateTimeOffset.UtcNow) { KernelTimeNs = (long)h.Now }));
        h.Loop.Drain();
        h.Feed(h.Connect(P + 100, IPAddress.Parse("203.0.113.9"), 4444, result: -1));
        var connect = h.ProfileAlerts.Last();
        Assert.Equal(("blocked", "kernel", "network"), (Action(connect), Enforcement(connect), connect.GetProperty("zerodrift").GetProperty("deviation").GetString()));
        Assert.Equal(3, h.Loop.KernelBlocks);
        Assert.DoesNotContain(h.Sink.Alerts, a => a.GetProperty("zerodrift").GetProperty("kind").GetString() == "kernel");
    }

    [Fact]
    public void Without_the_kernels_record_a_refused_connect_is_only_detected()
    {
        using var h = Protected(kernel: true);
        // EPERM, but no record of the kernel's says it refused it: the alert claims nothing it cannot confirm.
        h.Feed(h.Connect(P + 100, IPAddress.Parse("203.0.113.9"), 4444, result: -1));
        h.Clock.Advance(TimeSpan.FromMilliseconds(100));
        h.Loop.Drain();
        Assert.Empty(h.ProfileAlerts); // still waiting: the record may be late
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        h.Loop.Drain();
        var alert = Assert.Single(h.ProfileAlerts);
        Assert.Equal("detected", Action(alert));
        Assert.Null(Enforcement(alert));
        Assert.Contains("no record of the kernel", alert.GetProperty("zerodrift").GetProperty("response").GetString());
    }

    [Fact]
    public void An_exec_the_kernel_let_run_is_killed_from_user_space_and_said_so_once_its_exit_confirms_it()
    {
        using var h = Protected(kernel: true);
        using var shell = Child.Start("sleep", "300");
        h.Feed(h.Exec(shell.Id, P + 100, "/bin/sh", ["sh"]));
        Assert.False(shell.HasExited); // held for the kernel's record
        h.Clock.Advance(TimeSpan.FromMilliseconds(60));
        h.Loop.Drain();
        var status = Child.WaitStatus(shell);
        Assert.Equal(9, status & 0x7f); // SIGKILL, sent through a pidfd
        Assert.Empty(h.ProfileAlerts);
        h.Feed(h.Exit(shell.Id, status));
        var alert = Assert.Single(h.ProfileAlerts);
        Assert.Equal(("killed", "user-space"), (Action(alert), Enforcement(alert)));
        Assert.Contains("best effort", alert.GetProperty("zerodrift").GetProperty("response").GetString());
    }

    [Fact]
    public void The_kernels_record_decides_before_the_agent_has_put_the_container_under_kernel_enforcement()
    {
        // The kernel may enforce a container the agent has not bound yet (an image mapped before its first container):
        // its per-pid record of an exec it killed makes the verdict "blocked", not a kill from user space that fails.
        using var h = new Harness(ProfileMode.Learn, kernel: true);
        h.Members((P + 100, "httpd"));
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Enforcement.GoneOnNextApplies = 1000;
        h.SwitchTo(ProfileMode.Protect);
        Assert.NotEqual(ContainerState.Enforced, h.Loop.Container(h.Cgroup)!.State);
        h.Enforcement.KilledExecs.Add(P + 101);
        h.Feed(h.Exec(P + 101, P + 100, "/bin/sh", ["sh"]));
        var alert = Assert.Single(h.ProfileAlerts);
        Assert.Equal(("blocked", "kernel"), (Action(alert), Enforcement(alert)));
    }

    [Fact]
    public void A_kill_whose_process_had_already_exited_failed()
    {
        using var h = Protected(kernel: false);
        // Exited and reaped before the verdict: there is nothing to kill.
        using var gone = Child.Start("true");
        Child.WaitStatus(gone);
        h.Feed(h.Exec(gone.Id, P + 100, "/tmp/payload", ["/tmp/payload"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        var alert = Assert.Single(h.ProfileAlerts);
        Assert.Equal(("kill-failed", "user-space"), (Action(alert), Enforcement(alert)));
        Assert.Contains("already exited", alert.GetProperty("zerodrift").GetProperty("response").GetString());
        // A pid the kernel never gave out: no process to open a pidfd on.
        h.Feed(h.Exec(P + 300, P + 100, "/tmp/payload", ["/tmp/payload"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        Assert.Equal("kill-failed", Action(h.ProfileAlerts.Last()));
    }

    [Fact]
    public void Kills_raced_against_processes_exiting_on_their_own_say_what_happened_to_each()
    {
        using var h = Protected(kernel: false);
        var random = new Random(20);
        var children = new List<Process>();
        try
        {
            for (var i = 0; i < 24; i++)
            {
                // Some exit on their own before the agent acts, some while it does, some only when killed.
                var child = Child.Start("sleep", (random.Next(0, 3) switch { 0 => 0, 1 => 0.002, _ => 60 }).ToString(System.Globalization.CultureInfo.InvariantCulture));
                children.Add(child);
                if (i % 3 == 0) Thread.Sleep(5);
                h.Feed(h.Exec(child.Id, P + 100, "/tmp/payload", ["/tmp/payload"], ExeFlags.Overlay | ExeFlags.UpperLayer));
            }
            var happened = new Dictionary<int, int>();
            foreach (var child in children)
            {
                var status = Child.WaitStatus(child);
                happened[child.Id] = status;
                h.Feed(h.Exit(child.Id, status));
            }
            h.Clock.Advance(TimeSpan.FromSeconds(2));
            h.Loop.Drain();
            var alerts = h.ProfileAlerts.ToList();
            Assert.Equal(children.Count, alerts.Count);
            foreach (var alert in alerts)
            {
                var killed = (happened[Pid(alert)] & 0x7f) == 9;
                Assert.True((killed ? "killed" : "kill-failed") == Action(alert), $"pid {Pid(alert)} exited with status {happened[Pid(alert)]}, alert says {Action(alert)}");
            }
            Assert.Contains(alerts, a => Action(a) == "killed");
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited) child.Kill();
                child.Dispose();
            }
        }
    }

    [Fact]
    public void A_kernel_block_no_event_explains_is_alerted_on_its_own_once_the_events_have_come_that_far()
    {
        using var h = Protected(kernel: true);
        // A UDP datagram refused: the sensor reports no connect for it.
        h.Loop.Post(new KernelBlocked(new BlockedAction("connect", h.Cgroup, P + 100, null, 0, 0, new IPEndPoint(IPAddress.Parse("203.0.113.53"), 53), DateTimeOffset.UtcNow)
            { KernelTimeNs = (long)h.Now, Protocol = "udp", Reasons = BlockReasons.NotAllowed }));
        h.Loop.Drain();
        Assert.Empty(h.Sink.Lines);
        h.Clock.Advance(TimeSpan.FromMilliseconds(300));
        h.Loop.Drain();
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Equal(("kernel", "blocked", "kernel"), (alert.GetProperty("zerodrift").GetProperty("kind").GetString(), Action(alert), Enforcement(alert)));
        Assert.Contains("udp to 203.0.113.53:53 blocked in the kernel", alert.GetProperty("output").GetString());
    }

    [Fact]
    public void The_exit_summary_counts_each_action()
    {
        using var h = Protected(kernel: true);
        h.Enforcement.KilledExecs.Add(P + 101);
        h.Feed(h.Exec(P + 101, P + 100, "/bin/sh", ["sh"]));
        h.Feed(h.Connect(P + 100, IPAddress.Parse("203.0.113.9"), 4444, result: -1));
        h.Feed(h.Exec(P + 102, P + 100, "/bin/sh", ["sh"]));
        h.Feed(h.Exit(P + 102, 0));
        h.Loop.Stop(); // the last round settles what still waits: the exec's exit was read, so its kill failed
        var actions = h.ProfileAlerts.Select(Action).Order().ToList();
        Assert.Equal(["blocked", "detected", "kill-failed"], actions);
        Assert.Equal((1, 0, 1), (h.Alerts.Count(AlertAction.Blocked), h.Alerts.Count(AlertAction.Killed), h.Alerts.Count(AlertAction.KillFailed)));
        Assert.Equal(h.Alerts.Published - 2, h.Alerts.Count(AlertAction.Detected)); // the rules' alerts are detections too
    }
}
