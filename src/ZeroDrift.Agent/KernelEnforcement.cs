using System.Net;
using Microsoft.Extensions.Logging;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// Protect in the kernel, through <see cref="KernelEnforcer"/>: for each container of a workload in Protect the
/// profile's processes (executable and parent executable, resolved inside the container to the {dev, ino} the
/// kernel sees at exec, and the name a multi-call binary ran under) and egress destinations are pushed, then the
/// cgroup is switched to protect. From then on an exec outside the set, or from the writable layer or a memfd, is
/// killed at <c>sched_process_exec</c> before its first instruction, and a connect or datagram to another
/// destination fails with EPERM. State is pinned: blocking goes on while the agent restarts.
/// <para>
/// The engine still tells apart what the kernel folds into one (two parents outside the container: conmon and
/// runc; a parent or executable the container no longer resolves), so a block verdict the kernel did not carry out
/// falls back to a user-space kill (the loop's). An alert says blocked only when the kernel's records confirm it: its
/// per-pid record of execs it killed (<see cref="KilledAtExec"/>) and its blocked records
/// (<see cref="KernelEnforcer.ReadBlockedAsync"/>), which the loop joins with the sensor's events; a block no event
/// explained (a UDP datagram, a lost record) becomes its own alert.
/// </para>
/// </summary>
public sealed class KernelEnforcement : IEnforcement
{
    private readonly KernelEnforcer _enforcer;
    private readonly ILogger _log;
    private readonly Lock _lock = new();

    public KernelEnforcement(KernelEnforcer enforcer, ILogger log)
    {
        _enforcer = enforcer;
        _log = log;
        Description = $"in the kernel (exec killed at sched_process_exec before its first instruction; connect and sendmsg refused with EPERM "
            + $"by cgroup programs; pinned under {enforcer.PinRoot}{(enforcer.Reused ? ", adopted from a previous run" : "")}), user-space kill (best effort) where only the engine can tell";
    }

    public KernelEnforcer Enforcer => _enforcer;
    public string Description { get; }
    public bool InKernel => true;

    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile)
    {
        if (container.CgroupPath is null) throw new SensorException($"the cgroup of container {container.ContainerId} is not known");
        lock (_lock)
        {
            if (mode != ProfileMode.Protect || profile is null)
            {
                _enforcer.SetMode(container.CgroupId, container.CgroupPath, mode == ProfileMode.Monitor ? EnforcementMode.Monitor : EnforcementMode.Off);
                return;
            }
            // The allow sets first: from the moment the mode says protect, whatever they do not name is refused.
            var executables = profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal).ToList();
            var (resolved, processes) = AllowProcesses(container, profile);
            var destinations = 0;
            foreach (var entry in profile.Network.Where(n => n.Direction == NetworkDirection.Egress))
            {
                if (!TryParsePeer(entry.Peer, out var address, out var prefix)) continue;
                _enforcer.AllowDestination(container.CgroupId, address, prefix, entry.Port);
                destinations++;
            }
            _enforcer.SetMode(container.CgroupId, container.CgroupPath, EnforcementMode.Protect);
            _log.KernelProtect(container.ContainerId[..Math.Min(12, container.ContainerId.Length)], resolved, executables.Count, processes, destinations);
        }
    }

    /// <summary>Directories whose names are how a container's image reaches its executables (for multi-call files).</summary>
    private static readonly string[] ProgramDirectories = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];

    /// <summary>
    /// Pushes the profile's processes: each executable with its parent's executable (resolved in the container like
    /// the executable; a parent outside the container — the runtime — as one class) and, for a multi-call file, the
    /// name it ran under. A file is multi-call in this container when the profile saw it under several names or
    /// the image reaches it under several names (busybox's applet links). Returns the files resolved and the
    /// processes allowed.
    /// </summary>
    private (int Files, int Processes) AllowProcesses(EnforcedContainer container, BehaviourProfile profile)
    {
        var pid = container.PidInContainer;
        var files = new Dictionary<string, FileId>(StringComparer.Ordinal);
        foreach (var exe in profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal))
            if (KernelEnforcer.ResolveInContainer(pid, exe) is { } id) files[exe] = id;

        var names = new Dictionary<FileId, HashSet<string>>();
        foreach (var (exe, id) in files)
        {
            if (!names.TryGetValue(id, out var set)) names[id] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(ProgramName.BaseName(exe));
        }
        foreach (var p in profile.Processes)
            if (files.TryGetValue(p.Executable, out var id)) names[id].Add(p.Name ?? ProgramName.BaseName(p.Executable));
        foreach (var directory in ProgramDirectories)
            foreach (var (name, id) in KernelEnforcer.ListInContainer(pid, directory))
                if (names.TryGetValue(id, out var set)) set.Add(name);
        var multiCall = names.Where(n => n.Value.Count > 1).Select(n => n.Key).ToHashSet();

        // Filled before anything is removed (an agent restart or a profile update re-applies a protected
        // container): the processes with their names first, then the marks that make names count, then what the
        // previous sets held and these do not.
        var keys = new List<(FileId, ExecParent, ulong)>();
        foreach (var p in profile.Processes)
        {
            if (!files.TryGetValue(p.Executable, out var id)) continue;
            var name = multiCall.Contains(id) ? ProgramName.Hash(p.Name ?? ProgramName.BaseName(p.Executable)) : 0;
            var key = (id, ParentOf(pid, p.Parent), name);
            _enforcer.AllowProcess(container.CgroupId, key.id, key.Item2, key.name);
            keys.Add(key);
        }
        foreach (var (exe, id) in files)
            if (multiCall.Contains(id))
            {
                var own = ProgramName.BaseName(exe);
                _enforcer.MarkMultiCall(container.CgroupId, id, ProgramName.DispatchesOnFirstArgument(own) ? ProgramName.Hash(own) : 0);
            }
        _enforcer.PruneExecutables(container.CgroupId, keys, multiCall);
        return (files.Count, keys.Count);
    }

    /// <summary>
    /// The kernel's parent for a profile entry: none recorded allows any parent; the runtime's processes (and a
    /// path that is no file in the container: a host process) are the parent outside the container's cgroup.
    /// </summary>
    private static ExecParent ParentOf(int pid, string? parent)
    {
        if (parent is null) return ExecParent.Any;
        if (IsRuntime(parent)) return ExecParent.Outside;
        return KernelEnforcer.ResolveInContainer(pid, parent) is { } id ? ExecParent.Of(id) : ExecParent.Outside;
    }

    /// <summary>Container runtimes start a container's processes from the host: conmon and containerd's shims the
    /// entrypoint, runc and crun an exec (runc possibly from a memfd copy of itself).</summary>
    private static bool IsRuntime(string path)
    {
        if (path.StartsWith("memfd:", StringComparison.Ordinal) || path.StartsWith("/memfd:", StringComparison.Ordinal)) return true;
        var name = ProgramName.BaseName(path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^10] : path);
        return name is "conmon" or "runc" or "crun" or "youki" or "runsc" || name.StartsWith("containerd-shim", StringComparison.Ordinal);
    }

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
        }
    }

    /// <summary>The kernel records the kill by pid before the new program would return to user space.</summary>
    public bool KilledAtExec(int pid, long execTimeNs) => _enforcer.KilledAtExec(pid, execTimeNs);

    public void Dispose()
    {
        // The enforcer's descriptors close; what is pinned stays, so Protect goes on until the agent is back.
        _enforcer.Dispose();
    }
}
