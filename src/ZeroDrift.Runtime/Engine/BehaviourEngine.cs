using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Engine;

/// <summary>When learning is done: after <paramref name="QuietPeriod"/> with no new behaviour; then the workload moves to <paramref name="AdvanceTo"/> if set.</summary>
public sealed record LearningPolicy(TimeSpan QuietPeriod, ProfileMode? AdvanceTo = null)
{
    public static readonly LearningPolicy Default = new(TimeSpan.FromHours(1));
}

/// <summary>A workload's mode changed, by learning's auto-advance or by a user's switch picked up from the store; or,
/// with <paramref name="DriftPrevention"/> set (its new value), a user turned the workload's drift prevention on or off.</summary>
public sealed record ModeChange(WorkloadIdentity Workload, ProfileMode From, ProfileMode To, string Why, bool? DriftPrevention = null);

/// <summary>
/// Zero trust from immutability. Per workload: in Learn the profile grows with what the workload does; in Monitor
/// what lies outside it is alerted; in Protect it is blocked where the kernel can block it (an exec is killed
/// before it runs, a connect is refused) and alerted. Drift — an executable the image did not ship, written into
/// the container or run from memory — is never learned: alerted in Learn and Monitor, blocked in Protect, from the
/// first second. With drift prevention (the agent's, for the container, or the workload's profile's) an executable
/// from the writable layer or a memfd is blocked in every mode, Learn included.
/// </summary>
public sealed class BehaviourEngine
{
    private readonly Dictionary<string, WorkloadState> _workloads = new(StringComparer.Ordinal);
    private readonly Func<WorkloadIdentity, ImageTrust?> _trustFor;
    private readonly ProfileMode _defaultMode;
    private readonly LearningPolicy _learning;
    private readonly ProfileStore? _store;
    private readonly Lock _lock = new();

    /// <param name="store">Where profiles persist (null: in memory only).</param>
    /// <param name="trustFor">The executables a workload's image ships (null when the image could not be read: drift is then told only by the kernel's writable-layer and memfd flags).</param>
    /// <param name="defaultMode">The mode of a workload that has no profile yet.</param>
    public BehaviourEngine(ProfileStore? store, Func<WorkloadIdentity, ImageTrust?> trustFor, ProfileMode defaultMode, LearningPolicy learning)
    {
        _store = store;
        _trustFor = trustFor;
        _defaultMode = defaultMode;
        _learning = learning;
    }

    public Verdict Observe(Observation observation)
    {
        lock (_lock)
        {
            var state = StateOf(observation.Workload, observation.At);
            return observation switch
            {
                ExecObservation exec => OnExec(state, exec),
                FileObservation file => OnFile(state, file),
                NetworkObservation network => OnNetwork(state, network),
                SyscallObservation syscalls => OnSyscalls(state, syscalls),
                CapabilityObservation capability => OnCapability(state, capability),
                _ => throw new ArgumentException($"unknown observation {observation.GetType().Name}", nameof(observation)),
            };
        }
    }

    /// <summary>
    /// The content hash of an executable became known (it is computed off the hot path): a workload in Learn records
    /// it on the entries that were learned without it. A profile outside Learn is not changed (that would be learning).
    /// </summary>
    public bool RecordHash(WorkloadIdentity workload, string executable, string sha256)
    {
        lock (_lock)
        {
            if (!_workloads.TryGetValue(workload.Key, out var state) || state.Builder is null || !state.Builder.FillHash(executable, sha256)) return false;
            state.Dirty = true;
            return true;
        }
    }

    public ProfileMode ModeOf(WorkloadIdentity workload)
    {
        lock (_lock) return _workloads.TryGetValue(workload.Key, out var state) ? state.Mode : _store?.Get(workload.Key)?.Mode ?? _defaultMode;
    }

    public BehaviourProfile? ProfileOf(WorkloadIdentity workload)
    {
        lock (_lock) return _workloads.TryGetValue(workload.Key, out var state) ? state.Current(DateTimeOffset.UtcNow) : _store?.Get(workload.Key);
    }

    /// <summary>Ends learning that has been quiet long enough; returns the workloads that advanced.</summary>
    public IReadOnlyList<ModeChange> Tick(DateTimeOffset now)
    {
        var changes = new List<ModeChange>();
        if (_learning.AdvanceTo is not { } next) return changes;
        lock (_lock)
        {
            foreach (var state in _workloads.Values.Where(s => s.Mode == ProfileMode.Learn))
            {
                var quietSince = state.Current(now).LastNewBehaviour;
                if (now - quietSince < _learning.QuietPeriod) continue;
                state.SwitchTo(next, now);
                _store?.Save(state.Current(now));
                changes.Add(new ModeChange(state.Identity, ProfileMode.Learn, next, $"no new behaviour for {_learning.QuietPeriod} (since {quietSince:u})"));
            }
        }
        return changes;
    }

