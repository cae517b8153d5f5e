using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Server.Client;
using ZeroDrift.Sensor.Events;

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

/// <summary>Records what the loop asks of the enforcement; <see cref="KilledExecs"/> stands for the kernel's per-pid
/// record of execs it killed, which the real enforcer reads from its map.</summary>
internal sealed class RecordingEnforcement(bool inKernel = false) : IEnforcement
{
    public List<(EnforcedContainer Container, ProfileMode Mode, BehaviourProfile? Profile)> Applied { get; } = [];
    public List<ulong> Forgotten { get; } = [];
    public HashSet<int> KilledExecs { get; } = [];

    /// <summary>The drift prevention last asked for each cgroup.</summary>
    public Dictionary<ulong, bool> DriftPrevention { get; } = [];
    public string Description => "recording";
    public bool InKernel => inKernel;

    /// <summary>How many of the next applies find their process gone, as a real one does when the container's
    /// processes exit while it is set up.</summary>
    public int GoneOnNextApplies { get; set; }

    /// <summary>How many of the next applies fail as a kernel that refuses an update does.</summary>
    public int FailNextApplies { get; set; }

    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile, bool driftPrevention = false)
    {
        if (FailNextApplies > 0)
        {
            FailNextApplies--;
            throw new SensorException("cannot update map zde_mode: No space left on device");
        }
        if (GoneOnNextApplies > 0)
        {
            GoneOnNextApplies--;
            throw new ContainerProcessGoneException(container.PidInContainer);
        }
        Applied.Add((container, mode, profile));
        DriftPrevention[container.CgroupId] = driftPrevention;
    }

    public void Forget(ulong cgroupId) => Forgotten.Add(cgroupId);
    public bool KilledAtExec(int pid, long execTimeNs) => KilledExecs.Contains(pid);
    public void Dispose() { }
}

/// <summary>The sensor's maps as the loop changes them (watch flags, forgotten cgroups), and its wake-ups.</summary>
internal sealed class RecordingSensor : ISensorControl
{
    private int _wakes;
    public Dictionary<ulong, WatchFlags> Watched { get; } = [];
    public List<ulong> Forgotten { get; } = [];
    public Dictionary<ulong, int[]> Sets { get; } = [];
    public int Wakes => Volatile.Read(ref _wakes);

    public void Watch(ulong cgroupId, WatchFlags flags)
    {
        if (flags == WatchFlags.None) Watched.Remove(cgroupId);
        else Watched[cgroupId] = flags;
    }

    public IReadOnlyDictionary<ulong, int[]> ReadSyscallSets() => Sets;

    public int[] Forget(ulong cgroupId)
    {
        Forgotten.Add(cgroupId);
        Watched.Remove(cgroupId);
        return Sets.Remove(cgroupId, out var last) ? last : [];
    }

    public void Wake() => Interlocked.Increment(ref _wakes);
}

/// <summary>A clock the test moves: CLOCK_MONOTONIC-like nanosecond timestamps and a wall clock that follows them.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ns = 1_000_000_000_000;
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    public override long TimestampFrequency => 1_000_000_000;
    public override long GetTimestamp() => Interlocked.Read(ref _ns);
    public override DateTimeOffset GetUtcNow() => _start.AddTicks((Interlocked.Read(ref _ns) - 1_000_000_000_000) / 100);
    public ulong Ns => (ulong)GetTimestamp();
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ns, by.Ticks * 100);
}

/// <summary>The agent's lines as the command's logger prints them.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel >= LogLevel.Warning ? "warning: " : "") + formatter(state, exception));
}

/// <summary>
/// The loop fed with sensor records byte for byte, with a cgroup tree, a /proc and podman's storage records laid out in
/// a temporary directory and a clock the test moves: attribution, identity, engine, rules, verdicts and alerts as the
/// agent runs them, without a kernel. Its processes' pids are beyond any the kernel gives (so a verdict never kills a
/// real process) unless a test uses a child of its own.
/// </summary>
internal sealed class Harness : IDisposable
{
    public const string ContainerId = "0f2b0bd3a3c04c5bbd0e5e8c8f7f0a8e1e3d2c1b0a9f8e7d6c5b4a3928171615";
    public const string OtherContainerId = "1a2b0bd3a3c04c5bbd0e5e8c8f7f0a8e1e3d2c1b0a9f8e7d6c5b4a3928171699";
    public const string ImageId = "b28f81e824c94d72df302fdc5af221bc6476a43be9dd900d2a453f48ce5d9b0a";
    public const string Digest = "sha256:7b5ed2430c4da69dcb07955201a800c59b22cde7c2f1c325e41575a00fc4410a";

