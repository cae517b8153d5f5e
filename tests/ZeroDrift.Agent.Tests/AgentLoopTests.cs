using System.Net;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Server.Client;
using static ZeroDrift.Agent.Tests.Harness;

namespace ZeroDrift.Agent.Tests;

public sealed class AgentLoopTests
{
    [Fact]
    public void A_container_is_profiled_as_its_workload_and_image_and_learned_behaviour_is_saved()
    {
        using var h = new Harness();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd", "-f", "-p", "8080"]));
        h.Feed(h.Connect(P + 100, IPAddress.Parse("10.88.0.7"), 5432));
        h.Tick();
        var saved = h.Store.Get(Identity.Key);
        Assert.NotNull(saved);
        Assert.Equal("localhost/web:1", saved.Identity.ImageName);
        Assert.Equal(ProfileMode.Learn, saved.Mode);
        Assert.Contains(saved.Processes, p => p.Executable == "/bin/busybox" && p.User == "root" && p.Uid == 0);
        Assert.Contains(saved.Network, n => n.Direction == NetworkDirection.Egress && n.Peer == "10.88.0.7" && n.Port == 5432 && n.Protocol == "tcp");
        // A resolver asked with sendto() (no connect) is learned from the DNS record, so Protect's kernel sets allow it.
        h.Feed(Records.DnsQuestion(h.Cgroup, P + 100, IPAddress.Parse("10.88.0.1"), h.Now));
        h.Tick();
        Assert.Contains(h.Store.Get(Identity.Key)!.Network, n => n.Peer == "10.88.0.1" && n.Port == 53 && n.Protocol == "udp");
        Assert.Empty(h.Sink.Lines);
        // Learning puts nothing in the kernel.
        Assert.Empty(h.Enforcement.Applied);
        Assert.Equal((ContainerState.Enforced, ProfileMode.Learn), (h.Loop.Container(h.Cgroup)!.State, h.Loop.Container(h.Cgroup)!.Mode));
    }

    [Fact]
    public void A_process_the_runtime_starts_has_one_parent_per_way_in_whoever_won_the_race()
    {
        using var h = new Harness(ruleSet: new ZeroDrift.Runtime.Rules.RuleSet()); // profile alerts only: the rules' shell alerts aside
        // Learned: the entrypoint's shell (started by conmon, long gone) and a health check entering through podman
        // exec, whose runc the agent never saw: the kernel's class names the parent, not what the table happens to hold.
        h.Feed(h.Exec(P + 100, 4242, "/bin/sh", ["sh", "/entrypoint.sh"], extra: new ExecExtra { ParentClass = ExecParentClass.Entry }));
        h.Feed(h.Exec(P + 200, 4343, "/usr/bin/redis-cli", ["redis-cli", "ping"], extra: new ExecExtra { ParentClass = ExecParentClass.RuntimeExec }));
        h.Tick();
        var learned = h.Store.Get(Identity.Key)!.Processes;
        Assert.Contains(learned, p => p.Executable == "/bin/sh" && p.Parent == RuntimeParent.Entry);
        Assert.Contains(learned, p => p.Executable == "/usr/bin/redis-cli" && p.Parent == RuntimeParent.Exec);

        h.SwitchTo(ProfileMode.Monitor);
        // The same health check again, its runc's pid now reused by an unrelated process the table knows: still known.
        h.Feed(h.Exec(4343, 1, "/usr/bin/python3", ["python3"], ExeFlags.None, cgroup: h.HostCgroup));
        h.Feed(h.Exec(P + 201, 4343, "/usr/bin/redis-cli", ["redis-cli", "ping"], extra: new ExecExtra { ParentClass = ExecParentClass.RuntimeExec }));
        Assert.True(h.Sink.Lines.IsEmpty, string.Join('\n', h.Sink.Lines));
        // A shell entering through podman exec is not the entrypoint's shell.
        h.Feed(h.Exec(P + 202, 4444, "/bin/sh", ["sh", "-c", "id"], extra: new ExecExtra { ParentClass = ExecParentClass.RuntimeExec }));
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Contains("/bin/sh started by the runtime's exec path (podman exec, kubectl exec)", alert.GetProperty("output").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_mode_switch_in_the_store_is_applied_and_deviations_are_then_alerted_in_falco_shape()
    {
        using var h = new Harness();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Tick();
        // What `zerodrift profile mode web monitor` does: the store's mode column changes.
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Identity.Key)! with { Mode = ProfileMode.Monitor });
        var changes = h.Tick();
        Assert.Equal(0, h.Loop.Errors.Total);
        Assert.Equal(ProfileMode.Monitor, Assert.Single(changes).To);
        Assert.Contains(h.Log, l => l.Contains("learn -> monitor (switched by a user)", StringComparison.Ordinal));
        Assert.Equal(ProfileMode.Monitor, h.Enforcement.Applied[^1].Mode);

        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"])); // known: nothing
        Assert.Empty(h.Sink.Lines);
        h.Feed(h.Connect(P + 100, IPAddress.Parse("203.0.113.9"), 4444));
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Equal("ZeroDrift Connection Outside the Profile", alert.GetProperty("rule").GetString());
        foreach (var key in new[] { "hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time" })
            Assert.True(alert.TryGetProperty(key, out _), key);
        var zd = alert.GetProperty("zerodrift");
        Assert.Equal("network", zd.GetProperty("deviation").GetString());
        Assert.Equal("monitor", zd.GetProperty("mode").GetString());
        Assert.Equal("detected", zd.GetProperty("action").GetString());
        Assert.False(zd.TryGetProperty("enforcement", out _));
        Assert.Equal("web", zd.GetProperty("workload").GetString());
        Assert.True(zd.GetProperty("detectLatencyMs").GetDouble() >= 0);
        Assert.Equal(ContainerId, alert.GetProperty("output_fields").GetProperty("container.id").GetString());
    }

