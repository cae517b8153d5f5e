using System.Collections.Concurrent;
using System.Net;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// Protect in the kernel, through <see cref="KernelEnforcer"/>: for each container of a workload in Protect the
/// profile's executables (resolved inside the container to the {dev, ino} the kernel sees at exec) and egress
/// destinations are pushed, then the cgroup is switched to protect. From then on an exec outside the set, or from
/// the writable layer or a memfd, is killed at <c>sched_process_exec</c> before its first instruction, and a
/// connect or datagram to another destination fails with EPERM. State is pinned: blocking goes on while the agent
/// restarts.
/// <para>
/// The engine is finer than the kernel's sets (a process is known with its parent executable), so a block verdict
/// the kernel did not carry out — the executable is allowed, only its parent is new — falls back to a user-space
/// kill. The kernel's own records (<see cref="KernelEnforcer.ReadBlockedAsync"/>) are matched with the alerts the
/// sensor's events produced; a block no event explained (a UDP datagram, a lost record) becomes its own alert.
/// </para>
/// </summary>
public sealed class KernelEnforcement : IEnforcement
{
    private readonly KernelEnforcer _enforcer;
    private readonly UserSpaceEnforcement _fallback;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<ulong, HashSet<string>> _allowedExecutables = new();
    private readonly Lock _lock = new();

    public KernelEnforcement(KernelEnforcer enforcer, Responder responder, Action<string> log)
    {
        _enforcer = enforcer;
        _fallback = new UserSpaceEnforcement(responder, "the kernel allowed an executable whose parent is new to the profile");
        _log = log;
        Description = $"in the kernel (exec killed at sched_process_exec before its first instruction; connect and sendmsg refused with EPERM "
            + $"by cgroup programs; pinned under {enforcer.PinRoot}{(enforcer.Reused ? ", adopted from a previous run" : "")}), user-space kill where only the engine can tell";
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
                _allowedExecutables.TryRemove(container.CgroupId, out _);
                return;
            }
            // The allow sets first: from the moment the mode says protect, whatever they do not name is refused.
            var executables = profile.Processes.Select(p => p.Executable).Distinct(StringComparer.Ordinal).ToList();
            var resolved = _enforcer.AllowExecutables(container.CgroupId, container.PidInContainer, executables);
            var destinations = 0;
            foreach (var entry in profile.Network.Where(n => n.Direction == NetworkDirection.Egress))
            {
                if (!TryParsePeer(entry.Peer, out var address, out var prefix)) continue;
                _enforcer.AllowDestination(container.CgroupId, address, prefix, entry.Port);
                destinations++;
            }
            _allowedExecutables[container.CgroupId] = [.. executables];
            _enforcer.SetMode(container.CgroupId, container.CgroupPath, EnforcementMode.Protect);
            _log($"zerodrift: agent: kernel enforcement for container {container.ContainerId[..Math.Min(12, container.ContainerId.Length)]}: protect, "
                + $"{resolved} of {executables.Count} executables and {destinations} destinations allowed");
        }
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
            _allowedExecutables.TryRemove(cgroupId, out _);
        }
    }

    /// <summary>
    /// What happened to a block verdict: drift, and an executable outside the pushed set, were killed by the kernel
    /// at exec; a refused connect came back with EPERM. Otherwise the user-space fallback kills the process.
    /// </summary>
    public (AlertAction Action, long? AtNs) OnBlock(BlockRequest r)
    {
        var inKernel = r.Kind switch
        {
            DeviationKind.Drift => IsProtected(r.CgroupId),
            DeviationKind.Process => IsProtected(r.CgroupId) && r.Executable is not null
                && _allowedExecutables.TryGetValue(r.CgroupId, out var allowed) && !allowed.Contains(r.Executable),
            DeviationKind.Network => r.ConnectResult == -1, // -EPERM: the cgroup program refused it
            _ => false,
        };
        return inKernel ? (AlertAction.Blocked, r.KernelTimeNs) : _fallback.OnBlock(r);
    }

    private bool IsProtected(ulong cgroupId) => _allowedExecutables.ContainsKey(cgroupId);

    public void Dispose()
    {
        // The enforcer's descriptors close; what is pinned stays, so Protect goes on until the agent is back.
        _enforcer.Dispose();
    }
}
