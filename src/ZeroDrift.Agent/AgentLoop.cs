using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Hardening;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Server.Client;
using ContainerInfo = ZeroDrift.Sensor.Attribution.ContainerInfo;

namespace ZeroDrift.Agent;

/// <summary>
/// The agent's loop: kernel → sensor → attribution (container, image, workload) → behaviour engine and rules →
/// response and alerts → sinks and server. Runs on the sensor's polling thread, so a verdict is acted on within
/// the same poll round as the kernel event; what can be slow (reading an image's executables) runs in the
/// background. <see cref="Housekeeping"/> runs on a timer: mode switches from the profile store, learning's
/// quiet period, the kernel's per-cgroup syscall sets, enforcement updates.
/// </summary>
public sealed class AgentLoop : ISensorSink, IDisposable
{
    private readonly AgentOptions _options;
    private readonly Attributor _attributor;
    private readonly ProcessCache _processes;
    private readonly RuleEngine<SyscallEvent>? _rules;
    private readonly AlertPublisher _alerts;
    private readonly IEnforcement _enforcement;
    private readonly ImageTrustCache? _trust;
    private readonly ISensorSink? _inner;
    private readonly Action<string> _log;
    private readonly long _wallOffsetNs;
    private readonly Dictionary<ulong, WorkloadBinding> _bindings = [];
    private readonly ConcurrentDictionary<ulong, (WorkloadBinding Binding, int Pid)> _containers = new();
    private readonly ConcurrentDictionary<string, string> _imageOf = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, HashSet<int>> _syscallsSeen = [];
    private readonly Dictionary<IPAddress, string> _dnsNames = [];
    private readonly Lock _housekeeping = new();
    private readonly ConcurrentDictionary<(int Pid, string Kind), long> _recentBlocks = new();
    private readonly UserNames _users;
    private readonly ExecutableHashes _hashes;
    private readonly ConcurrentDictionary<ulong, bool> _watched = new();
    private readonly ConcurrentDictionary<ulong, byte> _enforcementPending = new();
    private long _kernelBlocks;
    private Timer? _timer;
    private long _events, _observations;

    public BehaviourEngine Engine { get; }

    /// <summary>The sensor, once started: its syscall sets are read on each housekeeping round.</summary>
    public KernelSensor? Sensor { get; set; }

    /// <summary>Server records (containers, events, profiles: <see cref="ServerRecords"/>); alerts go through <see cref="AlertPublisher.Uplink"/>.</summary>
    public Action<AgentRecord>? Uplink { get; set; }

    /// <summary>Executables' content hashes, computed in the background.</summary>
    public ExecutableHashes Hashes => _hashes;

    public long Events => Interlocked.Read(ref _events);
    public long Observations => Interlocked.Read(ref _observations);
    public string? LastError { get; private set; }

    /// <summary>Actions the kernel enforcer reported blocking.</summary>
    public long KernelBlocks => Interlocked.Read(ref _kernelBlocks);

    public AgentLoop(AgentOptions options, Attributor attributor, ProcessCache processes, ProfileStore? store, RuleEngine<SyscallEvent>? rules,
        AlertPublisher alerts, IEnforcement enforcement, ImageTrustCache? trust, ISensorSink? inner, Action<string> log,
        UserNames? users = null, ExecutableHashes? hashes = null)
    {
        _users = users ?? new UserNames();
        _hashes = hashes ?? new ExecutableHashes();
        _options = options;
        _attributor = attributor;
        _processes = processes;
        _rules = rules;
        _alerts = alerts;
        _enforcement = enforcement;
        _trust = trust;
        _inner = inner;
        _log = log;
        _wallOffsetNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - AlertPublisher.MonotonicNs();
        Engine = new BehaviourEngine(store, TrustFor, options.DefaultMode, options.Learning);
    }

    private ImageTrust? TrustFor(WorkloadIdentity identity) =>
        _trust is not null && _imageOf.TryGetValue(identity.Key, out var imageId) ? _trust.Get(imageId) : null;

    /// <summary>Starts the housekeeping timer.</summary>
    public void Start() => _timer = new Timer(_ => Housekeeping(DateTimeOffset.UtcNow), null, _options.SyncInterval, _options.SyncInterval);

