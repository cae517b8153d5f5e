using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent.Tests;

/// <summary>Alerts kept in memory, as the sinks receive them.</summary>
internal sealed class MemorySink : IAlertSink
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public string Name => "memory";
    public AlertSinkStats Stats => new(Lines.Count, 0, 0);
    public bool Publish(string jsonLine)
    {
        Lines.Enqueue(jsonLine);
        return true;
    }

    public IReadOnlyList<JsonElement> Alerts => [.. Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Records what the loop asks of the enforcement.</summary>
internal sealed class RecordingEnforcement : IEnforcement
{
    public List<(EnforcedContainer Container, ProfileMode Mode, BehaviourProfile? Profile)> Applied { get; } = [];
    public List<(int Pid, DeviationKind Kind)> Blocks { get; } = [];
    public string Description => "recording";
    public bool InKernel => false;
    /// <summary>How many of the next applies find their process gone, as a real one does when the container's
    /// processes exit while it is set up.</summary>
    public int GoneOnNextApplies { get; set; }
    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile)
    {
        if (GoneOnNextApplies > 0)
        {
            GoneOnNextApplies--;
            throw new ContainerProcessGoneException(container.PidInContainer);
        }
        Applied.Add((container, mode, profile));
    }
    public void Forget(ulong cgroupId) { }
    public (AlertAction Action, long? AtNs) OnBlock(BlockRequest request)
    {
        Blocks.Add((request.Pid, request.Kind));
        return (AlertAction.Killed, AlertPublisher.MonotonicNs());
    }
    public void Dispose() { }
}

/// <summary>
/// The loop fed with sensor records byte for byte, a cgroup tree and podman's storage records laid out in a
/// temporary directory: attribution, identity, engine, rules and alerts as the agent runs them, without a kernel.
/// </summary>
internal sealed class Harness : IDisposable
{
    public const string ContainerId = "0f2b0bd3a3c04c5bbd0e5e8c8f7f0a8e1e3d2c1b0a9f8e7d6c5b4a3928171615";
    public const string ImageId = "b28f81e824c94d72df302fdc5af221bc6476a43be9dd900d2a453f48ce5d9b0a";
    public const string Digest = "sha256:7b5ed2430c4da69dcb07955201a800c59b22cde7c2f1c325e41575a00fc4410a";
    private readonly TempDir _dir = new();
    public ulong Cgroup { get; }
    public MemorySink Sink { get; } = new();
    public RecordingEnforcement Enforcement { get; } = new();
    public AlertPublisher Alerts { get; }
    public ProfileStore Store { get; }
    public AgentLoop Loop { get; }
    public List<string> Log { get; } = [];
    public string StorePath => _dir.Combine("profiles.db");

