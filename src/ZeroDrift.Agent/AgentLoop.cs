using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Hardening;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using ContainerInfo = ZeroDrift.Sensor.Attribution.ContainerInfo;

namespace ZeroDrift.Agent;

/// <summary>What the loop is made of; the command composes it (tests too, with their own parts).</summary>
public sealed record AgentParts
{
    public required Attributor Attributor { get; init; }
    public required ProcessTable<TrackedProcess> Processes { get; init; }
    public required AlertPublisher Alerts { get; init; }
    public required IEnforcement Enforcement { get; init; }
    public ProfileStore? Store { get; init; }
    public RuleEngine<SyscallEvent>? Rules { get; init; }
    public ImageTrustCache? Trust { get; init; }

    /// <summary>Receives every record after the loop (the JSON event output).</summary>
    public ISensorSink? Inner { get; init; }

    /// <summary>Receives the kernel's syscall set of a cgroup that is gone, as it leaves the kernel (the JSON event
    /// output writes its <c>syscalls</c> line).</summary>
    public Action<ulong, IReadOnlyList<int>>? GoneSyscalls { get; init; }

    public UserNames? Users { get; init; }
    public ExecutableHashes? Hashes { get; init; }
    public Responder? Responder { get; init; }

    /// <summary>Records for the server (containers, events, profiles; alerts go through <see cref="AlertPublisher.Uplink"/>).</summary>
    public AgentUplink? Uplink { get; init; }
}

/// <summary>The sizes of everything the agent keeps per container, process and workload (tests and the long-lived-node
/// benchmark check they return to their baseline when containers go; <c>zerodrift agent status</c> shows them).</summary>
public sealed record AgentSizes(int Containers, int Workloads, int Processes, int Executables, int UserTables, int AttributedCgroups,
    int CgroupPaths, int HeldVerdicts, int PendingKills, int KernelRecords, int DnsNames, int QueuedInputs, int ExecutableHashes)
{
    /// <summary>By name, as the status file carries them.</summary>
    public IReadOnlyDictionary<string, long> ByName() => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["containers"] = Containers, ["workloads"] = Workloads, ["processes"] = Processes, ["executables"] = Executables,
        ["userTables"] = UserTables, ["attributedCgroups"] = AttributedCgroups, ["cgroupPaths"] = CgroupPaths,
        ["heldVerdicts"] = HeldVerdicts, ["pendingKills"] = PendingKills, ["kernelRecords"] = KernelRecords,
        ["dnsNames"] = DnsNames, ["queuedInputs"] = QueuedInputs, ["executableHashes"] = ExecutableHashes,
    };
}

/// <summary>
/// The agent's loop: kernel → sensor → attribution (container, image, workload) → behaviour engine and rules →
/// response and alerts → sinks and server. One thread owns it, the sensor's polling thread: ring-buffer records are
/// handled in place as they are read (<see cref="OnEvent"/>), and every other input — housekeeping ticks, the
/// kernel's blocked records, results of background work, server commands — is posted to one queue
/// (<see cref="Post"/>, from any thread, waking the poller) and handled when the thread drains it after each poll
/// round (<see cref="Drain"/>). Per-container state lives in the <see cref="ContainerTable"/> and is touched from
/// that thread only, so nothing in it is locked. Tests drive the loop synchronously: feed records, post, drain.
/// </summary>
public sealed class AgentLoop : ISensorSink, IDisposable
{
    private readonly AgentOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Attributor _attributor;
    private readonly ProcessTable<TrackedProcess> _processes;
    private readonly RuleEngine<SyscallEvent>? _rules;
    private long _eventNumber;
    private readonly AlertPublisher _alerts;
    private readonly IEnforcement _enforcement;
    private readonly ImageTrustCache? _trust;
    private readonly ISensorSink? _inner;
    private readonly UserNames _users;
    private readonly ExecutableHashes _hashes;
    private readonly AgentUplink? _uplink;
    private readonly Action<ulong, IReadOnlyList<int>>? _goneSyscalls;
    private readonly ProcFs _proc;
    private readonly string _cgroupRoot;
    /// <summary>Tells a gone cgroup from its id when its path was never known (null off a cgroup v2 hierarchy).</summary>
    private readonly CgroupHandles? _cgroupIds;
    private readonly long _wallOffsetNs;
    private readonly ContainerTable _table = new();
    private readonly Verdicts _verdicts;
    private readonly ConcurrentQueue<LoopInput> _queue = new();
    private readonly Dictionary<IPAddress, string> _dnsNames = [];
    private ISensorControl? _sensor;
    private ISensorControl? _wake;
    private ITimer? _timer;
    private FileSystemWatcher? _storeWatch;
    private readonly string? _storePath;
    private int _storeChangePending;
    private bool _stopped;
    private long _events, _observations;

    public BehaviourEngine Engine { get; }

    /// <summary>Failures the agent went on after, per kind (the exit summary shows them).</summary>
    public AgentErrors Errors { get; } = new();

    /// <summary>Executables' content hashes, computed in the background.</summary>
    public ExecutableHashes Hashes => _hashes;

    public long Events => Interlocked.Read(ref _events);
    public long Observations => Interlocked.Read(ref _observations);

    /// <summary>Actions the kernel enforcer reported blocking (read once the loop has stopped).</summary>
    public long KernelBlocks => _verdicts.KernelBlocks;