    /// <summary>Applies mode switches users made in the store (<c>zerodrift profile mode</c>), then saves what was learned.</summary>
    public IReadOnlyList<ModeChange> Sync(DateTimeOffset now)
    {
        var changes = new List<ModeChange>();
        if (_store is null) return changes;
        lock (_lock)
        {
            var settings = _store.Settings();
            foreach (var state in _workloads.Values)
            {
                if (settings.TryGetValue(state.Identity.Key, out var stored))
                {
                    if (stored.Mode != state.Mode)
                    {
                        changes.Add(new ModeChange(state.Identity, state.Mode, stored.Mode, "switched by a user"));
                        state.SwitchTo(stored.Mode, now);
                    }
                    if (stored.DriftPrevention != state.DriftPrevention)
                    {
                        state.DriftPrevention = stored.DriftPrevention;
                        changes.Add(new ModeChange(state.Identity, state.Mode, state.Mode, $"drift prevention turned {(stored.DriftPrevention ? "on" : "off")} by a user", stored.DriftPrevention));
                    }
                }
                if (state.Dirty)
                {
                    _store.SaveBehaviour(state.Current(now));
                    state.Dirty = false;
                }
            }
        }
        return changes;
    }

    private WorkloadState StateOf(WorkloadIdentity identity, DateTimeOffset now)
    {
        if (_workloads.TryGetValue(identity.Key, out var state))
        {
            // The image's inventory may still be loading when a workload is first seen: ask again until it is known.
            state.Trust ??= _trustFor(identity);
            return state;
        }
        var stored = _store?.Get(identity.Key);
        var profile = stored ?? new BehaviourProfile { Identity = identity, Mode = _defaultMode, Created = now, Updated = now, LastNewBehaviour = now };
        state = new WorkloadState(profile, _trustFor(identity)) { Dirty = stored is null };
        _workloads[identity.Key] = state;
        return state;
    }

    /// <summary>Whether the workload's profile asks for drift prevention (the agent's own, for all containers, is not counted here).</summary>
    public bool DriftPreventionOf(WorkloadIdentity workload)
    {
        lock (_lock) return _workloads.TryGetValue(workload.Key, out var state) ? state.DriftPrevention : _store?.Get(workload.Key)?.DriftPrevention ?? false;
    }