    /// <summary>The container's /etc/passwd and /etc/group as the loop reads them (through the process's root).</summary>
    public static readonly Dictionary<string, string> ImageFiles = new(StringComparer.Ordinal)
    {
        ["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        ["/etc/group"] = "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n",
    };

    public Harness(ProfileMode mode = ProfileMode.Learn, ImageTrustCache? trust = null, LearningPolicy? learning = null, RuleSet? ruleSet = null,
        ExecutableHashes? hashes = null)
    {
        var leaf = _dir.Combine($"cgroup/libpod_parent/libpod-{ContainerId}");
        Directory.CreateDirectory(leaf);
        Cgroup = Records.Inode(leaf);
        _dir.File("storage/overlay-containers/containers.json", JsonSerializer.Serialize(new[]
        {
            new { id = ContainerId, image = ImageId, metadata = JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = "web-1", ["image-name"] = "localhost/web:1" }) },
        }));
        _dir.File("storage/overlay-images/images.json", JsonSerializer.Serialize(new[] { new { id = ImageId, digest = Digest } }));
        Directory.CreateDirectory(_dir.Combine("proc"));
        var attributor = new Attributor(new CgroupPaths(_dir.Combine("cgroup"), _dir.Combine("proc")), new ContainerMetadata(_dir.Combine("storage")), fetchLabels: false);
        Store = ProfileStore.Open(StorePath);
        var set = ruleSet ?? new RuleSet();
        if (ruleSet is null) RuleLoader.LoadDefaults(set);
        var rules = RuleEngine<SyscallEvent>.Compile(set, SyscallFields.Create());
        Alerts = new AlertPublisher([Sink]);
        Loop = new AgentLoop(new AgentOptions { DefaultMode = mode, Learning = learning ?? new LearningPolicy(TimeSpan.FromHours(1)), Hostname = "node-1" },
            attributor, new ProcessCache(_dir.Combine("proc")), Store, rules, Alerts, Enforcement, trust, null, Log.Add,
            new UserNames((_, path) => ImageFiles.TryGetValue(path, out var text) ? System.Text.Encoding.UTF8.GetBytes(text) : null),
            hashes ?? new ExecutableHashes((_, _) => null));
    }

    public void Feed(byte[] record) => Records.Feed(Loop, record);

    /// <summary>A process as /proc shows it once it has exited but is not yet reaped: stat and status, no exe, no command line.</summary>
    public void ProcEntry(int pid, string comm, int ppid)
    {
        _dir.File($"proc/{pid}/stat", $"{pid} ({comm}) Z {ppid} {pid} {pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
        _dir.File($"proc/{pid}/cmdline", "");
        _dir.File($"proc/{pid}/status", $"Name:\t{comm}\nUid:\t0\t0\t0\t0\n");
    }

    public static WorkloadIdentity Identity => new("web", Digest, "localhost/web:1");

    public void Dispose()
    {
        Loop.Dispose();
        Store.Dispose();
        _dir.Dispose();
    }
}

public sealed class AgentLoopTests
{
    [Fact]
    public void A_container_is_profiled_as_its_workload_and_image_and_learned_behaviour_is_saved()
    {
        using var h = new Harness();
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd", "-f", "-p", "8080"]));
        h.Feed(Records.Connect(h.Cgroup, 100, IPAddress.Parse("10.88.0.5"), IPAddress.Parse("10.88.0.7"), 5432));
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        var saved = h.Store.Get(Harness.Identity.Key);
        Assert.NotNull(saved);
        Assert.Equal("localhost/web:1", saved.Identity.ImageName);
        Assert.Equal(ProfileMode.Learn, saved.Mode);
        Assert.Contains(saved.Processes, p => p.Executable == "/bin/busybox" && p.User == "root" && p.Uid == 0);
        Assert.Contains(saved.Network, n => n.Direction == NetworkDirection.Egress && n.Peer == "10.88.0.7" && n.Port == 5432 && n.Protocol == "tcp");
        // A resolver asked with sendto() (no connect) is learned from the DNS record, so Protect's kernel sets allow it.
        h.Feed(Records.DnsQuestion(h.Cgroup, 100, IPAddress.Parse("10.88.0.1")));
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        Assert.Contains(h.Store.Get(Harness.Identity.Key)!.Network, n => n.Peer == "10.88.0.1" && n.Port == 53 && n.Protocol == "udp");
        Assert.Empty(h.Sink.Lines);
        // Learning puts nothing in the kernel.
        Assert.Empty(h.Enforcement.Applied);
    }