    public AgentLoop(AgentOptions options, AgentParts parts, ILogger? log = null)
    {
        _options = options;
        _clock = options.Clock;
        _log = log ?? NullLogger.Instance;
        _attributor = parts.Attributor;
        _processes = parts.Processes;
        _rules = parts.Rules;
        _alerts = parts.Alerts;
        _enforcement = parts.Enforcement;
        _trust = parts.Trust;
        _inner = parts.Inner;
        _users = parts.Users ?? new UserNames(clock: _clock);
        _hashes = parts.Hashes ?? new ExecutableHashes();
        _uplink = parts.Uplink;
        _goneSyscalls = parts.GoneSyscalls;
        _proc = new ProcFs(options.ProcRoot);
        _cgroupRoot = options.CgroupRoot ?? FindCgroupRoot();
        _cgroupIds = CgroupHandles.TryOpen(_cgroupRoot);
        _wallOffsetNs = (_clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100 - AlertPublisher.MonotonicNs(_clock);
        Engine = new BehaviourEngine(parts.Store, TrustFor, options.DefaultMode, options.Learning);
        _storePath = parts.Store?.Path;
        _verdicts = new Verdicts(options, _enforcement, parts.Responder ?? new Responder(time: _clock), _alerts, pid => _processes.Peek(pid) is null, Unexplained);
        _table.Forgotten += ForgetEverywhere;
        _table.WorkloadGone += w => UploadProfile(w.Identity); // its last container is gone: the server gets its profile now
        // Background work hands its results to the loop's thread.
        _attributor.LabelsFetched = (cgroup, container) => Post(new LabelsFetched(cgroup, container));
        if (_trust is not null) _trust.Loaded = (image, trust) => Post(new ImageTrustLoaded(image, trust));
    }

    private static string FindCgroupRoot()
    {
        try { return CgroupPaths.FindV2Root(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "/sys/fs/cgroup"; }
    }

    private ImageTrust? TrustFor(WorkloadIdentity identity) => _table.Workload(identity.Key)?.Trust;

    // ------------------------------------------------------------------ inputs

    /// <summary>From any thread: queues an input for the loop's thread and wakes it.</summary>
    public void Post(LoopInput input)
    {
        _queue.Enqueue(input);
        Volatile.Read(ref _wake)?.Wake();
    }

    /// <summary>The sensor is running: posting wakes its thread from now on, and the loop uses it at its next drain.</summary>
    public void AttachSensor(ISensorControl sensor)
    {
        Volatile.Write(ref _wake, sensor);
        Post(new SensorAttached(sensor));
    }

    /// <summary>
    /// Starts the housekeeping timer, which only posts a <see cref="Tick"/>, and watches the profile store's files: a
    /// change made by another process (<c>zerodrift profile mode</c>) posts <see cref="StoreChanged"/>, so a user's
    /// switch applies as soon as it is committed rather than at the next tick (which still catches it where the file
    /// system cannot be watched).
    /// </summary>
    public void Start()
    {
        _timer = _clock.CreateTimer(_ => Post(new Tick()), null, _options.SyncInterval, _options.SyncInterval);
        if (_storePath is { } path && Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            try
            {
                _storeWatch = new FileSystemWatcher(directory, Path.GetFileName(path) + "*") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName };
                _storeWatch.Changed += (_, _) => StoreTouched();
                _storeWatch.Created += (_, _) => StoreTouched();
                _storeWatch.EnableRaisingEvents = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
            {
                // inotify's limits reached, say: the ticks pick switches up.
                _storeWatch?.Dispose();
                _storeWatch = null;
                _log.Note($"the profile store is not watched ({e.Message}): switches apply at the next housekeeping round");
            }
        }
    }

    /// <summary>One <see cref="StoreChanged"/> in the queue at a time, however many writes the commit made.</summary>
    private void StoreTouched()
    {
        if (Interlocked.Exchange(ref _storeChangePending, 1) == 0) Post(new StoreChanged());
    }

    /// <summary>
    /// Handles what was posted (as many as were queued when it began: posting faster than this drains does not keep the
    /// thread from its ring), then settles what waited long enough: held verdicts, kills, unexplained kernel blocks.
    /// The loop's thread calls it after each poll round; tests call it after they post.
    /// </summary>
    public void Drain()
    {
        _table.AssertOwner();
        for (var n = _queue.Count; n > 0 && _queue.TryDequeue(out var input); n--)
        {
            try { Dispatch(input); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failed(AgentError.Input, input.GetType().Name, null, e);
            }
        }
        // After a poll round every record submitted before it was read: the events have come up to now. Once the last
        // round ran, nothing waits any more (the records read until the sensor detaches are settled at once).
        _verdicts.Settle(AlertPublisher.MonotonicNs(_clock), final: _stopped);
    }

    private void Dispatch(LoopInput input)
    {
        switch (input)
        {
            case Tick t: Housekeeping(t.At ?? _clock.GetUtcNow()); break;
            case SyscallSetsRead s: ObserveSyscalls(s.Sets, s.At); break;
            case KernelBlocked k: _verdicts.OnKernelBlocked(k.Action); break;
            case ExecutableHashed h: OnHashed(h); break;
            case LabelsFetched l: OnLabels(l.CgroupId, l.Container); break;
            case ImageTrustLoaded i: OnImageTrust(i.ImageId, i.Trust); break;
            case StoreChanged:
                Volatile.Write(ref _storeChangePending, 0);
                SyncModes(_clock.GetUtcNow());
                break;
            case SensorAttached a: OnSensorAttached(a.Sensor); break;
            case StopRequested stop:
                FinalRound();
                stop.Done.TrySetResult();
                break;
        }
    }

    public void OnEvent(scoped in SensorEvent ev, long receivedNs)
    {
        _table.AssertOwner();
        var h = ev.Header;
        Interlocked.Increment(ref _events);
        ContainerEntry? entry = null;
        try
        {
            if (h.Type == EventType.Exit) _verdicts.OnExit((int)h.Tgid, ev.AsExit().Signal, (long)h.KTime);
            var container = _attributor.Resolve(h.CgroupId, (int)h.Tgid);
            if (container is not null)
            {
                entry = _table.Get(h.CgroupId) ?? Discover(h.CgroupId, container, (int)h.Tgid);
                Handle(ev, h, entry);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One bad event must not stop the loop.
            Failed(AgentError.Event, $"{EventLayout.Name(h.Type)} event of pid {h.Tgid}", entry, e);
        }
        _inner?.OnEvent(ev, receivedNs);
        if (h.Type == EventType.Exit) _processes.OnExit((int)h.Tgid);
    }

    public void OnIdle()
    {
        Drain();
        _inner?.OnIdle();
    }

    // ------------------------------------------------------------------ containers

    /// <summary>A cgroup's first event: its entry, its workload's image, its mode pushed to the enforcement, its watch flag.</summary>
    private ContainerEntry Discover(ulong cgroupId, ContainerInfo container, int pid)
    {
        var path = _attributor.PathOf(cgroupId) ?? _proc.CgroupPath(pid) ?? "";
        var entry = _table.Add(cgroupId, path, WorkloadBinding.For(container, _options.Host), pid);
        if (entry.Binding.IsHost || entry.Identity is not { } identity) return entry;
        Arrived(entry, identity);
        return entry;
    }

    /// <summary>A container of a workload: its image read (once per image), its mode applied, watched, told to the server.</summary>
    private void Arrived(ContainerEntry entry, WorkloadIdentity identity)
    {
        if (_table.Workload(identity.Key) is { ImageId: { } imageId, Trust: null } workload && _trust is not null)
            workload.Trust = _trust.Get(imageId); // starts reading the image now, while the container starts
        Enforce(entry, entry.Pid);
        Watch(entry);
        _uplink?.Container(entry.Binding.Container, identity);
    }

    /// <summary>
    /// Pushes the container's mode (and for Protect its workload's profile) to the enforcement. A workload in Learn
    /// has nothing in the kernel, so a container first met in Learn is only marked. Files are resolved through a live
    /// process of the container, never the runtime's init still setting it up (its root may not be the container's
    /// yet): without one, the container waits for its process (<see cref="ContainerState.AwaitingProcess"/>).
    /// </summary>
    private void Enforce(ContainerEntry entry, int pid)
    {
        if (entry.Identity is not { } identity) return;
        var mode = Engine.ModeOf(identity);
        // Drift prevention puts even a container in Learn under its workload's policy in the kernel.
        var drift = DriftPrevented(entry, identity);
        if (mode == ProfileMode.Learn && !drift && entry.State == ContainerState.Discovered)
        {
            (entry.State, entry.Mode) = (ContainerState.Enforced, mode);
            return;
        }
        var live = LiveMember(entry.CgroupPath, out var onlyRuntime);
        if (live is null && onlyRuntime && (mode != ProfileMode.Learn || drift))
        {
            Await(entry, mode, "the container's first program");
            return;
        }
        try
        {
            _enforcement.Apply(new EnforcedContainer(entry.CgroupId, entry.CgroupPath, entry.Binding.Container.Id, live ?? pid, identity.Key), mode,
                mode == ProfileMode.Learn ? null : Engine.ProfileOf(identity), drift);
            (entry.State, entry.Mode) = (ContainerState.Enforced, mode);
        }
        catch (ContainerProcessGoneException)
        {
            // Every process the cgroup listed had exited, and so had the event's (a restarting container's runtime
            // stages), or it exited while its root was read.
            Await(entry, mode, "a live process of the container");
        }
        catch (Exception e) when (e is SensorException or IOException or InvalidOperationException or ArgumentException)
        {
            Failed(AgentError.Enforcement, "enforcement", entry, e);
        }
    }

    /// <summary>Drift prevention applies to the container: the agent's own covers it, or its workload's profile asks for it.</summary>
    private bool DriftPrevented(ContainerEntry entry, WorkloadIdentity identity) =>
        !entry.Binding.IsHost && (_options.DriftPrevention.Covers(entry.CgroupPath) || Engine.DriftPreventionOf(identity));

    private void Await(ContainerEntry entry, ProfileMode mode, string what)
    {
        if (entry.State != ContainerState.AwaitingProcess) _log.EnforcementWaits(entry.Name, what);
        (entry.State, entry.Mode) = (ContainerState.AwaitingProcess, mode);
    }

    /// <summary>A container waiting for its process: enforced once a live process that is not the runtime's lets it.</summary>
    private void Retry(ContainerEntry entry, int pid)
    {
        if (entry.State != ContainerState.AwaitingProcess || LiveMember(entry.CgroupPath, out _) is null) return;
        Enforce(entry, pid);
    }

    /// <summary>
    /// Containers of workloads in Learn and Monitor have every open reported by the kernel (reads included), so that
    /// profiles hold the files read and Monitor alerts reads outside them; in Protect only the kernel's default filter
    /// (writes, sensitive paths) applies. The flag is per cgroup: other processes' opens stay filtered.
    /// </summary>
    private void Watch(ContainerEntry entry)
    {
        if (_sensor is not { } sensor || entry.Identity is not { } identity) return;
        var watch = Engine.ModeOf(identity) is ProfileMode.Learn or ProfileMode.Monitor;
        if (entry.Watched == watch) return;
        try
        {
            sensor.Watch(entry.CgroupId, watch ? WatchFlags.AllOpens : WatchFlags.None);
            entry.Watched = watch;
        }
        catch (Exception e) when (e is SensorException or ObjectDisposedException)
        {
            Failed(AgentError.Watch, "the watch flag", entry, e);
        }
    }

    /// <summary>Containers whose cgroup is gone are forgotten (their ids may be reused): one removal from the table.</summary>
    private void ForgetGone()
    {
        foreach (var entry in _table.Entries())
            if (Gone(entry)) _table.Remove(entry);
    }

    /// <summary>
    /// Only a cgroup known to be gone: its directory is not there any more, or the kernel calls its id stale. The id
    /// matters for a cgroup met without a path (a late event of a container already forgotten, whose processes had
    /// exited): by its path alone it would never be forgotten, nor its watch flag taken out of the kernel.
    /// </summary>
    private bool Gone(ContainerEntry entry) =>
        (entry.CgroupPath.Length > 0 && !Directory.Exists(Path.Join(_cgroupRoot, entry.CgroupPath.TrimStart('/'))))
        || _cgroupIds?.Exists(entry.CgroupId) == false;

    /// <summary>What the agent keeps about a container elsewhere than its entry: the attributor's cache, its user-name
    /// tables, its executables and leftover processes, the kernel's maps (the sensor's watch flag and syscall set, the
    /// enforcement).</summary>
    private void ForgetEverywhere(ContainerEntry entry)
    {
        try
        {
            // The kernel's last word on the cgroup's system calls (those since the last tick too): learned, and handed to
            // the event output, as the set leaves the kernel.
            if (_sensor?.Forget(entry.CgroupId) is { Length: > 0 } last)
            {
                ObserveSyscalls(entry, last, _clock.GetUtcNow());
                _goneSyscalls?.Invoke(entry.CgroupId, last);
            }
            if (entry.Identity is not null) _enforcement.Forget(entry.CgroupId);
        }
        catch (Exception e) when (e is SensorException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            Failed(AgentError.Forget, "forgetting the cgroup in the kernel", entry, e);
        }
        _attributor.Forget(entry.CgroupId);
        _users.Forget(entry.CgroupId);
        if (entry.OverlayDevices.Count > 0)
        {
            // A container's overlay is its own device; another entry that ran from it (none, but for a cgroup the
            // runtime moved a process into) keeps its hashes.
            var live = _table.Entries().SelectMany(e => e.OverlayDevices).ToHashSet();
            foreach (var device in entry.OverlayDevices)
                if (!live.Contains(device)) _hashes.Forget(device);
        }
        _processes.ForgetCgroup(entry.CgroupId);
    }

    private void OnSensorAttached(ISensorControl sensor)
    {
        _sensor = sensor;
        // Containers met before the sensor was handed over: their watch flags now.
        foreach (var entry in _table.Entries()) Watch(entry);
    }

    private void OnLabels(ulong cgroupId, ContainerInfo container)
    {
        _attributor.Update(cgroupId, container);
        if (_table.Get(cgroupId) is not { } entry) return;
        var before = entry.Identity?.Key;
        _table.Rebind(entry, WithStart(WorkloadBinding.For(container, _options.Host), entry.Binding.RuleContainer?.StartTimeNanoseconds ?? 0));
        // Labels named the pod: the container belongs to another workload, whose mode and profile apply (in the kernel
        // too, whatever the one before had put there).
        if (entry.Identity is { } identity && identity.Key != before) Arrived(entry, identity);
    }

    private void OnImageTrust(string imageId, ImageTrust? trust)
    {
        foreach (var workload in _table.Workloads())
            if (workload.ImageId == imageId) workload.Trust = trust;
    }

    private void OnHashed(ExecutableHashed h)
    {
        h.Process.ExeSha256 ??= h.Sha256;
        if (h.Identity is not null && !h.FromWritableLayer) Engine.RecordHash(h.Identity, h.Executable, h.Sha256);
    }

    /// <summary>The first process listed in a cgroup's <c>cgroup.procs</c> that is not the runtime's init (runc's
    /// stages name themselves <c>runc:[…]</c> until they exec the container's program).</summary>
    private int? LiveMember(string cgroupPath, out bool onlyRuntime) => LiveMember(ProcsFile(cgroupPath), _proc, out onlyRuntime);

    private string ProcsFile(string cgroupPath) => Path.Join(_cgroupRoot, cgroupPath.TrimStart('/'), "cgroup.procs");

    private static int? LiveMember(string procsFile, ProcFs proc, out bool onlyRuntime)
    {
        onlyRuntime = false;
        try
        {
            foreach (var line in File.ReadLines(procsFile))
            {
                if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) continue;
                if (proc.Comm(pid) is not { } comm) continue;
                if (comm.StartsWith("runc:[", StringComparison.Ordinal) || comm is "runc" or "crun")
                {
                    onlyRuntime = true;
                    continue;
                }
                onlyRuntime = false;
                return pid;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    // ------------------------------------------------------------------ events

    private void Handle(scoped in SensorEvent ev, EventHeader h, ContainerEntry entry)
    {
        // Falco's evt.num: every record the loop handles is numbered, from 1, whether or not a rule sees it.
        _eventNumber++;
        var tgid = (int)h.Tgid;
        var binding = entry.Binding;
        if (entry.Pid != tgid && !binding.IsHost)
        {
            // Keep a live process of the container at hand; one waiting for its process may now be enforced.
            entry.Pid = tgid;
            Retry(entry, tgid);
        }
        var skip = binding.IsHost && _options.Host == HostPolicy.Skip;
        var unixNs = (long)h.KTime + _wallOffsetNs;
        var at = new DateTimeOffset(DateTime.UnixEpoch.AddTicks(unixNs / 100));
        var identity = binding.Identity;
        switch (h.Type)
        {
            case EventType.Exec:
            {
                var e = ev.AsExec();
                var facts = ProcessFacts.FromExec(ev);
                var upper = (e.ExeFlags & ExeFlags.UpperLayer) != 0;
                var memfd = (e.ExeFlags & ExeFlags.Memfd) != 0;
                // Names from the process's own root (its mount namespace's /etc/passwd), read once per namespace.
                var (user, group) = skip ? default : _users.Resolve(h.CgroupId, e.MntNs, tgid, e.Uid, e.Gid, () => OtherMember(entry, tgid));
                var process = _processes.OnExec(facts);
                process.Describe(EventMapper.Facts(e, ev.Env, user, group, (long)h.KTime + _wallOffsetNs));
                if (!binding.IsHost && e.Vpid == 1) binding = ContainerStarted(entry, process);
                // The runtime's init just became the container's program: enforcement that waited for it goes on now.
                Retry(entry, tgid);
                if (skip || (!binding.IsHost && process.RuntimeInit)) return;
                var exe = facts.ExePath;
                if (!binding.IsHost && (e.ExeFlags & ExeFlags.Overlay) != 0) entry.OverlayDevices.Add(e.ExeDev);
                var sha = memfd ? null : Hash(new ExecutableKey(e.ExeDev, e.ExeIno, e.ExeSize, e.ExeMtimeNs), exe, tgid, entry, process, upper);
                Verdict? verdict = null;
                if (identity is not null)
                {
                    // A parent that forked without exec (httpd's per-request child running a CGI) was never seen to exec,
                    // and may be gone already: the event names its executable's file (mm->exe_file, what the kernel's
                    // Protect check keys on), known by the path it was exec'd under; else it is read from /proc.
                    // A parent outside the container is the runtime's, classed by the kernel at the exec itself: one
                    // stable identity per way in, whether or not runc was still there (or its pid reused) when the
                    // record was read, and the same class the kernel's Protect decides on.
                    var parent = e.ParentClass switch
                    {
                        ExecParentClass.Entry => RuntimeParent.Entry,
                        ExecParentClass.RuntimeExec => RuntimeParent.Exec,
                        _ => _processes.Peek((int)e.Ppid)?.ExePath ?? _processes.ExecutablePath(e.ParentExeDev, e.ParentExeIno)
                            ?? _processes.Get((int)e.Ppid)?.ExePath,
                    };
                    if (parent is { Length: 0 }) parent = null; // /proc could not name it
                    var userName = user?.Name ?? e.Uid.ToString(CultureInfo.InvariantCulture);
                    verdict = Observe(new ExecObservation(identity, at, exe, parent, userName, upper, memfd, sha, tgid, e.Uid, ProgramName.Of(facts.Args, exe),
                        DriftPrevention: !binding.IsHost && _options.DriftPrevention.Covers(entry.CgroupPath)));
                    Act(verdict, entry, process, (long)h.KTime, unixNs, exe, BlockTarget.Exec, driftAtExec: upper || memfd);
                }
                var fromImage = upper || memfd ? false : identity is not null && TrustFor(identity) is { } trust ? trust.Ships(exe) : (bool?)null;
                Match(EventMapper.ExecEvent(Context(process, binding, unixNs, verdict, fromImage), exe), binding, verdict, (long)h.KTime);
                UploadEvent("exec", entry, at, exe, process);
                break;
            }
            case EventType.Open:
            {
                if (skip || _processes.Get(tgid) is not { } process || (process.RuntimeInit && !binding.IsHost)) return;
                var open = ev.AsOpen();
                var path = EventMapper.AbsolutePath(Encoding.UTF8.GetString(ev.OpenPath), open.DirFd, process.Cwd);
                Verdict? verdict = null;
                if (identity is not null)
                {
                    verdict = Observe(new FileObservation(identity, at, path, EventMapper.Access(open.Flags), process.ExePath, tgid));
                    Act(verdict, entry, process, (long)h.KTime, unixNs, path, BlockTarget.Other);
                }
                Match(EventMapper.OpenEvent(open, path, Context(process, binding, unixNs, verdict, null)), binding, verdict, (long)h.KTime);
                UploadEvent("file", entry, at, path, process);
                break;
            }
            case EventType.Connect or EventType.Accept or EventType.Bind or EventType.Listen:
            {
                if (skip || _processes.Get(tgid) is not { } process || (process.RuntimeInit && !binding.IsHost)) return;
                var net = ev.AsNet();
                var remote = EventMapper.Address(net.Family, net.RemoteAddr);
                var name = _dnsNames.GetValueOrDefault(remote);
                Verdict? verdict = null;
                if (identity is not null && EventMapper.Network(net, identity, at, process, name) is { } observation)
                {
                    verdict = Observe(observation);
                    Act(verdict, entry, process, (long)h.KTime, unixNs, $"{remote}:{(h.Type == EventType.Accept ? net.LocalPort : net.RemotePort)}",
                        h.Type == EventType.Connect ? BlockTarget.Connect : BlockTarget.Other, h.Type == EventType.Connect ? net.Result : null);
                }
                Match(EventMapper.NetworkEvent(net, Context(process, binding, unixNs, verdict, null), name), binding, verdict, (long)h.KTime);
                if (h.Type is EventType.Connect or EventType.Accept) UploadEvent("network", entry, at, $"{remote}:{net.RemotePort}", process);
                break;
            }
            case EventType.Dns:
            {
                var dns = ev.AsDns();
                if (dns.Direction != 0)
                {
                    if (DnsMessage.TryParse(ev.DnsPayload, out var message) && message is { IsResponse: true }) RememberNames(message);
                }
                else if (identity is not null && !skip && Engine.ModeOf(identity) == ProfileMode.Learn)
                {
                    // A question sent to a resolver with sendto() is egress the sensor reports only as DNS: learned, so
                    // that Protect allows the resolver (the kernel refuses unknown datagrams, and reports them itself).
                    Observe(new NetworkObservation(identity, at, NetworkDirection.Egress, "udp", EventMapper.Address(dns.Family, dns.RemoteAddr), dns.RemotePort,
                        null, _processes.Peek(tgid)?.ExePath, tgid));
                }
                break;
            }
            case EventType.Syscall:
            {
                if (skip) return;
                var sc = ev.AsSyscall();
                if ((_processes.Get(tgid) ?? Forked(tgid, (int)sc.Ppid, Comm16.Text(sc.Comm))) is not { } process || (process.RuntimeInit && !binding.IsHost)) return;
                var mntNs = process.MountNamespace;
                // A successful setuid/setgid-family call: the process is the new user from now on (Falco's user.uid on
                // the exit event is the effective uid after the call), named in the process's own passwd.
                if (!sc.AtEntry && sc.Result == 0 && NotableSyscalls.NameOf((int)sc.Nr) is { } call && call.StartsWith("set", StringComparison.Ordinal)
                    && (call.EndsWith("uid", StringComparison.Ordinal) || call.EndsWith("gid", StringComparison.Ordinal))
                    && (sc.Euid != process.Info.Uid || sc.Egid != process.Info.Gid))
                {
                    var (user, group) = _users.Resolve(h.CgroupId, mntNs, tgid, sc.Euid, sc.Egid, () => OtherMember(entry, tgid));
                    process.ChangeCredentials(sc.Euid, sc.Egid, user, group);
                }
                var atCall = process.AtCall(Comm16.Text(sc.Comm), sc.CapPermitted, sc.CapEffective, sc.CapInheritable);
                string? UserName(long uid) => _users.Resolve(h.CgroupId, mntNs, tgid, uid, process.Info.Gid, () => OtherMember(entry, tgid)).User?.Name;
                if (EventMapper.NotableEvent(sc, EventMapper.NotableText.From(ev), Context(process, binding, unixNs, null, null), atCall, UserName) is { } notable)
                    Match(notable, binding, null, (long)h.KTime);
                break;
            }
        }
    }

    /// <summary>A child forked without exec and gone before its record was read: known through its parent (the exec
    /// record's further facts included: user names, capabilities), as Falco knows a clone's child.</summary>
    private TrackedProcess? Forked(int pid, int ppid, string comm)
    {
        if (_processes.Forked(pid, ppid, comm) is not { } child) return null;
        if (_processes.Peek(ppid)?.Details is { } details) child.Describe(details);
        return child;
    }

    /// <summary>
    /// The executable's SHA-256 when already known; otherwise it is queued for the background hashing, whose result
    /// comes back to the loop (<see cref="ExecutableHashed"/>) for the process (later events carry it) and the profile
    /// of a workload in Learn (the entry learned without it). An executable from the writable layer is hashed for
    /// alerts, never recorded in the profile (it is drift).
    /// </summary>
    private string? Hash(ExecutableKey key, string exe, int pid, ContainerEntry entry, TrackedProcess process, bool upper)
    {
        if (_hashes.Get(key) is { } known)
        {
            process.ExeSha256 = known;
            return known;
        }
        // What the worker needs, copied: it reads files and /proc, never the loop's state.
        var identity = entry.Identity;
        var host = entry.Binding.IsHost;
        var procs = ProcsFile(entry.CgroupPath);
        var proc = _proc;
        _hashes.Request(key, exe, () => Candidates(pid, procs, proc, host), sha => Post(new ExecutableHashed(process, identity, exe, upper, sha)));
        return null;
    }

    /// <summary>Processes whose root holds a container's files: the one that ran it, then any live member of its cgroup.</summary>
    private static IEnumerable<int> Candidates(int pid, string procsFile, ProcFs proc, bool host)
    {
        yield return pid;
        if (LiveMember(procsFile, proc, out _) is { } live) yield return live;
        if (host) yield return 0;
    }

    /// <summary>A process of the container other than <paramref name="pid"/> (which may have exited): the last one seen, else a live member of its cgroup.</summary>
    private int? OtherMember(ContainerEntry entry, int pid) => entry.Pid != pid ? entry.Pid : LiveMember(entry.CgroupPath, out _);

    private Verdict Observe(Observation observation)
    {
        Interlocked.Increment(ref _observations);
        return Engine.Observe(observation);
    }

    private EventMapper.Context Context(TrackedProcess process, WorkloadBinding binding, long unixNs, Verdict? verdict, bool? fromImage) =>
        new(process, binding, unixNs, _options.Hostname, new ZeroDriftInfo
        {
            ExeFromImage = fromImage,
            InProfile = verdict is null ? null : verdict.Action is EngineAction.None or EngineAction.Learned,
            Mode = binding.Identity is { } id ? ModeName(verdict?.Mode ?? Engine.ModeOf(id)) : null,
            Workload = binding.Identity?.Workload,
            ExeSha256 = process.ExeSha256,
        }, _eventNumber);

    private static string ModeName(ProfileMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>
    /// A deviation: alerted, and in Protect blocked. What the alert says was done is decided by <see cref="Verdicts"/>
    /// from what confirms it (the kernel's records, the process's exit), not by the verdict alone.
    /// </summary>
    /// <paramref name="driftAtExec"/>: an exec from the writable layer or a memfd, which the kernel kills in a policy
    /// with drift prevention whatever the container's mode (the agent's default container policy covers containers it
    /// has not classified): its record is waited for, as in Protect.
    private void Act(Verdict verdict, ContainerEntry entry, TrackedProcess process, long ktime, long unixNs, string? target, BlockTarget on, int? connectResult = null,
        bool driftAtExec = false)
    {
        if (verdict.Action is not (EngineAction.Alert or EngineAction.Block)) return;
        var binding = entry.Binding;
        var workload = binding.Identity?.Workload;
        var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, process.Info, binding.RuleContainer, workload, target, process.ExeSha256);
        var context = new AlertContext("profile", verdict.Deviation, workload, ModeName(verdict.Mode), AlertAction.Detected, null, ktime, null, verdict.Reason, binding.RuleContainer?.Id);
        // The host is never blocked: a profile of the host is for alerting only.
        if (verdict.Action != EngineAction.Block || binding.IsHost)
        {
            _alerts.Publish(alert, context);
            return;
        }
        _verdicts.Block(new BlockVerdict
        {
            Alert = alert,
            Context = context,
            Pid = process.Pid,
            Target = on,
            KernelTimeNs = ktime,
            KernelProtected = _enforcement.InKernel && (entry is { State: ContainerState.Enforced, Mode: ProfileMode.Protect }
                || (driftAtExec && verdict.Deviation == DeviationKind.Drift)),
            ConnectResult = connectResult,
            By = $"profile of {workload} ({(verdict.Deviation ?? DeviationKind.Process).ToString().ToLowerInvariant()} deviation)",
        });
    }

    /// <summary>A kernel block that no sensor event explained (a UDP datagram, which the sensor does not report as a
    /// connect; a record lost under load): its own alert.</summary>
    private void Unexplained(BlockedAction b)
    {
        var binding = _table.Get(b.CgroupId)?.Binding;
        var what = b.Kind == "exec" ? $"exec of {b.Executable ?? "?"}" : $"{b.Protocol ?? "connection"} to {b.Destination}";
        var reason = $"{what} blocked in the kernel ({b.Reasons})";
        var unixNs = b.KernelTimeNs + _wallOffsetNs;
        var mode = binding?.Identity is { } id ? Engine.ModeOf(id) : ProfileMode.Protect;
        var kind = b.Kind == "exec" ? (b.Reasons & (BlockReasons.WritableLayer | BlockReasons.Memfd | BlockReasons.ScriptDrift)) != 0
            ? DeviationKind.Drift : DeviationKind.Process : DeviationKind.Network;
        var verdict = new Verdict(EngineAction.Block, kind, mode, reason);
        var process = new Runtime.Rules.Reference.ProcessInfo { Name = b.Executable is { } exe ? ProcessNode.CommName(exe) : "", ExePath = b.Executable ?? "", Pid = b.Pid };
        var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, process, binding?.RuleContainer, binding?.Identity?.Workload, b.Destination?.ToString() ?? b.Executable);
        _alerts.Publish(alert, new AlertContext("kernel", kind, binding?.Identity?.Workload, ModeName(mode), AlertAction.Blocked, "kernel", b.KernelTimeNs, b.KernelTimeNs,
            reason, binding?.RuleContainer?.Id));
    }

    /// <summary>
    /// Falco's container.start_ts is the start of the container's pid-namespace init: here the exec of its pid 1 (the
    /// runtime's init becoming the container's program), kept across later rebinds. A container already running when
    /// the agent started has none.
    /// </summary>
    private WorkloadBinding ContainerStarted(ContainerEntry entry, TrackedProcess init)
    {
        if (entry.Binding.RuleContainer is not { StartTimeNanoseconds: 0 }) return entry.Binding;
        _table.Rebind(entry, WithStart(entry.Binding, init.Info.StartTimeNanoseconds));
        return entry.Binding;
    }

    private static WorkloadBinding WithStart(WorkloadBinding binding, long startNs) =>
        startNs > 0 && binding.RuleContainer is { } rc ? binding with { RuleContainer = rc with { StartTimeNanoseconds = startNs } } : binding;

    private void Match(SyscallEvent e, WorkloadBinding binding, Verdict? verdict, long ktime)
    {
        // evt.num: Falco numbers events from 1, and its never_true macro is (evt.num=0). Every record Handle takes is
        // numbered; an event built without its record's number gets it here.
        if (e.Number == 0) e = e with { Number = Math.Max(1, _eventNumber) };
        if (_rules?.FirstMatch(e) is not { } rule) return;
        var alert = rule.CreateAlert(e, e.TimeNanoseconds, _options.Hostname);
        var mode = binding.Identity is { } id ? ModeName(verdict?.Mode ?? Engine.ModeOf(id)) : null;
        // The profile already holds this behaviour (a shell learned in Learn): the alert says so, for the console to group apart.
        _alerts.Publish(alert, new AlertContext("rule", null, binding.Identity?.Workload, mode, AlertAction.Detected, null, ktime, null, null, binding.RuleContainer?.Id,
            Learned: e.ZeroDrift.InProfile == true));
    }

    private void RememberNames(DnsMessage message)
    {
        foreach (var answer in message.Answers)
        {
            if (answer.Type is not (1 or 28) || !IPAddress.TryParse(answer.Data, out var ip)) continue;
            if (_dnsNames.Count >= 4096) _dnsNames.Clear(); // bounded: names come back with the next answer
            _dnsNames[ip] = message.Questions.Count > 0 ? message.Questions[0].Name : answer.Name;
        }
    }

    // ------------------------------------------------------------------ housekeeping

    /// <summary>
    /// Applies mode switches and learning's end, saves what was learned, turns the kernel's new per-cgroup syscall
    /// numbers into observations, pushes mode changes to the enforcement, retries containers waiting for their process
    /// and forgets those that are gone. Returns the mode changes. The loop's thread only (a posted <see cref="Tick"/>).
    /// </summary>
    public IReadOnlyList<ModeChange> Housekeeping(DateTimeOffset now)
    {
        _table.AssertOwner();
        try
        {
            var changes = new List<ModeChange>();
            changes.AddRange(Engine.Tick(now));
            changes.AddRange(Engine.Sync(now));
            Apply(changes);
            if (_sensor is { } sensor) ObserveSyscalls(sensor.ReadSyscallSets(), now);
            foreach (var entry in _table.Entries())
            {
                // A flag that could not be set is tried again; a quiet container (a server between requests) may send
                // no event for long, so one waiting for its process is looked at again here.
                Watch(entry);
                Retry(entry, entry.Pid);
            }
            ForgetGone();
            return changes;
        }
        catch (Exception e) when (e is ProfileStoreException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            Failed(AgentError.Housekeeping, "housekeeping", null, e);
            return [];
        }
    }

    /// <summary>Mode switches a user made in the store, applied (and what was learned saved): the store changed.</summary>
    private void SyncModes(DateTimeOffset now)
    {
        try
        {
            Apply(Engine.Sync(now));
        }
        catch (Exception e) when (e is ProfileStoreException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            Failed(AgentError.Housekeeping, "reading the profile store's modes", null, e);
        }
    }

    /// <summary>Each mode change said, pushed to the workload's containers (kernel and watch flag), and its profile uploaded.</summary>
    private void Apply(IReadOnlyList<ModeChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.DriftPrevention is null)
                _log.ModeChanged(change.Workload.Workload, change.Workload.ImageName ?? change.Workload.ImageDigest, ModeName(change.From), ModeName(change.To), change.Why);
            else
                _log.DriftPreventionChanged(change.Workload.Workload, change.Workload.ImageName ?? change.Workload.ImageDigest, ModeName(change.To), change.Why);
            foreach (var entry in _table.OfWorkload(change.Workload.Key))
            {
                Enforce(entry, entry.Pid);
                Watch(entry);
            }
            UploadProfile(change.Workload);
        }
    }

    /// <summary>The syscall numbers each container's cgroup used that were not reported before, as observations.</summary>
    public void ObserveSyscalls(IReadOnlyDictionary<ulong, int[]> sets, DateTimeOffset now)
    {
        _table.AssertOwner();
        foreach (var (cgroup, numbers) in sets)
            if (_table.Get(cgroup) is { } entry) ObserveSyscalls(entry, numbers, now);
    }

    private void ObserveSyscalls(ContainerEntry entry, IReadOnlyList<int> numbers, DateTimeOffset now)
    {
        if (entry.Identity is not { } identity) return;
        var fresh = numbers.Where(entry.SyscallsSeen.Add).Select(SyscallTable.Name).OfType<string>().ToList();
        if (fresh.Count == 0) return;
        var verdict = Observe(new SyscallObservation(identity, now, fresh));
        if (verdict.Action is not (EngineAction.Alert or EngineAction.Block)) return;
        var unixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        var binding = entry.Binding;
        var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, null, binding.RuleContainer, identity.Workload, null);
        // The bitmap is read once per round: the syscall happened within the last round before now.
        _alerts.Publish(alert, new AlertContext("profile", verdict.Deviation, identity.Workload, ModeName(verdict.Mode), AlertAction.Detected, null,
            unixNs - _wallOffsetNs, null, verdict.Reason, binding.RuleContainer?.Id));
    }

    /// <summary>The sizes of what the agent keeps (the loop's thread).</summary>
    public AgentSizes Sizes()
    {
        _table.AssertOwner();
        return new AgentSizes(_table.Count, _table.WorkloadCount, _processes.Count, _processes.ExecutableCount, _users.Namespaces, _attributor.Count,
            _attributor.PathCount, _verdicts.AwaitingKernel, _verdicts.AwaitingExit, _verdicts.KernelRecords, _dnsNames.Count, _queue.Count, _hashes.Count);
    }

    /// <summary>Makes the calling thread the loop's, once the one before has stopped using it (a test that awaited).</summary>
    internal void Adopt() => _table.TransferTo();

    /// <summary>A container's state (the loop's thread): for tests and status.</summary>
    public ContainerEntry? Container(ulong cgroupId) => _table.Get(cgroupId);

    // ------------------------------------------------------------------ server records

    private void UploadEvent(string kind, ContainerEntry entry, DateTimeOffset at, string path, TrackedProcess process)
    {
        if (_uplink is not { } uplink || !_options.UploadEvents || entry.Binding.IsHost || entry.Identity is not { } identity) return;
        uplink.Event(kind, entry.Binding.Container, identity, at, path, process);
    }

    private void UploadProfile(WorkloadIdentity identity)
    {
        if (_uplink is { } uplink && Engine.ProfileOf(identity) is { } profile) uplink.Profile(identity, profile);
    }

    // ------------------------------------------------------------------ stopping

    /// <summary>
    /// Stops the timer and has the loop's thread run its last round (held verdicts settled, learning saved, every
    /// profile uploaded) while the sensor still polls; waits for it at most <paramref name="timeout"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        _timer = null;
        _storeWatch?.Dispose();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new StopRequested(done));
        try
        {
            await done.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Failed(AgentError.Housekeeping, "the last round (the loop's thread did not run it in time)", null, new TimeoutException($"{timeout.TotalSeconds:0} s"));
        }
    }

    /// <summary>The last round, on the calling thread, which must own the loop (tests; a loop with no sensor thread).</summary>
    public void Stop()
    {
        _timer?.Dispose();
        _timer = null;
        Drain();
        FinalRound();
    }

    private void FinalRound()
    {
        _stopped = true;
        Housekeeping(_clock.GetUtcNow());
        _verdicts.Settle(AlertPublisher.MonotonicNs(_clock), final: true);
        foreach (var workload in _table.Workloads()) UploadProfile(workload.Identity);
        _trust?.Stop();
    }

    private void Failed(AgentError kind, string what, ContainerEntry? entry, Exception e)
    {
        if (!Errors.Count(kind, out var count)) return;
        var error = $"{e.GetType().Name}: {e.Message}";
        if (entry is null) _log.Failure(what, count, error);
        else _log.ContainerFailure(what, entry.Name, count, error);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _storeWatch?.Dispose();
        _hashes.Dispose();
        _verdicts.Dispose();
        _enforcement.Dispose();
        _cgroupIds?.Dispose();
    }
}