    /// <summary>Pids from here on cannot exist (the kernel's limit is 4,194,304).</summary>
    public const int P = 5_000_000;

    private readonly TempDir _dir = new();
    public ManualClock Clock { get; } = new();
    public ulong Cgroup { get; }
    public ulong OtherCgroup { get; }

    /// <summary>The cgroup tree's root: a host cgroup.</summary>
    public ulong HostCgroup { get; }
    public string CgroupDir { get; }
    public string OtherCgroupDir { get; }
    public MemorySink Sink { get; } = new();
    public AlertPublisher Alerts { get; }
    public RecordingEnforcement Enforcement { get; }
    public RecordingSensor Sensor { get; } = new();
    public ProfileStore Store { get; }
    public AgentLoop Loop { get; }
    public ListLogger Logger { get; } = new();
    public IEnumerable<string> Log => Logger.Lines;
    public string StorePath => _dir.Combine("profiles.db");

    /// <summary>The container's /etc/passwd and /etc/group as the loop reads them (through the process's root).</summary>
    public static readonly Dictionary<string, string> ImageFiles = new(StringComparer.Ordinal)
    {
        ["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        ["/etc/group"] = "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n",
    };

    public Harness(ProfileMode mode = ProfileMode.Learn, ImageTrustCache? trust = null, LearningPolicy? learning = null, RuleSet? ruleSet = null,
        ExecutableHashes? hashes = null, bool kernel = false, Action<AgentRecord>? uplink = null, TimeSpan? syncInterval = null)
    {
        CgroupDir = _dir.Combine($"cgroup/libpod_parent/libpod-{ContainerId}");
        OtherCgroupDir = _dir.Combine($"cgroup/libpod_parent/libpod-{OtherContainerId}");
        Directory.CreateDirectory(CgroupDir);
        Directory.CreateDirectory(OtherCgroupDir);
        Cgroup = Records.Inode(CgroupDir);
        OtherCgroup = Records.Inode(OtherCgroupDir);
        HostCgroup = Records.Inode(_dir.Combine("cgroup"));
        static string Metadata(string name) => JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = name, ["image-name"] = "localhost/web:1" });
        _dir.File("storage/overlay-containers/containers.json", JsonSerializer.Serialize(new[]
        {
            new { id = ContainerId, image = ImageId, metadata = Metadata("web-1") },
            new { id = OtherContainerId, image = ImageId, metadata = Metadata("web-2") },
        }));
        _dir.File("storage/overlay-images/images.json", JsonSerializer.Serialize(new[] { new { id = ImageId, digest = Digest } }));
        Directory.CreateDirectory(_dir.Combine("proc"));
        var proc = new ProcFs(_dir.Combine("proc"));
        var attributor = new Attributor(new CgroupPaths(_dir.Combine("cgroup"), proc), new ContainerMetadata(_dir.Combine("storage")), fetchLabels: false);
        Store = ProfileStore.Open(StorePath);
        var set = ruleSet ?? new RuleSet();
        if (ruleSet is null) RuleLoader.LoadDefaults(set);
        Enforcement = new RecordingEnforcement(kernel);
        var agentUplink = uplink is null ? null : new AgentUplink(uplink, "node-1", Clock);
        Alerts = new AlertPublisher([Sink], Clock);
        var options = new AgentOptions
        {
            DefaultMode = mode,
            Learning = learning ?? new LearningPolicy(TimeSpan.FromHours(1)),
            Hostname = "node-1",
            Clock = Clock,
            ProcRoot = _dir.Combine("proc"),
            CgroupRoot = _dir.Combine("cgroup"),
            SyncInterval = syncInterval ?? TimeSpan.FromSeconds(1),
        };
        Loop = new AgentLoop(options, new AgentParts
        {
            Attributor = attributor,
            Processes = TrackedProcess.Table(proc),
            Alerts = Alerts,
            Enforcement = Enforcement,
            Store = Store,
            Rules = AgentCapture.Compile(set),
            Trust = trust,
            Users = new UserNames((_, path) => ImageFiles.TryGetValue(path, out var text) ? System.Text.Encoding.UTF8.GetBytes(text) : null, Clock),
            Hashes = hashes ?? new ExecutableHashes((_, _) => null),
            Uplink = agentUplink,
        }, Logger);
        if (agentUplink is not null) Alerts.Uplink = agentUplink.Alert;
    }

    /// <summary>The clock's time for a new record: each a microsecond after the last, as the kernel's would be.</summary>
    public ulong Now
    {
        get
        {
            Clock.Advance(TimeSpan.FromTicks(10));
            return Clock.Ns;
        }
    }

    public void Feed(byte[] record) => Records.Feed(Loop, record);

    public byte[] Exec(int pid, int ppid, string path, string[] args, ExeFlags flags = ExeFlags.Overlay, uint uid = 0, ExecExtra? extra = null, ulong? cgroup = null) =>
        Records.Exec(cgroup ?? Cgroup, pid, ppid, path, args, flags, Now, uid, extra);

    public byte[] Open(int pid, string path, uint flags = 0, OpenReason reason = OpenReason.Sensitive, ulong? cgroup = null) =>
        Records.Open(cgroup ?? Cgroup, pid, path, flags, reason: reason, ktime: Now);

    public byte[] Connect(int pid, IPAddress remote, ushort port, int result = 0) =>
        Records.Connect(Cgroup, pid, IPAddress.Parse("10.88.0.5"), remote, port, result, Now);

    public byte[] Exit(int pid, int waitStatus, ulong? cgroup = null) => Records.Exit(cgroup ?? Cgroup, pid, 1, waitStatus, Now);

    /// <summary>A housekeeping round as the timer posts it, drained.</summary>
    public IReadOnlyList<ModeChange> Tick() => Loop.Housekeeping(Clock.GetUtcNow());

    /// <summary>Sets the workload's stored mode as <c>zerodrift profile mode</c> does, and lets the loop pick it up.</summary>
    public void SwitchTo(ProfileMode mode)
    {
        Tick(); // what was learned is saved
        using (var other = ProfileStore.Open(StorePath))
        {
            var stored = other.Get(Identity.Key);
            Assert.True(stored is not null, $"no profile stored; errors: {Loop.Errors}; log:\n{string.Join('\n', Log)}");
            other.Save(stored with { Mode = mode });
        }
        Tick();
    }

    /// <summary>A process as /proc shows it once it has exited but is not yet reaped: stat and status, no exe, no command line.</summary>
    public void ProcEntry(int pid, string comm, int ppid)
    {
        _dir.File($"proc/{pid}/stat", $"{pid} ({comm}) Z {ppid} {pid} {pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
        _dir.File($"proc/{pid}/cmdline", "");
        _dir.File($"proc/{pid}/status", $"Name:\t{comm}\nUid:\t0\t0\t0\t0\n");
        _dir.File($"proc/{pid}/comm", comm + "\n");
    }

    /// <summary>The processes the container's cgroup lists (cgroup.procs) and their names in /proc.</summary>
    public void Members(params (int Pid, string Comm)[] members) => Members(CgroupDir, members);

    public void Members(string cgroupDir, params (int Pid, string Comm)[] members)
    {
        File.WriteAllText(Path.Combine(cgroupDir, "cgroup.procs"), string.Concat(members.Select(m => $"{m.Pid}\n")));
        foreach (var (pid, comm) in members) _dir.File($"proc/{pid}/comm", comm + "\n");
    }

    /// <summary>The container stops: its cgroup's directory goes.</summary>
    public void Stop(string? cgroupDir = null) => Directory.Delete(cgroupDir ?? CgroupDir, recursive: true);

    public static WorkloadIdentity Identity => new("web", Digest, "localhost/web:1");

    public IEnumerable<JsonElement> ProfileAlerts => Sink.Alerts.Where(a => a.GetProperty("zerodrift").GetProperty("kind").GetString() == "profile");

    public void Dispose()
    {
        Loop.Dispose();
        Store.Dispose();
        _dir.Dispose();
    }
}

/// <summary>A child process of the test's own, for verdicts that kill for real.</summary>
internal static class Child
{
    public static Process Start(string file, params string[] args) => Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;

    /// <summary>Waits for the child's exit; its wait status as the sensor's exit record carries it.</summary>
    public static int WaitStatus(Process child)
    {
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), $"child {child.Id} did not exit");
        return Records.WaitStatus(child.ExitCode);
    }
}