    public void OnEvent(scoped in SensorEvent ev, long receivedNs)
    {
        var h = ev.Header;
        Interlocked.Increment(ref _events);
        try
        {
            var container = _attributor.Resolve(h.CgroupId, (int)h.Tgid);
            if (container is not null) Handle(ev, h, container);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One bad event must not stop the loop; the last error is reported in the summary.
            LastError = $"{EventLayout.Name(h.Type)} event: {e.GetType().Name}: {e.Message}";
        }
        _inner?.OnEvent(ev, receivedNs);
        if (h.Type == EventType.Exit) _processes.OnExit((int)h.Tgid);
    }

    public void OnIdle() => _inner?.OnIdle();

    private WorkloadBinding Bind(ulong cgroupId, ContainerInfo container, int pid)
    {
        if (_bindings.TryGetValue(cgroupId, out var known) && ReferenceEquals(known.Container, container))
        {
            // Keep a live process of the container at hand: enforcement resolves paths inside its root.
            if (!known.IsHost && known.Identity is not null && _containers.TryGetValue(cgroupId, out var current) && current.Pid != pid)
            {
                _containers[cgroupId] = (known, pid);
                // While the cgroup's path is unknown (its first processes exited before /proc was read), try this one.
                if (_cgroupPaths.TryGetValue(cgroupId, out var p) && p is null) _cgroupPaths[cgroupId] = CgroupPathOf(pid);
                // Enforcement that could not be applied when the container appeared (its first processes, runc's,
                // were gone before their cgroup could be read) is applied with the first process that can.
                RetryEnforcement(cgroupId, known, pid);
            }
            return known;
        }
        var binding = WorkloadBinding.For(container, _options.Host);
        _bindings[cgroupId] = binding;
        if (binding.IsHost || binding.Identity is not { } identity) return binding;
        if (container.ImageId is { Length: > 0 } imageId)
        {
            _imageOf[identity.Key] = imageId;
            _trust?.Get(imageId); // start reading the image now, while the container starts
        }
        if (!_cgroupPaths.TryGetValue(cgroupId, out var known2) || known2 is null) _cgroupPaths[cgroupId] = CgroupPathOf(pid);
        var first = !_containers.ContainsKey(cgroupId);
        _containers[cgroupId] = (binding, pid);
        if (first)
        {
            // A workload in Learn has nothing in the kernel (no mode is "off"); others get their mode and sets now.
            if (Engine.ModeOf(identity) != ProfileMode.Learn) ApplyEnforcement(cgroupId, binding, pid);
            Watch(cgroupId, identity);
            Uplink?.Invoke(ServerRecords.Container(container, identity, _options.Hostname, DateTimeOffset.UtcNow));
        }
        return binding;
    }