    private static Verdict OnExec(WorkloadState state, ExecObservation exec)
    {
        // What the kernel's drift prevention kills at exec, whatever the mode: a file written after start, or memory.
        if ((exec.FromMemfd || exec.FromWritableLayer) && (exec.DriftPrevention || state.DriftPrevention))
            return new Verdict(EngineAction.Block, DeviationKind.Drift, state.Mode,
                $"drift: {exec.Executable} {(exec.FromMemfd ? "runs from memory (memfd)" : "lies in the container's writable layer: written after start")}, and drift prevention is on");
        var drift = exec.FromMemfd ? "runs from memory (memfd), not from a file the image shipped"
            : exec.FromWritableLayer ? "lies in the container's writable layer: written after start, not shipped in the image"
            : state.Trust is { } trust && !trust.Ships(exec.Executable) ? $"is not an executable of image {state.Identity.ImageName ?? state.Identity.ImageDigest}"
            : null;
        if (drift is not null)
            return Deviation(state, DeviationKind.Drift, blockable: true, $"drift: {exec.Executable} {drift}");
        if (state.Mode == ProfileMode.Learn)
        {
            if (exec.Sha256 is not null && state.Builder!.FillHash(exec.Executable, exec.Sha256)) state.Dirty = true;
            return Learned(state, state.Builder!.ObserveProcess(new ProcessEntry(exec.Executable, exec.Sha256, RuntimeParent.Canonical(exec.Parent), exec.User, exec.Uid, exec.Name), exec.At));
        }
        return state.Matcher!.Knows(exec) ? Verdict.KnownIn(state.Mode)
            : Deviation(state, DeviationKind.Process, blockable: true, $"process {exec.Executable}{(exec.Name is null ? "" : $" (as {exec.Name})")} started by {RuntimeParent.Describe(RuntimeParent.Canonical(exec.Parent))} as {exec.User ?? "?"} is not in the profile");
    }

    private static Verdict OnFile(WorkloadState state, FileObservation file)
    {
        if (state.Mode == ProfileMode.Learn) return Learned(state, state.Builder!.ObserveFile(file.Path, file.Access, file.At));
        return state.Matcher!.Knows(file) ? Verdict.KnownIn(state.Mode)
            // Without BPF-LSM (refused by this kernel) an open cannot be denied: alerted, and response can kill the process.
            : Deviation(state, DeviationKind.File, blockable: false, $"{(file.Access.HasFlag(FileAccessKind.Write) ? "write to" : "read of")} {file.Path}{By(file.Executable)} is not in the profile");
    }

    private static Verdict OnNetwork(WorkloadState state, NetworkObservation network)
    {
        var peer = network.Peer.IsIPv4MappedToIPv6 ? network.Peer.MapToIPv4() : network.Peer;
        var normalised = network with { Peer = peer };
        if (state.Mode == ProfileMode.Learn)
            return Learned(state, state.Builder!.ObserveNetwork(new NetworkEntry(network.Direction, network.Protocol, peer.ToString(), network.Port, network.DnsName), network.At));
        if (state.Matcher!.Knows(normalised)) return Verdict.KnownIn(state.Mode);
        var what = network.Direction == NetworkDirection.Egress
            ? $"connection to {peer}{(network.DnsName is null ? "" : $" ({network.DnsName})")} {network.Protocol}/{network.Port}"
            : $"connection from {peer} to port {network.Protocol}/{network.Port}";
        // cgroup connect4/connect6 refuse outgoing connections; incoming ones are alerted.
        return Deviation(state, DeviationKind.Network, blockable: network.Direction == NetworkDirection.Egress, $"{what}{By(network.Executable)} is not in the profile");
    }

    private static Verdict OnSyscalls(WorkloadState state, SyscallObservation syscalls)
    {
        if (state.Mode == ProfileMode.Learn)
        {
            var grew = false;
            foreach (var name in syscalls.Syscalls) grew |= state.Builder!.ObserveSyscall(name, syscalls.At);
            return Learned(state, grew);
        }
        var unknown = syscalls.Syscalls.Where(s => !state.Matcher!.KnowsSyscall(s)).Order(StringComparer.Ordinal).ToList();
        return unknown.Count == 0 ? Verdict.KnownIn(state.Mode)
            : Deviation(state, DeviationKind.Syscall, blockable: false, $"system calls not in the profile: {string.Join(", ", unknown)} (a generated seccomp profile blocks them)");
    }

    private static Verdict OnCapability(WorkloadState state, CapabilityObservation capability)
    {
        if (state.Mode == ProfileMode.Learn) return Learned(state, state.Builder!.ObserveCapability(capability.Capability, capability.At));
        return state.Matcher!.KnowsCapability(capability.Capability) ? Verdict.KnownIn(state.Mode)
            : Deviation(state, DeviationKind.Capability, blockable: false, $"capability {capability.Capability}{By(capability.Executable)} is not in the profile");
    }

    private static string By(string? executable) => executable is null ? "" : $" by {executable}";

    private static Verdict Learned(WorkloadState state, bool grew)
    {
        if (!grew) return Verdict.KnownIn(state.Mode);
        state.Dirty = true;
        return new Verdict(EngineAction.Learned, null, state.Mode, "learned");
    }

    private static Verdict Deviation(WorkloadState state, DeviationKind kind, bool blockable, string reason)
    {
        var action = state.Mode == ProfileMode.Protect && blockable ? EngineAction.Block : EngineAction.Alert;
        return new Verdict(action, kind, state.Mode, reason);
    }

    /// <summary>One workload's profile and the structure its mode needs: a builder while learning, a matcher after.</summary>
    private sealed class WorkloadState
    {
        private BehaviourProfile _profile;

        public WorkloadState(BehaviourProfile profile, ImageTrust? trust)
        {
            _profile = profile;
            Trust = trust;
            Prepare();
        }

        public WorkloadIdentity Identity => _profile.Identity;
        public ImageTrust? Trust { get; set; }
        public ProfileMode Mode => _profile.Mode;

        public bool DriftPrevention
        {
            get => _profile.DriftPrevention;
            set => _profile = _profile with { DriftPrevention = value };
        }
        public ProfileBuilder? Builder { get; private set; }
        public ProfileMatcher? Matcher { get; private set; }
        public bool Dirty { get; set; }

        public BehaviourProfile Current(DateTimeOffset now) => Builder is null ? _profile : Builder.Build(now) with { Mode = _profile.Mode, DriftPrevention = _profile.DriftPrevention };

        public void SwitchTo(ProfileMode mode, DateTimeOffset now)
        {
            _profile = Current(now) with { Mode = mode, Updated = now };
            Prepare();
        }

        private void Prepare()
        {
            Builder = _profile.Mode == ProfileMode.Learn ? new ProfileBuilder(_profile) : null;
            Matcher = _profile.Mode == ProfileMode.Learn ? null : new ProfileMatcher(_profile);
        }
    }
}