    [Fact]
    public void A_users_mode_switch_in_the_store_is_applied_and_deviations_are_then_alerted_in_falco_shape()
    {
        using var h = new Harness();
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        // What `zerodrift profile mode web monitor` does: the store's mode column changes.
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Harness.Identity.Key)! with { Mode = ProfileMode.Monitor });
        var changes = h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        Assert.Null(h.Loop.LastError);
        Assert.Equal(ProfileMode.Monitor, Assert.Single(changes).To);
        Assert.Contains(h.Log, l => l.Contains("learn -> monitor (switched by a user)", StringComparison.Ordinal));
        Assert.Equal(ProfileMode.Monitor, h.Enforcement.Applied[^1].Mode);

        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"])); // known: nothing
        Assert.Empty(h.Sink.Lines);
        h.Feed(Records.Connect(h.Cgroup, 100, IPAddress.Parse("10.88.0.5"), IPAddress.Parse("203.0.113.9"), 4444));
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Equal("ZeroDrift Connection Outside the Profile", alert.GetProperty("rule").GetString());
        foreach (var key in new[] { "hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time" })
            Assert.True(alert.TryGetProperty(key, out _), key);
        var zd = alert.GetProperty("zerodrift");
        Assert.Equal("network", zd.GetProperty("deviation").GetString());
        Assert.Equal("monitor", zd.GetProperty("mode").GetString());
        Assert.Equal("alerted", zd.GetProperty("action").GetString());
        Assert.Equal("web", zd.GetProperty("workload").GetString());
        Assert.True(zd.GetProperty("detectLatencyMs").GetDouble() >= 0);
        Assert.Equal(Harness.ContainerId, alert.GetProperty("output_fields").GetProperty("container.id").GetString());
        Assert.Empty(h.Enforcement.Blocks);
    }

    [Fact]
    public void Drift_is_alerted_while_learning_and_never_learned_and_blocked_in_protect()
    {
        using var h = new Harness();
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(Records.Exec(h.Cgroup, 101, 100, "/tmp/echo", ["/tmp/echo", "hi"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        var rules = h.Sink.Alerts.Select(a => a.GetProperty("rule").GetString()).ToList();
        Assert.Contains("ZeroDrift Drift: Executable Not From the Image", rules);
        Assert.Contains("ZeroDrift Drifted Executable", rules); // the default rule fires too
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        Assert.DoesNotContain(h.Store.Get(Harness.Identity.Key)!.Processes, p => p.Executable == "/tmp/echo");

        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Harness.Identity.Key)! with { Mode = ProfileMode.Protect });
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        Assert.NotNull(h.Enforcement.Applied[^1].Profile); // Protect carries the profile to push into the kernel
        h.Feed(Records.Exec(h.Cgroup, 102, 100, "/tmp/echo", ["/tmp/echo", "again"], ExeFlags.Overlay | ExeFlags.UpperLayer));
        Assert.Equal((102, DeviationKind.Drift), Assert.Single(h.Enforcement.Blocks));
        var blocked = h.Sink.Alerts.Last(a => a.GetProperty("zerodrift").GetProperty("kind").GetString() == "profile");
        Assert.Equal("killed", blocked.GetProperty("zerodrift").GetProperty("action").GetString());
        Assert.Equal("Critical", blocked.GetProperty("priority").GetString());
        Assert.True(blocked.GetProperty("zerodrift").TryGetProperty("blockLatencyMs", out _));
    }

    [Theory]
    [InlineData("the container's next exec")]
    [InlineData("housekeeping, the container being quiet")]
    public void Protect_whose_process_exited_while_it_was_applied_waits_for_the_containers_next_process(string appliedBy)
    {
        using var h = new Harness(ProfileMode.Protect);
        // A restarting container: the process the enforcement resolved the profile's files in has exited.
        h.Enforcement.GoneOnNextApplies = 1;
        // This test's own process stands for the container's: its cgroup and /proc entry are real and alive. The
        // container is first met at a file open (an exec would retry at once).
        var pid = Environment.ProcessId;
        h.Feed(Records.Open(h.Cgroup, pid, "/etc/hostname", 0));
        Assert.Empty(h.Enforcement.Applied);
        Assert.Contains(h.Log, l => l.Contains("waits for a live process of the container", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Log, l => l.Contains("warning", StringComparison.Ordinal));
        if (appliedBy.StartsWith("housekeeping", StringComparison.Ordinal)) h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        else h.Feed(Records.Exec(h.Cgroup, pid, 1, "/bin/busybox", ["/bin/httpd", "-f"]));
        var applied = Assert.Single(h.Enforcement.Applied);
        Assert.Equal((h.Cgroup, ProfileMode.Protect), (applied.Container.CgroupId, applied.Mode));
        Assert.NotNull(applied.Container.CgroupPath);
    }

    [Fact]
    public void A_sensitive_read_raises_the_default_rules_alert_with_the_processes_and_containers_fields()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["cat", "/etc/shadow"]));
        h.Feed(Records.Open(h.Cgroup, 100, "/etc/shadow", 0));
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
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Loop.ObserveSyscalls(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59] }, DateTimeOffset.UtcNow);
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        Assert.Equal(["close", "execve", "read", "write"], h.Store.Get(Harness.Identity.Key)!.Syscalls.Order(StringComparer.Ordinal));
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Harness.Identity.Key)! with { Mode = ProfileMode.Monitor });
        h.Loop.Housekeeping(DateTimeOffset.UtcNow);
        h.Loop.ObserveSyscalls(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59, 83] }, DateTimeOffset.UtcNow);
        h.Loop.ObserveSyscalls(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59, 83] }, DateTimeOffset.UtcNow);
        var alert = Assert.Single(h.Sink.Alerts);
        Assert.Contains("mkdir", alert.GetProperty("output").GetString());
        Assert.Equal("syscall", alert.GetProperty("zerodrift").GetProperty("deviation").GetString());
    }

    [Fact]
    public void The_runtimes_own_init_is_plumbing_not_the_workload()
    {
        using var h = new Harness(ProfileMode.Monitor);
        // runc init runs from runc's clone of itself (outside the image) in the container's cgroup before the entrypoint.
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/", ["/usr/bin/runc", "init"], ExeFlags.None));
        h.Feed(Records.Open(h.Cgroup, 100, "/proc/sys/net/ipv4/ping_group_range", 1, reason: OpenReason.Write));
        Assert.Empty(h.Sink.Lines);
        // The same command line from a file of the image is the workload's: profiled (and here alerted).
        h.Feed(Records.Exec(h.Cgroup, 101, 1, "/usr/bin/runc", ["/usr/bin/runc", "init"], ExeFlags.Overlay));
        Assert.NotEmpty(h.Sink.Lines);
    }

    [Fact]
    public void The_runtimes_init_clones_first_met_in_proc_are_plumbing_too()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/", ["runc", "init"], ExeFlags.None));
        // runc:[1:CHILD], a clone of runc init that never executes anything: the agent meets it in /proc (a zombie by
        // then: no exe, no command line), when it enters the container's namespaces.
        h.ProcEntry(101, "runc:[1:CHILD]", ppid: 100);
        h.Feed(Records.Open(h.Cgroup, 101, "/proc/sys/net/ipv4/ping_group_range", 1, reason: OpenReason.Write));
        // The same once runc init has exited and the stage was reparented to the runtime's monitor: told by its name.
        h.ProcEntry(102, "runc:[1:CHILD]", ppid: 1);
        h.Feed(Records.Open(h.Cgroup, 102, "/proc/sys/net/ipv4/ping_group_range", 1, reason: OpenReason.Write));
        Assert.Empty(h.Sink.Lines);
        // A process the workload forked, met the same way, is the workload's.
        h.Feed(Records.Exec(h.Cgroup, 200, 1, "/bin/httpd", ["httpd"]));
        h.ProcEntry(201, "httpd", ppid: 200);
        h.Feed(Records.Open(h.Cgroup, 201, "/proc/sys/net/ipv4/ping_group_range", 1, reason: OpenReason.Write));
        Assert.NotEmpty(h.Sink.Lines);
    }

    [Fact]
    public async Task The_images_executables_are_the_only_candidates_for_trust_once_the_image_is_read()
    {
        using var image = new TempDir();
        image.File("bin/busybox", "ELF");
        File.SetUnixFileMode(image.Combine("bin/busybox"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var trust = new ImageTrustCache((id, ct) =>
        {
            Assert.Equal(Harness.ImageId, id);
            using var fs = new Artifacts.FileSystems.DirectoryFileSystem(image.Path);
            return ImageTrust.FromFileSystem(fs, ct);
        });
        using var h = new Harness(ProfileMode.Learn, trust);
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.NotNull(await trust.WhenLoaded(Harness.ImageId));
        // On the image's overlay but not among its files: a volume, or a path the image does not ship.
        h.Feed(Records.Exec(h.Cgroup, 101, 100, "/opt/tool", ["/opt/tool"], ExeFlags.Overlay));
        var drift = h.Sink.Alerts.Single(a => a.GetProperty("rule").GetString() == "ZeroDrift Drift: Executable Not From the Image");
        Assert.Contains("is not an executable of image localhost/web:1", drift.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Every_record_the_agent_sends_reads_back_through_the_servers_parser_as_the_agent_meant_it()
    {
        using var h = new Harness(ProfileMode.Learn, learning: new LearningPolicy(TimeSpan.FromSeconds(5), ProfileMode.Monitor));
        var records = new List<AgentRecord>();
        h.Loop.Uplink = records.Add;
        h.Alerts.Uplink = records.Add;
        records.Add(ServerRecords.Host("node-1", EnforcementReport.Registration(h.Enforcement), DateTimeOffset.UtcNow));
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        h.Feed(Records.Connect(h.Cgroup, 100, IPAddress.Parse("10.88.0.5"), IPAddress.Parse("10.88.0.7"), 5432));
        h.Loop.Housekeeping(DateTimeOffset.UtcNow.AddSeconds(6)); // learning ends: a profile record
        using (var other = ProfileStore.Open(h.StorePath))
            other.Save(other.Get(Harness.Identity.Key)! with { Mode = ProfileMode.Protect });
        h.Loop.Housekeeping(DateTimeOffset.UtcNow.AddSeconds(7));
        h.Feed(Records.Exec(h.Cgroup, 102, 100, "/tmp/echo", ["/tmp/echo", "hi"], ExeFlags.Overlay | ExeFlags.UpperLayer)); // drift: killed

        // Exactly what the channel sends, read by the server's own parser.
        var batch = await ZeroDrift.Server.Ingestion.AgentBatchParser.ParseAsync(new MemoryStream(AgentRecordCodec.ToNdjson(records)), 0, default);
        var host = Assert.Single(batch.Hosts);
        Assert.Equal(("node-1", EnforcementKind.UserSpace), (host.Name, host.Enforcement?.Mode));
        var container = Assert.Single(batch.Containers);
        Assert.Equal((Harness.ContainerId, "node-1", "web", "localhost/web:1", Harness.Digest, "running"), (container.Id, container.Host, container.Workload, container.Image, container.ImageDigest, container.State));
        Assert.Equal(["exec /bin/busybox", "network 10.88.0.7:5432", "exec /tmp/echo"], batch.Events.Select(e => $"{e.Kind} {e.Path}"));
        Assert.All(batch.Events, e => Assert.True(e.ContainerId == Harness.ContainerId && e.Workload == "web" && e.Process.Length > 0 && e.At > 0));
        Assert.Equal(["monitor", "protect"], batch.Profiles.Select(p => p.Mode));
        var model = System.Text.Json.JsonSerializer.Deserialize(batch.Profiles[0].Body, AgentRecordJson.Default.ProfileModel)!;
        Assert.Equal(["/bin/busybox"], model.Exec);
        Assert.Equal(new ProfileFlow("10.88.0.7", 5432), Assert.Single(model.Network));
        Assert.Equal(Harness.Digest, model.ImageDigest);
        // The drift in Protect: killed by the (user-space) enforcement, with when, where, and the alert's own words.
        var drift = batch.Alerts.Single(a => a.Rule == "ZeroDrift Drift: Executable Not From the Image");
        Assert.Equal(("critical", "killed", Harness.ContainerId, "web"), (drift.Severity, drift.Action, drift.ContainerId, drift.Workload));
        Assert.True(drift.ActionAt >= drift.EventAt);
        var sent = (AlertRecord)AgentRecordCodec.Read(System.Text.Encoding.UTF8.GetBytes(drift.Detail));
        Assert.Equal(EnforcementKind.UserSpace, sent.Enforcement);
        Assert.Contains("/tmp/echo", sent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_ends_after_the_quiet_period_and_advances()
    {
        using var h = new Harness(ProfileMode.Learn, learning: new LearningPolicy(TimeSpan.FromSeconds(5), ProfileMode.Monitor));
        h.Feed(Records.Exec(h.Cgroup, 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.Empty(h.Loop.Housekeeping(DateTimeOffset.UtcNow));
        var change = Assert.Single(h.Loop.Housekeeping(DateTimeOffset.UtcNow.AddSeconds(6)));
        Assert.Equal((ProfileMode.Learn, ProfileMode.Monitor), (change.From, change.To));
        Assert.Equal(ProfileMode.Monitor, h.Store.Get(Harness.Identity.Key)!.Mode);
    }
}