    private void Handle(scoped in SensorEvent ev, EventHeader h, ContainerInfo container)
    {
        var tgid = (int)h.Tgid;
        var binding = Bind(h.CgroupId, container, tgid);
        var skip = binding.IsHost && _options.Host == HostPolicy.Skip;
        var unixNs = (long)h.KTime + _wallOffsetNs;
        var at = new DateTimeOffset(DateTime.UnixEpoch.AddTicks(unixNs / 100));
        var identity = binding.Identity;
        switch (h.Type)
        {
            case EventType.Exec:
            {
                var e = ev.AsExec();
                var exe = Encoding.UTF8.GetString(ev.ExePath);
                var args = EventMapper.Args(ev.Args);
                var upper = (e.ExeFlags & ExeFlags.UpperLayer) != 0;
                var memfd = (e.ExeFlags & ExeFlags.Memfd) != 0;
                // Names from the process's own root (its mount namespace's /etc/passwd), read once per namespace.
                var (user, group) = skip ? default : _users.Resolve(h.CgroupId, e.MntNs, tgid, e.Uid, e.Gid, () => OtherMember(h.CgroupId, tgid));
                var facts = EventMapper.Facts(e, ev.Env, user, group);
                var process = _processes.OnExec(tgid, (int)e.Ppid, exe, args, Encoding.UTF8.GetString(ev.Cwd), e.Uid, e.Gid, unixNs, upper, memfd,
                    (long)e.ExeIno, (e.ExeFlags & ExeFlags.Overlay) != 0, facts, e.ExeDev);
                // The runtime's init just became the container's program: enforcement that waited for it goes on now.
                RetryEnforcement(h.CgroupId, binding, tgid);
                if (skip || (!binding.IsHost && process.RuntimeInit)) return;
                var sha = memfd ? null : Hash(new ExecutableKey(e.ExeDev, e.ExeIno, e.ExeSize, e.ExeMtimeNs), exe, tgid, h.CgroupId, binding, process, upper);
                Verdict? verdict = null;
                if (identity is not null)
                {
                    // A parent that forked without exec (httpd's per-request child running a CGI) was never seen to exec,
                    // and may be gone already: the event names its executable's file (mm->exe_file, what the kernel's
                    // Protect check keys on), known by the path it was exec'd under; else it is read from /proc.
                    var parent = _processes.Peek((int)e.Ppid)?.Info.ExePath ?? _processes.ExecutablePath(e.ParentExeDev, e.ParentExeIno)
                        ?? _processes.Get((int)e.Ppid)?.Info.ExePath;
                    if (parent is { Length: 0 }) parent = null; // /proc could not name it
                    var userName = user?.Name ?? e.Uid.ToString(CultureInfo.InvariantCulture);
                    verdict = Observe(new ExecObservation(identity, at, exe, parent, userName, upper, memfd, sha, tgid, e.Uid, ProgramName.Of(args, exe)));
                    Act(verdict, binding, process, tgid, (long)h.KTime, unixNs, exe, h.CgroupId);
                }
                var fromImage = upper || memfd ? false : identity is not null && TrustFor(identity) is { } trust ? trust.Ships(exe) : (bool?)null;
                Match(EventMapper.ExecEvent(Context(process, binding, unixNs, verdict, fromImage), exe), binding, verdict, (long)h.KTime);
                Upload("exec", binding, at, exe, process);
                break;
            }
            case EventType.Open:
            {
                if (skip || _processes.Get(tgid) is not { } process || (process.RuntimeInit && !binding.IsHost)) return;
                var open = ev.AsOpen();
                var path = EventMapper.AbsolutePath(Encoding.UTF8.GetString(ev.OpenPath), open.DirFd, process.Info.Cwd);
                Verdict? verdict = null;
                if (identity is not null)
                {
                    verdict = Observe(new FileObservation(identity, at, path, EventMapper.Access(open.Flags), process.Info.ExePath, tgid));
                    Act(verdict, binding, process, tgid, (long)h.KTime, unixNs, path, h.CgroupId);
                }
                Match(EventMapper.OpenEvent(open, path, Context(process, binding, unixNs, verdict, null)), binding, verdict, (long)h.KTime);
                Upload("file", binding, at, path, process);
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
                    Act(verdict, binding, process, tgid, (long)h.KTime, unixNs, $"{remote}:{(h.Type == EventType.Accept ? net.LocalPort : net.RemotePort)}", h.CgroupId,
                        h.Type == EventType.Connect ? net.Result : null);
                }
                Match(EventMapper.NetworkEvent(net, Context(process, binding, unixNs, verdict, null), name), binding, verdict, (long)h.KTime);
                if (h.Type is EventType.Connect or EventType.Accept) Upload("network", binding, at, $"{remote}:{net.RemotePort}", process);
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
                        null, _processes.Peek(tgid)?.Info.ExePath, tgid));
                }
                break;
            }
            case EventType.Syscall:
            {
                if (skip || _processes.Get(tgid) is not { } process || (process.RuntimeInit && !binding.IsHost)) return;
                if (EventMapper.NotableEvent(ev.AsSyscall(), ev.SyscallString, Context(process, binding, unixNs, null, null)) is { } notable)
                    Match(notable, binding, null, (long)h.KTime);
                break;
            }
        }
    }

    /// <summary>
    /// The executable's SHA-256 when already known; otherwise it is queued for the background hashing, which gives it to
    /// the process (later events carry it) and to the profile of a workload in Learn (the entry learned without it).
    /// An executable from the writable layer is hashed for alerts, never recorded in the profile (it is drift).
    /// </summary>
    private string? Hash(ExecutableKey key, string exe, int pid, ulong cgroupId, WorkloadBinding binding, TrackedProcess process, bool upper)
    {
        if (_hashes.Get(key) is { } known)
        {
            process.ExeSha256 = known;
            return known;
        }
        var identity = binding.Identity;
        var host = binding.IsHost;
        _hashes.Request(key, exe, () => Candidates(pid, cgroupId, host), sha =>
        {
            process.ExeSha256 ??= sha;
            if (identity is not null && !upper) Engine.RecordHash(identity, exe, sha);
        });
        return null;
    }

    /// <summary>A process of the container other than <paramref name="pid"/> (which may have exited): the last one seen, else a live member of its cgroup.</summary>
    private int? OtherMember(ulong cgroupId, int pid) =>
        _containers.TryGetValue(cgroupId, out var known) && known.Pid != pid ? known.Pid
        : _cgroupPaths.TryGetValue(cgroupId, out var path) && path is not null ? LiveMember(path, out _) : null;

    /// <summary>Processes whose root holds a container's files: the one that ran it, then any live member of its cgroup.</summary>
    private IEnumerable<int> Candidates(int pid, ulong cgroupId, bool host)
    {
        yield return pid;
        if (_cgroupPaths.TryGetValue(cgroupId, out var path) && path is not null && LiveMember(path, out _) is { } live) yield return live;
        if (host) yield return 0;
    }

    /// <summary>
    /// Containers of workloads in Learn and Monitor have every open reported by the kernel (reads included), so that
    /// profiles hold the files read and Monitor alerts reads outside them; in Protect only the kernel's default filter
    /// (writes, sensitive paths) applies. The flag is per cgroup: other processes' opens stay filtered.
    /// </summary>
    private void Watch(ulong cgroupId, WorkloadIdentity identity)
    {
        if (Sensor is not { } sensor) return;
        var watch = Engine.ModeOf(identity) is ProfileMode.Learn or ProfileMode.Monitor;
        if (_watched.TryGetValue(cgroupId, out var current) && current == watch) return;
        try
        {
            sensor.Watch(cgroupId, watch ? WatchFlags.AllOpens : WatchFlags.None);
            _watched[cgroupId] = watch;
        }
        catch (Exception e) when (e is SensorException or ObjectDisposedException)
        {
            LastError = $"watch cgroup {cgroupId}: {e.Message}";
        }
    }

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
        });

    private static string ModeName(ProfileMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>A deviation: blocked (Protect, through the enforcement in place) and alerted.</summary>
    private void Act(Verdict verdict, WorkloadBinding binding, TrackedProcess process, int pid, long ktime, long unixNs, string? target, ulong cgroupId, int? connectResult = null)
    {
        if (verdict.Action is not (EngineAction.Alert or EngineAction.Block)) return;
        var workload = binding.Identity?.Workload;
        var action = AlertAction.Alerted;
        long? blockedAt = null;
        // The host is never blocked: a profile of the host is for alerting only.
        if (verdict.Action == EngineAction.Block && !binding.IsHost)
            (action, blockedAt) = _enforcement.OnBlock(new BlockRequest(pid, verdict.Deviation ?? DeviationKind.Process, workload ?? "", cgroupId, process.Info.ExePath, ktime, connectResult));
        if (action == AlertAction.Blocked) RememberBlock(pid, verdict.Deviation == DeviationKind.Network ? "connect" : "exec");
        var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, process.Info, binding.RuleContainer, workload, target, process.ExeSha256);
        _alerts.Publish(alert, new AlertContext("profile", verdict.Deviation, workload, ModeName(verdict.Mode), action,
            verdict.Action == EngineAction.Block ? Enforcement : null, ktime, blockedAt, verdict.Reason, binding.RuleContainer?.Id));
    }

    private string Enforcement => _enforcement.InKernel ? "kernel" : "user-space";

    private void RememberBlock(int pid, string kind) => _recentBlocks[(pid, kind)] = Environment.TickCount64;

    /// <summary>
    /// The kernel enforcer's records of what it refused. A block the sensor's events already explained (and alerted,
    /// marked blocked) is counted; one they did not — a UDP datagram, which the sensor does not report as a connect,
    /// or a record lost under load — becomes its own alert. The match waits a moment for the sensor's event.
    /// </summary>
    public async Task ConsumeBlockedAsync(IAsyncEnumerable<BlockedAction> blocked, CancellationToken token)
    {
        try
        {
            await foreach (var b in blocked.WithCancellation(token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _kernelBlocks);
                var action = b;
                _ = Task.Delay(250, token).ContinueWith(_ => Unexplained(action), token, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private void Unexplained(BlockedAction b)
    {
        if (_recentBlocks.TryRemove((b.Pid, b.Kind), out _)) return;
        _containers.TryGetValue(b.CgroupId, out var entry);
        var binding = entry.Binding;
        var what = b.Kind == "exec" ? $"exec of {b.Executable ?? "?"}" : $"{b.Protocol ?? "connection"} to {b.Destination}";
        var reason = $"{what} blocked in the kernel ({b.Reasons})";
        var unixNs = b.KernelTimeNs + _wallOffsetNs;
        var mode = binding?.Identity is { } id ? Engine.ModeOf(id) : ProfileMode.Protect;
        var kind = b.Kind == "exec" ? (b.Reasons & (BlockReasons.WritableLayer | BlockReasons.Memfd | BlockReasons.ScriptDrift)) != 0
            ? DeviationKind.Drift : DeviationKind.Process : DeviationKind.Network;
        var verdict = new Verdict(EngineAction.Block, kind, mode, reason);
        var process = new Runtime.Rules.Reference.ProcessInfo { Name = b.Executable is { } exe ? ProcessCache.CommName(exe) : "", ExePath = b.Executable ?? "", Pid = b.Pid };
        var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, process, binding?.RuleContainer, binding?.Identity?.Workload, b.Destination?.ToString() ?? b.Executable);
        _alerts.Publish(alert, new AlertContext("kernel", kind, binding?.Identity?.Workload, ModeName(mode), AlertAction.Blocked, "kernel", b.KernelTimeNs, b.KernelTimeNs,
            reason, binding?.RuleContainer?.Id));
    }

    private void Match(SyscallEvent e, WorkloadBinding binding, Verdict? verdict, long ktime)
    {
        if (_rules?.FirstMatch(e) is not { } rule) return;
        var alert = rule.CreateAlert(e, e.TimeNanoseconds, _options.Hostname);
        var mode = binding.Identity is { } id ? ModeName(verdict?.Mode ?? Engine.ModeOf(id)) : null;
        _alerts.Publish(alert, new AlertContext("rule", null, binding.Identity?.Workload, mode, AlertAction.Alerted, null, ktime, null, null, binding.RuleContainer?.Id));
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

    private void Upload(string kind, WorkloadBinding binding, DateTimeOffset at, string path, TrackedProcess process)
    {
        if (Uplink is not { } uplink || !_options.UploadEvents || binding.IsHost || binding.Identity is not { } identity) return;
        uplink(ServerRecords.Event(kind, binding.Container, identity, at, path, process));
    }

    /// <summary>
    /// Applies mode switches and learning's end, saves what was learned, turns the kernel's new per-cgroup syscall
    /// numbers into observations, and pushes mode changes to the enforcement. Returns the mode changes.
    /// </summary>
    public IReadOnlyList<ModeChange> Housekeeping(DateTimeOffset now)
    {
        if (!_housekeeping.TryEnter()) return [];
        try
        {
            var changes = new List<ModeChange>();
            changes.AddRange(Engine.Tick(now));
            changes.AddRange(Engine.Sync(now));
            foreach (var change in changes)
            {
                _log($"zerodrift: agent: {change.Workload.Workload} ({change.Workload.ImageName ?? change.Workload.ImageDigest}): {ModeName(change.From)} -> {ModeName(change.To)} ({change.Why})");
                foreach (var (cgroup, (binding, pid)) in _containers)
                    if (binding.Identity?.Key == change.Workload.Key)
                    {
                        ApplyEnforcement(cgroup, binding, pid);
                        Watch(cgroup, change.Workload);
                    }
                UploadProfile(change.Workload);
            }
            if (Sensor is { } sensor) ObserveSyscalls(sensor.ReadSyscallSets(), now);
            // Containers seen before the sensor was handed over, or whose flag could not be set: their watch now.
            foreach (var (cgroup, (binding, _)) in _containers)
                if (binding.Identity is { } identity) Watch(cgroup, identity);
            // Enforcement still waiting for a process of its container: a quiet container may send no event for long
            // (a server between requests), so its cgroup is looked at again here.
            foreach (var cgroup in _enforcementPending.Keys)
                if (_containers.TryGetValue(cgroup, out var pending)) RetryEnforcement(cgroup, pending.Binding, pending.Pid);
            foreach (var (key, at) in _recentBlocks)
                if (Environment.TickCount64 - at > 10_000) _recentBlocks.TryRemove(key, out _);
            ForgetGone();
            return changes;
        }
        catch (Exception e) when (e is ProfileStoreException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LastError = $"housekeeping: {e.Message}";
            return [];
        }
        finally
        {
            _housekeeping.Exit();
        }
    }

    /// <summary>The syscall numbers each container's cgroup used that were not reported before, as observations.</summary>
    public void ObserveSyscalls(IReadOnlyDictionary<ulong, int[]> sets, DateTimeOffset now)
    {
        foreach (var (cgroup, numbers) in sets)
        {
            if (!_containers.TryGetValue(cgroup, out var entry) || entry.Binding.Identity is not { } identity) continue;
            if (!_syscallsSeen.TryGetValue(cgroup, out var seen)) _syscallsSeen[cgroup] = seen = [];
            var fresh = numbers.Where(seen.Add).Select(SyscallTable.Name).OfType<string>().ToList();
            if (fresh.Count == 0) continue;
            var verdict = Observe(new SyscallObservation(identity, now, fresh));
            if (verdict.Action is EngineAction.Alert or EngineAction.Block)
            {
                var unixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
                var alert = ProfileAlerts.Create(verdict, unixNs, _options.Hostname, null, entry.Binding.RuleContainer, identity.Workload, null);
                // The bitmap is read once per round: the syscall happened within the last round before now.
                _alerts.Publish(alert, new AlertContext("profile", verdict.Deviation, identity.Workload, ModeName(verdict.Mode), AlertAction.Alerted, null,
                    unixNs - _wallOffsetNs, null, verdict.Reason, entry.Binding.RuleContainer?.Id));
            }
        }
    }

    /// <summary>Containers whose cgroup is gone are forgotten, in the kernel too (their ids may be reused).</summary>
    private void ForgetGone()
    {
        foreach (var cgroup in _containers.Keys)
        {
            // Only a cgroup known to be gone is forgotten; one whose path was never read stays.
            if (!_cgroupPaths.TryGetValue(cgroup, out var path) || path is null || Directory.Exists(Path.Join(CgroupRoot.Value, path.TrimStart('/')))) continue;
            _enforcementPending.TryRemove(cgroup, out _);
            if (_containers.TryRemove(cgroup, out var gone) && gone.Binding.Identity is { } identity
                && !_containers.Values.Any(c => c.Binding.Identity?.Key == identity.Key))
                UploadProfile(identity); // the workload's last container is gone: the server gets its profile now
            _cgroupPaths.TryRemove(cgroup, out _);
            _syscallsSeen.Remove(cgroup);
            _users.Forget(cgroup);
            if (_watched.TryRemove(cgroup, out var watched) && watched)
            {
                try { Sensor?.Watch(cgroup, WatchFlags.None); }
                catch (Exception e) when (e is SensorException or ObjectDisposedException) { LastError = $"unwatch cgroup {cgroup}: {e.Message}"; }
            }
            try { _enforcement.Forget(cgroup); }
            catch (Exception e) when (e is SensorException or IOException or InvalidOperationException or ObjectDisposedException) { LastError = $"forget cgroup {cgroup}: {e.Message}"; }
        }
    }

    private readonly ConcurrentDictionary<ulong, string?> _cgroupPaths = new();

    private static readonly Lazy<string> CgroupRoot = new(() =>
    {
        try { return CgroupPaths.FindV2Root(); }
        catch (Exception e) when (e is IOException or SensorException or InvalidOperationException) { return "/sys/fs/cgroup"; }
    });

    /// <summary>Enforcement that waits (see <see cref="ApplyEnforcement"/>) is applied once this process lets it be:
    /// its cgroup can be read, and it is not the runtime's init.</summary>
    private void RetryEnforcement(ulong cgroupId, WorkloadBinding binding, int pid)
    {
        if (!_enforcementPending.ContainsKey(cgroupId) || binding.Identity is not { } identity || Engine.ModeOf(identity) == ProfileMode.Learn) return;
        if (!_cgroupPaths.TryGetValue(cgroupId, out var path) || path is null) _cgroupPaths[cgroupId] = path = CgroupPathOf(pid);
        if (path is null || LiveMember(path, out _) is null) return;
        ApplyEnforcement(cgroupId, binding, pid);
    }

    private void ApplyEnforcement(ulong cgroupId, WorkloadBinding binding, int pid)
    {
        if (binding.Identity is not { } identity) return;
        var retry = _enforcementPending.ContainsKey(cgroupId);
        try
        {
            var mode = Engine.ModeOf(identity);
            // A process that has exited has no /proc entry: the path is read again next time rather than cached as unknown.
            if (!_cgroupPaths.TryGetValue(cgroupId, out var path) || path is null)
                _cgroupPaths[cgroupId] = path = CgroupPathOf(pid);
            // The process that raised the last event may be gone (a forked worker): any live member of the cgroup will
            // do, but not the runtime's init still setting the container up: its root may not be the container's yet,
            // and files resolved there would be the host's.
            var onlyRuntime = false;
            var live = path is null ? null : LiveMember(path, out onlyRuntime);
            if (path is not null && live is null && onlyRuntime && mode != ProfileMode.Learn)
            {
                if (_enforcementPending.TryAdd(cgroupId, 0))
                    _log($"zerodrift: agent: enforcement for container {binding.Container.Name ?? binding.Container.Id} waits for the container's first program");
                return;
            }
            // Without the cgroup's path the kernel cannot be told (user-space enforcement needs none): tried again
            // with the container's next process (see Bind), said once.
            if (path is null && mode != ProfileMode.Learn && _enforcementPending.TryAdd(cgroupId, 0))
                _log($"zerodrift: agent: enforcement for container {binding.Container.Name ?? binding.Container.Id} waits for a process whose cgroup can be read");
            _enforcement.Apply(new EnforcedContainer(cgroupId, path, binding.Container.Id, live ?? pid), mode, mode == ProfileMode.Learn ? null : Engine.ProfileOf(identity));
            if (path is not null) _enforcementPending.TryRemove(cgroupId, out _);
        }
        catch (ContainerProcessGoneException)
        {
            // Every process the cgroup listed had exited, and so had the event's (a restarting container's runtime
            // stages), or it exited while its root was read: the container's next process applies it (see Bind), or
            // the next housekeeping tick does.
            if (_enforcementPending.TryAdd(cgroupId, 0))
                _log($"zerodrift: agent: enforcement for container {binding.Container.Name ?? binding.Container.Id} waits for a live process of the container");
        }
        catch (Exception e) when (e is SensorException or IOException or InvalidOperationException or ArgumentException)
        {
            if (!retry && !_enforcementPending.ContainsKey(cgroupId)) _log($"zerodrift: agent: warning: enforcement for container {binding.Container.Name ?? binding.Container.Id}: {e.Message}");
        }
    }

    /// <summary>The first process listed in a cgroup's <c>cgroup.procs</c> that is not the runtime's init (runc's
    /// stages name themselves <c>runc:[…]</c> until they exec the container's program).</summary>
    private static int? LiveMember(string cgroupPath, out bool onlyRuntime)
    {
        onlyRuntime = false;
        try
        {
            foreach (var line in File.ReadLines(Path.Join(CgroupRoot.Value, cgroupPath.TrimStart('/'), "cgroup.procs")))
            {
                if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) continue;
                string comm;
                try { comm = File.ReadAllText($"/proc/{line}/comm").TrimEnd('\n'); }
                catch (IOException) { continue; }
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

    /// <summary>The process's cgroup-v2 path (relative to the v2 mount), from /proc.</summary>
    private static string? CgroupPathOf(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup"))
                if (line.StartsWith("0::", StringComparison.Ordinal)) return line[3..];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private void UploadProfile(WorkloadIdentity identity)
    {
        if (Uplink is not { } uplink || Engine.ProfileOf(identity) is not { } profile) return;
        uplink(ServerRecords.Profile(identity, profile, DateTimeOffset.UtcNow));
    }

    /// <summary>Stops the timer, runs a last housekeeping round (saves what was learned) and uploads every profile.</summary>
    public void Stop()
    {
        _timer?.Dispose();
        _timer = null;
        Housekeeping(DateTimeOffset.UtcNow);
        foreach (var identity in _containers.Values.Select(c => c.Binding.Identity).OfType<WorkloadIdentity>().DistinctBy(i => i.Key))
            UploadProfile(identity);
        _trust?.Stop();
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _hashes.Dispose();
        _enforcement.Dispose();
    }
}
