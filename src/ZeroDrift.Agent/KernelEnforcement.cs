using System.Net;
using Microsoft.Extensions.Logging;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// Protect in the kernel, through <see cref="KernelEnforcer"/>, one policy per workload (keyed by the workload
/// identity's key). For a container of a workload in Protect the profile's processes (executable and parent as the
/// kernel classes them, resolved inside the container's root to the identity the kernel sees at exec, and the name
/// a multi-call binary ran under) and egress destinations fill the workload's policy, the policy is switched to
/// protect, the container's cgroup is put under it, and the container's image is mapped to it: every later
/// container of that image is put under the policy by the kernel itself at its first exec, before the agent has
/// seen it. From then on an exec outside the set, or from the writable layer or a memfd, is killed at
/// <c>sched_process_exec</c> before its first instruction, and a connect or datagram to another destination fails
/// with EPERM. State is pinned: blocking goes on while the agent restarts.
/// <para>
/// The engine still tells apart what the kernel cannot (a parent or executable the container no longer resolves; a
/// container the kernel has not classified yet), so a block verdict the kernel did not carry out
/// falls back to a user-space kill (the loop's). An alert says blocked only when the kernel's records confirm it: its
/// per-pid record of execs it killed (<see cref="KilledAtExec"/>) and its blocked records
/// (<see cref="KernelEnforcer.ReadBlockedAsync"/>), which the loop joins with the sensor's events; a block no event
/// explained (a UDP datagram, a lost record) becomes its own alert.
/// </para>
/// </summary>
public sealed class KernelEnforcement : IEnforcement
{
    /// <summary>The policy of cgroups whose workload is not enforced (Learn): mode off, so the kernel's guess from a
    /// shared image never enforces another workload's profile on them.</summary>
    private const string UnenforcedKey = "zerodrift/unenforced";

    /// <summary>The default container policy with the agent's drift prevention: mode off, drift killed.</summary>
    private const string DriftPreventionKey = "zerodrift/drift-prevention";

    private readonly KernelEnforcer _enforcer;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private uint? _unenforced;
    private long _lastSweep;
    private const long SweepInterval = 60_000;

    /// <summary>What each workload in Protect or Monitor asks of the kernel, by the image its containers run: an image
    /// several workloads share is mapped to the union of their sets (<see cref="Publish"/>).</summary>
    private readonly Dictionary<ImageKey, Dictionary<uint, WorkloadSets>> _images = [];

    private sealed record WorkloadSets(EnforcementMode Mode, PolicyFlags Flags, IReadOnlyList<(FileId File, ExecParent Parent, ulong Name)> Processes,
        IReadOnlyDictionary<FileId, ulong> MultiCall, IReadOnlyList<(IPAddress Address, int Prefix, int Port)> Destinations)
    {
        public static WorkloadSets Empty(EnforcementMode mode, PolicyFlags flags) => new(mode, flags, [], new Dictionary<FileId, ulong>(), []);
    }

    /// <param name="driftPrevention">The agent's own drift prevention: with it, containers the agent has not classified
    /// (of an image nobody mapped) are put by the kernel, at their first exec, under a policy in mode off that kills
    /// drift; its scope limits the kernel's own classification. Without it, a default a previous agent left is removed.</param>
    public KernelEnforcement(KernelEnforcer enforcer, ILogger log, DriftPreventionSetting? driftPrevention = null)
    {
        _enforcer = enforcer;
        var drift = driftPrevention ?? DriftPreventionSetting.PerWorkload;
        _enforcer.SetClassificationScope(drift.Everywhere ? drift.Scope : null);
        if (drift.Everywhere)
        {
            var policy = _enforcer.PolicyFor(DriftPreventionKey);
            _enforcer.SetPolicy(policy, EnforcementMode.Off, PolicyFlags.DriftPrevention);
            _enforcer.SetDefaultContainerPolicy(policy);
        }
        else if (_enforcer.DefaultContainerPolicy() is { } left)
        {
            // A previous agent's drift prevention: removed, or it would go on killing drift in every container.
            _enforcer.RemovePolicy(left);
        }
        // Containers the kernel classified and that ended while no agent ran leave entries behind.
        _enforcer.SweepGoneCgroups();
        _lastSweep = Environment.TickCount64;
        _log = log;
        Description = $"in the kernel (exec killed at sched_process_exec before its first instruction, new containers put under their workload's policy "
            + $"by the kernel at their first exec; connect and sendmsg refused with EPERM by cgroup programs at the hierarchy's root; pinned under {enforcer.PinRoot}"
            + $"{(enforcer.Reused ? ", adopted from a previous run" : "")}{(enforcer.MountedBpfFs is { } at ? $"; mounted a BPF filesystem at {at}" : "")}), user-space kill where only the engine can tell";
    }