    [Fact]
    public void A_users_switch_is_applied_as_soon_as_the_store_commits_it_not_at_the_next_tick()
    {
        // Housekeeping far away: only the store's own change can bring the switch in.
        using var h = new Harness(syncInterval: TimeSpan.FromHours(1));
        h.Loop.AttachSensor(h.Sensor);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Tick();
        h.Loop.Start();
        var wakes = h.Sensor.Wakes;
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Identity.Key)! with { Mode = ProfileMode.Monitor });
        // The store's files changed: the loop was posted StoreChanged, which woke the sensor's thread.
        Assert.True(SpinWait.SpinUntil(() => h.Sensor.Wakes > wakes, TimeSpan.FromSeconds(30)), "the store's change was not seen");
        h.Loop.Drain();
        Assert.Contains(h.Log, l => l.Contains("learn -> monitor (switched by a user)", StringComparison.Ordinal));
        Assert.Equal(ProfileMode.Monitor, h.Enforcement.Applied[^1].Mode);
    }

    [Fact]
    public void Drift_is_alerted_while_learning_and_never_learned_and_killed_in_protect()
    {
        using var h = new Harness();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(h.Exec(P + 101, P + 100, "/tmp/echo", ["/tmp/echo", "hi"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        var rules = h.Sink.Alerts.Select(a => a.GetProperty("rule").GetString()).ToList();
        Assert.Contains("ZeroDrift Drift: Executable Not From the Image", rules);
        Assert.Contains("ZeroDrift Drifted Executable", rules); // the default rule fires too
        h.Tick();
        Assert.DoesNotContain(h.Store.Get(Identity.Key)!.Processes, p => p.Executable == "/tmp/echo");

        h.SwitchTo(ProfileMode.Protect);
        Assert.NotNull(h.Enforcement.Applied[^1].Profile); // Protect carries the profile to push into the kernel
        // No kernel enforcement here: the drift is killed from user space. A real process, killed for real.
        using var drifted = Child.Start("sleep", "300");
        h.Feed(h.Exec(drifted.Id, P + 100, "/tmp/echo", ["/tmp/echo", "again"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        Assert.Equal(137, drifted.WaitForExit(TimeSpan.FromSeconds(30)) ? drifted.ExitCode : -1);
        // Not said until the process's exit confirms it.
        Assert.DoesNotContain(h.ProfileAlerts, a => a.GetProperty("output_fields").GetProperty("proc.pid").GetInt32() == drifted.Id);
        h.Feed(h.Exit(drifted.Id, Records.WaitStatus(drifted.ExitCode)));
        var killed = h.ProfileAlerts.Single(a => a.GetProperty("output_fields").GetProperty("proc.pid").GetInt32() == drifted.Id);
        Assert.Equal(("killed", "user-space"), (killed.GetProperty("zerodrift").GetProperty("action").GetString(), killed.GetProperty("zerodrift").GetProperty("enforcement").GetString()));
        Assert.Equal("Critical", killed.GetProperty("priority").GetString());
        Assert.True(killed.GetProperty("zerodrift").TryGetProperty("blockLatencyMs", out _));
    }

    [Theory]
    [InlineData("the container's next exec")]
    [InlineData("housekeeping, the container being quiet")]
    public void Protect_whose_process_exited_while_it_was_applied_waits_for_the_containers_next_process(string appliedBy)
    {
        using var h = new Harness(ProfileMode.Protect);
        // A restarting container: the process the enforcement resolved the profile's files in has exited.
        h.Enforcement.GoneOnNextApplies = 1;
        h.Members((P + 100, "httpd"));
        // The container is first met at a file open (an exec would retry at once).
        h.Feed(h.Open(P + 100, "/etc/hostname"));
        Assert.Empty(h.Enforcement.Applied);
        Assert.Equal(ContainerState.AwaitingProcess, h.Loop.Container(h.Cgroup)!.State);
        Assert.Contains(h.Log, l => l.Contains("waits for a live process of the container", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Log, l => l.Contains("warning", StringComparison.Ordinal));
        if (appliedBy.StartsWith("housekeeping", StringComparison.Ordinal)) h.Tick();
        else h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd", "-f"]));
        var applied = Assert.Single(h.Enforcement.Applied);
        Assert.Equal((h.Cgroup, ProfileMode.Protect), (applied.Container.CgroupId, applied.Mode));
        Assert.Equal($"/libpod_parent/libpod-{ContainerId}", applied.Container.CgroupPath);
        Assert.Equal((ContainerState.Enforced, ProfileMode.Protect), (h.Loop.Container(h.Cgroup)!.State, h.Loop.Container(h.Cgroup)!.Mode));
    }

    [Fact]
    public void A_sensitive_read_raises_the_default_rules_alert_with_the_processes_and_containers_fields()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["cat", "/etc/shadow"]));
        h.Feed(h.Open(P + 100, "/etc/shadow"));
        // A container first seen in Monitor is handed to the enforcement at once, in its mode.
        var applied = Assert.Single(h.Enforcement.Applied);
        Assert.Equal((h.Cgroup, ProfileMode.Monitor), (applied.Container.CgroupId, applied.Mode));
        var alert = h.Sink.Alerts.Single(a => a.GetProperty("rule").GetString() == "ZeroDrift Sensitive File Read");
        Assert.Equal("rule", alert.GetProperty("zerodrift").GetProperty("kind").GetString());
        var fields = alert.GetProperty("output_fields");
        Assert.Equal("/etc/shadow", fields.GetProperty("fd.name").GetString());
        Assert.Equal("cat", fields.GetProperty("proc.name").GetString());
        Assert.Contains("file=/etc/shadow", alert.GetProperty("output").GetString());
        // In Monitor with an empty profile, the read is also a deviation of the profile.
        Assert.Contains(h.Sink.Alerts, a => a.GetProperty("rule").GetString() == "ZeroDrift File Access Outside the Profile");
    }

    [Fact]
    public void Syscall_sets_from_the_kernel_are_learned_and_only_new_numbers_are_alerted_once()
    {
        using var h = new Harness();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Loop.Post(new SyscallSetsRead(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59] }, h.Clock.GetUtcNow()));
        h.Loop.Drain();
        h.Tick();
        Assert.Equal(["close", "execve", "read", "write"], h.Store.Get(Identity.Key)!.Syscalls.Order(StringComparer.Ordinal));
        h.SwitchTo(ProfileMode.Monitor);
        h.Loop.Post(new SyscallSetsRead(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59, 83] }, h.Clock.GetUtcNow()));
        h.Loop.Post(new SyscallSetsRead(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59, 83] }, h.Clock.GetUtcNow()));
        h.Loop.Drain();
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Contains("mkdir", alert.GetProperty("output").GetString());
        Assert.Equal("syscall", alert.GetProperty("zerodrift").GetProperty("deviation").GetString());
    }

    [Fact]
    public void The_runtimes_own_init_is_plumbing_not_the_workload()
    {
        using var h = new Harness(ProfileMode.Monitor);
        // runc init runs from runc's clone of itself (outside the image) in the container's cgroup before the entrypoint.
        h.Feed(h.Exec(P + 100, 1, "/", ["/usr/bin/runc", "init"], ExeFlags.None));
        h.Feed(h.Open(P + 100, "/proc/sys/net/ipv4/ping_group_range", 1, OpenReason.Write));
        Assert.Empty(h.Sink.Lines);
        // The same command line from a file of the image is the workload's: profiled (and here alerted).
        h.Feed(h.Exec(P + 101, 1, "/usr/bin/runc", ["/usr/bin/runc", "init"], ExeFlags.Overlay));
        Assert.NotEmpty(h.Sink.Lines);
    }

    [Fact]
    public void The_runtimes_init_clones_first_met_in_proc_are_plumbing_too()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Feed(h.Exec(P + 100, 1, "/", ["runc", "init"], ExeFlags.None));
        // runc:[1:CHILD], a clone of runc init that never executes anything: the agent meets it in /proc (a zombie by
        // then: no exe, no command line), when it enters the container's namespaces.
        h.ProcEntry(P + 101, "runc:[1:CHILD]", ppid: P + 100);
        h.Feed(h.Open(P + 101, "/proc/sys/net/ipv4/ping_group_range", 1, OpenReason.Write));
        // The same once runc init has exited and the stage was reparented to the runtime's monitor: told by its name.
        h.ProcEntry(P + 102, "runc:[1:CHILD]", ppid: 1);
        h.Feed(h.Open(P + 102, "/proc/sys/net/ipv4/ping_group_range", 1, OpenReason.Write));
        Assert.Empty(h.Sink.Lines);
        // A process the workload forked, met the same way, is the workload's.
        h.Feed(h.Exec(P + 200, 1, "/bin/httpd", ["httpd"]));
        h.ProcEntry(P + 201, "httpd", ppid: P + 200);
        h.Feed(h.Open(P + 201, "/proc/sys/net/ipv4/ping_group_range", 1, OpenReason.Write));
        Assert.NotEmpty(h.Sink.Lines);
    }

    [Fact]
    public void A_podman_exec_is_the_runtimes_until_its_program_runs_and_the_workloads_from_then_on()
    {
        using var h = new Harness(ProfileMode.Learn);
        h.Feed(h.Exec(P + 200, 1, "/bin/httpd", ["httpd"]));
        h.SwitchTo(ProfileMode.Monitor);
        // podman exec: runc exec runs on the host (its exec record is the host's), and forks the stage that joins the
        // container; /proc already shows the program the stage went on to run, whose exec record is still to be read.
        h.Feed(h.Exec(P + 300, 1, "/usr/sbin/runc", ["/usr/sbin/runc", "exec", "--detach", ContainerId], ExeFlags.None, cgroup: h.HostCgroup));
        h.ProcEntry(P + 301, "sh", ppid: P + 300);
        h.Feed(h.Open(P + 301, "/proc/sys/kernel/ngroups_max", 1, OpenReason.Write));
        Assert.True(h.Sink.Lines.IsEmpty, string.Join('\n', h.Sink.Lines));
        // The exec record: the program is the workload's (here outside its profile, so alerted), and so is what it does.
        h.Feed(h.Exec(P + 301, P + 300, "/bin/sh", ["sh", "-c", "echo > /etc/motd"]));
        Assert.Contains(h.Sink.Alerts, a => a.GetProperty("rule").GetString() == "ZeroDrift Process Outside the Profile");
        h.Feed(h.Open(P + 301, "/etc/motd", 1, OpenReason.Write));
        Assert.Contains(h.Sink.Alerts, a => a.GetProperty("output").GetString()!.Contains("write to /etc/motd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_images_executables_are_the_only_candidates_for_trust_once_the_image_is_read()
    {
        using var image = new TempDir();
        image.File("bin/busybox", "ELF");
        File.SetUnixFileMode(image.Combine("bin/busybox"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var trust = new ImageTrustCache((id, ct) =>
        {
            Assert.Equal(ImageId, id);
            using var fs = new Artifacts.FileSystems.DirectoryFileSystem(image.Path);
            return ImageTrust.FromFileSystem(fs, ct);
        });
        using var h = new Harness(ProfileMode.Learn, trust);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.NotNull(await trust.WhenLoaded(ImageId));
        // The image's executables came back to the loop as a message: handled at its next drain, on the loop's thread
        // (after the await this test goes on another thread: it takes the loop with it).
        h.Loop.Adopt();
        h.Loop.Drain();
        // On the image's overlay but not among its files: a volume, or a path the image does not ship.
        h.Feed(h.Exec(P + 101, P + 100, "/opt/tool", ["/opt/tool"], ExeFlags.Overlay));
        var drift = h.Sink.Alerts.Single(a => a.GetProperty("rule").GetString() == "ZeroDrift Drift: Executable Not From the Image");
        Assert.Contains("is not an executable of image localhost/web:1", drift.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Every_record_the_agent_sends_reads_back_through_the_servers_parser_as_the_agent_meant_it()
    {
        var records = new List<AgentRecord>();
        using var h = new Harness(ProfileMode.Learn, learning: new LearningPolicy(TimeSpan.FromSeconds(5), ProfileMode.Monitor), uplink: records.Add);
        records.Add(ServerRecords.Host("node-1", EnforcementReport.Registration(h.Enforcement), DateTimeOffset.UtcNow));
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(h.Connect(P + 100, IPAddress.Parse("10.88.0.7"), 5432));
        h.Loop.Housekeeping(h.Clock.GetUtcNow().AddSeconds(6)); // learning ends: a profile record
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Identity.Key)! with { Mode = ProfileMode.Protect });
        h.Loop.Housekeeping(h.Clock.GetUtcNow().AddSeconds(7));
        h.Feed(h.Exec(P + 102, P + 100, "/tmp/echo", ["/tmp/echo", "hi"], ExeFlags.Overlay | ExeFlags.UpperLayer)); // drift
        h.Loop.Stop(); // held verdicts settled

        // Exactly what the channel sends, read by the server's own parser.
        var batch = await ZeroDrift.Server.Ingestion.AgentBatchParser.ParseAsync(new MemoryStream(AgentRecordCodec.ToNdjson(records)), 0, default);
        var host = Assert.Single(batch.Hosts);
        Assert.Equal(("node-1", EnforcementKind.UserSpace), (host.Name, host.Enforcement?.Mode));
        var container = Assert.Single(batch.Containers);
        Assert.Equal((ContainerId, "node-1", "web", "localhost/web:1", Digest, "running"), (container.Id, container.Host, container.Workload, container.Image, container.ImageDigest, container.State));
        Assert.Equal(["exec /bin/busybox", "network 10.88.0.7:5432", "exec /tmp/echo"], batch.Events.Select(e => $"{e.Kind} {e.Path}"));
        Assert.All(batch.Events, e => Assert.True(e.ContainerId == ContainerId && e.Workload == "web" && e.Process.Length > 0 && e.At > 0));
        Assert.Equal(["monitor", "protect", "protect"], batch.Profiles.Select(p => p.Mode)); // learning ends, a user switches, the agent stops
        var model = System.Text.Json.JsonSerializer.Deserialize(batch.Profiles[0].Body, AgentRecordJson.Default.ProfileModel)!;
        Assert.Equal(["/bin/busybox"], model.Exec);
        Assert.Equal(new ProfileFlow("10.88.0.7", 5432), Assert.Single(model.Network));
        Assert.Equal(Digest, model.ImageDigest);
        // The drift in Protect: a user-space kill of a process that does not exist here, which the record says did
        // not land (never "killed" or "blocked"), with where it happened and the alert's own words.
        var drift = batch.Alerts.Single(a => a.Rule == "ZeroDrift Drift: Executable Not From the Image");
        Assert.Equal(("critical", "kill-failed", ContainerId, "web"), (drift.Severity, drift.Action, drift.ContainerId, drift.Workload));
        var sent = (AlertRecord)AgentRecordCodec.Read(System.Text.Encoding.UTF8.GetBytes(drift.Detail));
        Assert.Equal(EnforcementKind.UserSpace, sent.Enforcement);
        Assert.Contains("/tmp/echo", sent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_ends_after_the_quiet_period_and_advances()
    {
        using var h = new Harness(ProfileMode.Learn, learning: new LearningPolicy(TimeSpan.FromSeconds(5), ProfileMode.Monitor));
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.Empty(h.Tick());
        h.Clock.Advance(TimeSpan.FromSeconds(6));
        var change = Assert.Single(h.Tick());
        Assert.Equal((ProfileMode.Learn, ProfileMode.Monitor), (change.From, change.To));
        Assert.Equal(ProfileMode.Monitor, h.Store.Get(Identity.Key)!.Mode);
    }

    [Fact]
    public void A_failure_is_logged_where_it_happens_with_its_container_counted_per_kind_and_the_loop_goes_on()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Enforcement.FailNextApplies = 1;
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.Equal(1, h.Loop.Errors[AgentError.Enforcement]);
        Assert.Equal("1 enforcement", h.Loop.Errors.ToString());
        Assert.Contains(h.Log, l => l.StartsWith("warning: enforcement for container web-1 failed (1 so far): SensorException: ", StringComparison.Ordinal));
        // Not enforced, and tried again when the mode changes; meanwhile events are handled as ever.
        Assert.Equal(ContainerState.Discovered, h.Loop.Container(h.Cgroup)!.State);
        h.Feed(h.Connect(P + 100, IPAddress.Parse("203.0.113.9"), 4444));
        Assert.Contains(h.Sink.Alerts, a => a.GetProperty("rule").GetString() == "ZeroDrift Connection Outside the Profile");
        h.SwitchTo(ProfileMode.Protect);
        Assert.Equal((ContainerState.Enforced, ProfileMode.Protect), (h.Loop.Container(h.Cgroup)!.State, h.Loop.Container(h.Cgroup)!.Mode));
    }
}