    public KernelEnforcer Enforcer => _enforcer;
    public string Description { get; }
    public bool InKernel => true;

    /// <summary>Whether some policy still makes the kernel act (a mode other than off, or drift prevention): the pins
    /// are then kept when the agent exits.</summary>
    public bool HoldsEnforcement => _enforcer.Policies().Values.Any(p => p.Mode != EnforcementMode.Off || p.Flags != PolicyFlags.None);

    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile, bool driftPrevention = false)
    {
        // Held open for the whole pass: a process that exits half-way would otherwise leave later paths unresolved,
        // and the workload's sets (shared by all its containers) would be pruned to what did resolve.
        using var pinned = PinnedRoot.Of(container.PidInContainer);
        var root = pinned.Path;
        var flags = driftPrevention ? PolicyFlags.DriftPrevention : PolicyFlags.None;
        lock (_lock)
        {
            var key = profile?.Identity.Key ?? container.WorkloadKey;
            if (key is null || (mode != ProfileMode.Learn && profile is null) || (mode == ProfileMode.Learn && !driftPrevention))
            {
                Unenforce(container.CgroupId);
                return;
            }
            var policy = _enforcer.PolicyFor(key);
            WorkloadSets sets;
            if (mode == ProfileMode.Protect && profile is not null)
            {
                // The allow sets first: from the moment the policy says protect, whatever they do not name is refused.
                var executables = profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal).Count();
                var (resolved, processes, multiCall) = AllowProcesses(policy, root, profile);
                var destinations = AllowDestinations(policy, profile);
                _enforcer.SetPolicy(policy, EnforcementMode.Protect, flags);
                sets = new WorkloadSets(EnforcementMode.Protect, flags, processes, multiCall, destinations);
                _log.KernelProtect(container.ContainerId[..Math.Min(12, container.ContainerId.Length)], resolved, executables, processes.Count, destinations.Count);
            }
            else
            {
                // Learn reaches here only with drift prevention: the workload's own policy, mode off, drift killed, and
                // its image mapped, so that its next container has it from its first exec.
                var kernelMode = mode == ProfileMode.Monitor ? EnforcementMode.Monitor : EnforcementMode.Off;
                _enforcer.SetPolicy(policy, kernelMode, flags);
                sets = WorkloadSets.Empty(kernelMode, flags);
            }
            _enforcer.AssignCgroup(container.CgroupId, policy);
            // The next container of this image is the workload's from its first exec.
            if (KernelEnforcer.ImageKeyOfProcess(container.PidInContainer) is { } image)
            {
                if (!_images.TryGetValue(image, out var members)) _images[image] = members = [];
                members[policy] = sets;
                Publish(image, members);
            }
        }
    }

    /// <summary>
    /// Maps an image into the kernel before any container of it exists (an attested profile imported for a pulled
    /// image): the workload's policy is filled from the image's own files (<paramref name="imageRoot"/>, the image's
    /// mount: overlay files carry the layer file's inode, so they are named as in every container of the image) and
    /// the image mapped to it, so the kernel puts the image's first container under it at its first exec. The agent
    /// later assigns the container itself (<see cref="Apply"/>), with the same policy.
    /// </summary>
    /// <returns>The profile's executables found in the image, and how many it names.</returns>
    public (int Resolved, int Executables) ApplyImage(string imageRoot, ImageKey image, BehaviourProfile profile, ProfileMode mode)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (mode == ProfileMode.Learn) throw new ArgumentException("an image is mapped for monitor or protect only", nameof(mode));
        var flags = profile.DriftPrevention ? PolicyFlags.DriftPrevention : PolicyFlags.None;
        lock (_lock)
        {
            var policy = _enforcer.PolicyFor(profile.Identity.Key);
            var executables = profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal).Count();
            var resolved = 0;
            WorkloadSets sets;
            if (mode == ProfileMode.Protect)
            {
                (resolved, var processes, var multiCall) = AllowProcesses(policy, imageRoot, profile);
                var destinations = AllowDestinations(policy, profile);
                _enforcer.SetPolicy(policy, EnforcementMode.Protect, flags);
                sets = new WorkloadSets(EnforcementMode.Protect, flags, processes, multiCall, destinations);
            }
            else
            {
                _enforcer.SetPolicy(policy, EnforcementMode.Monitor, flags);
                sets = WorkloadSets.Empty(EnforcementMode.Monitor, flags);
            }
            if (!_images.TryGetValue(image, out var members)) _images[image] = members = [];
            members[policy] = sets;
            Publish(image, members);
            return (resolved, executables);
        }
    }

    /// <summary>
    /// Maps an image to the policy its new containers get at their first exec, before the agent has seen them: the
    /// workload's own when one workload runs the image; when several do (two services built from one image), the
    /// union of their sets, in protect only while all of them are, so that no workload's container is killed for
    /// doing what its own profile allows. The agent then assigns each container its own workload's policy.
    /// </summary>
    private void Publish(ImageKey image, Dictionary<uint, WorkloadSets> members)
    {
        if (members.Count == 1)
        {
            _enforcer.MapImage(image, members.Keys.Single());
            return;
        }
        var union = _enforcer.PolicyFor($"zerodrift/image/{image.Device}:{image.Inode}");
        var processes = members.Values.SelectMany(m => m.Processes).Distinct().ToList();
        var multiCall = new Dictionary<FileId, ulong>();
        foreach (var (file, self) in members.Values.SelectMany(m => m.MultiCall)) multiCall[file] = self;
        var destinations = members.Values.SelectMany(m => m.Destinations).Distinct().ToList();
        foreach (var (file, parent, name) in processes) _enforcer.AllowProcess(union, file, parent, name);
        foreach (var (file, self) in multiCall) _enforcer.MarkMultiCall(union, file, self);
        foreach (var (address, prefix, port) in destinations) _enforcer.AllowDestination(union, address, prefix, port);
        _enforcer.PruneExecutables(union, processes, multiCall.Keys);
        _enforcer.PruneDestinations(union, destinations);
        var all = members.Values.All(m => m.Mode == EnforcementMode.Protect);
        // Drift is killed in the image's new containers only when every workload running it asks for it.
        var drift = members.Values.All(m => m.Flags.HasFlag(PolicyFlags.DriftPrevention)) ? PolicyFlags.DriftPrevention : PolicyFlags.None;
        _enforcer.SetPolicy(union, all ? EnforcementMode.Protect : EnforcementMode.Off, drift);
        _enforcer.MapImage(image, union);
    }

    /// <summary>
    /// Takes a container out of enforcement: its cgroup goes under the unenforced policy, and the policy it was under
    /// (its workload's, switched back to learning without drift prevention) stops enforcing and loses its images, so no
    /// new container of the workload is enforced by the kernel's guess either (the agent's drift prevention, when on,
    /// still covers it through the default container policy).
    /// </summary>
    private void Unenforce(ulong cgroupId)
    {
        _unenforced ??= _enforcer.PolicyFor(UnenforcedKey);
        var unenforced = _unenforced.Value;
        if (_enforcer.CgroupOf(cgroupId) is { } earlier && earlier.Policy != unenforced && _enforcer.Policy(earlier.Policy) is not null)
        {
            _enforcer.SetPolicy(earlier.Policy, EnforcementMode.Off, PolicyFlags.None);
            foreach (var (image, members) in _images.Where(i => i.Value.Remove(earlier.Policy)).ToList())
            {
                if (members.Count > 0) Publish(image, members);
                else
                {
                    _images.Remove(image);
                    _enforcer.UnmapImage(image);
                }
            }
            // Mappings a previous agent made, which this one has not met again.
            foreach (var (image, policy) in _enforcer.Images())
                if (policy == earlier.Policy) _enforcer.UnmapImage(image);
        }
        _enforcer.AssignCgroup(cgroupId, unenforced);
    }

    /// <summary>Directories whose names are how a container's image reaches its executables (for multi-call files).</summary>
    private static readonly string[] ProgramDirectories = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];

    /// <summary>
    /// Pushes the profile's processes: each executable with its parent (resolved in the container like the executable,
    /// or the runtime's class) and, for a multi-call file, the name it ran under. A file is multi-call when the profile
    /// saw it under several names or the image reaches it under several names (busybox's applet links). Returns the
    /// files resolved and the processes allowed.
    /// </summary>
    private (int Files, List<(FileId, ExecParent, ulong)> Processes, Dictionary<FileId, ulong> MultiCall) AllowProcesses(uint policy, string root, BehaviourProfile profile)
    {
        var files = new Dictionary<string, FileId>(StringComparer.Ordinal);
        foreach (var exe in profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal))
            if (KernelEnforcer.ResolveInRoot(root, exe) is { } id) files[exe] = id;

        var names = new Dictionary<FileId, HashSet<string>>();
        foreach (var (exe, id) in files)
        {
            if (!names.TryGetValue(id, out var set)) names[id] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(ProgramName.BaseName(exe));
        }
        foreach (var p in profile.Processes)
            if (files.TryGetValue(p.Executable, out var id)) names[id].Add(p.Name ?? ProgramName.BaseName(p.Executable));
        foreach (var directory in ProgramDirectories)
            foreach (var (name, id) in KernelEnforcer.ListInRoot(root, directory))
                if (names.TryGetValue(id, out var set)) set.Add(name);
        var multiCall = names.Where(n => n.Value.Count > 1).Select(n => n.Key).ToHashSet();

        // Filled before anything is removed (an agent restart or a profile update re-applies a protected
        // workload): the processes with their names first, then the marks that make names count, then what the
        // previous sets held and these do not.
        var keys = new List<(FileId, ExecParent, ulong)>();
        foreach (var p in profile.Processes)
        {
            if (!files.TryGetValue(p.Executable, out var id)) continue;
            var name = multiCall.Contains(id) ? ProgramName.Hash(p.Name ?? ProgramName.BaseName(p.Executable)) : 0;
            var key = (id, ParentOf(root, p.Parent), name);
            _enforcer.AllowProcess(policy, key.id, key.Item2, key.name);
            keys.Add(key);
        }
        var marks = new Dictionary<FileId, ulong>();
        foreach (var (exe, id) in files)
            if (multiCall.Contains(id))
            {
                var own = ProgramName.BaseName(exe);
                marks[id] = ProgramName.DispatchesOnFirstArgument(own) ? ProgramName.Hash(own) : 0;
                _enforcer.MarkMultiCall(policy, id, marks[id]);
            }
        _enforcer.PruneExecutables(policy, keys, multiCall);
        return (files.Count, keys, marks);
    }

    private List<(IPAddress, int, int)> AllowDestinations(uint policy, BehaviourProfile profile)
    {
        var keep = new List<(IPAddress, int, int)>();
        foreach (var entry in profile.Network.Where(n => n.Direction == NetworkDirection.Egress))
        {
            if (!TryParsePeer(entry.Peer, out var address, out var prefix)) continue;
            _enforcer.AllowDestination(policy, address, prefix, entry.Port);
            keep.Add((address, prefix, entry.Port));
        }
        _enforcer.PruneDestinations(policy, keep);
        return keep;
    }

    /// <summary>
    /// The kernel's parent for a profile entry: none recorded allows any parent; the runtime's processes are its two
    /// classes (conmon and containerd's shims start the container's init: entry; runc and crun enter a running
    /// container: runtime exec), and so is a path that is no file in the container (a process outside it).
    /// </summary>
    private static ExecParent ParentOf(string root, string? parent)
    {
        if (parent is null) return ExecParent.Any;
        if (RuntimeClass(parent) is { } runtime) return runtime;
        return KernelEnforcer.ResolveInRoot(root, parent) is { } id ? ExecParent.Of(id) : ExecParent.RuntimeExec;
    }

    private static ExecParent? RuntimeClass(string path) => RuntimeParent.Canonical(path) switch
    {
        RuntimeParent.Entry => ExecParent.Entry,
        RuntimeParent.Exec => ExecParent.RuntimeExec,
        _ => null,
    };

    private static bool TryParsePeer(string peer, out IPAddress address, out int prefix)
    {
        if (IPNetwork.TryParse(peer, out var network))
        {
            (address, prefix) = (network.BaseAddress, network.PrefixLength);
            return true;
        }
        if (IPAddress.TryParse(peer, out var ip))
        {
            address = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
            prefix = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            return true;
        }
        (address, prefix) = (IPAddress.None, 0);
        return false;
    }

    public void Forget(ulong cgroupId)
    {
        lock (_lock)
        {
            _enforcer.Forget(cgroupId);
            // The kernel also records containers the agent never met (one that started and ended between two of its
            // looks): swept now and then, when containers go.
            if (Environment.TickCount64 - _lastSweep < SweepInterval) return;
            _lastSweep = Environment.TickCount64;
            _enforcer.SweepGoneCgroups();
        }
    }

    /// <summary>The kernel records the kill by pid, once the signal is sent, before the new program would return to user space.</summary>
    public bool KilledAtExec(int pid, long execTimeNs) => _enforcer.KilledAtExec(pid, execTimeNs);

    public void Dispose()
    {
        // The enforcer's descriptors close; what is pinned stays, so Protect goes on until the agent is back.
        _enforcer.Dispose();
    }
}
