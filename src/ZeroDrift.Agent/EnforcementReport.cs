using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Output;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent;

/// <summary>
/// What the agent says about its enforcement wherever a person looks (docs/agent.md, "When enforcement is
/// degraded"): the registration with the server and the status file behind <c>zerodrift agent status</c>. The mode and
/// the reason come from <see cref="IEnforcement"/>; the BPF filesystem and the pins from the kernel enforcer.
/// </summary>
public static class EnforcementReport
{
    /// <summary>The enforcement as the server stores it per node.</summary>
    public static AgentEnforcement Registration(IEnforcement enforcement)
    {
        var kernel = KernelOf(enforcement);
        return new AgentEnforcement
        {
            Mode = enforcement.Kind,
            Reason = enforcement.Degraded,
            PinRoot = kernel?.PinRoot,
            MountedBpfFs = kernel?.MountedBpfFs is not null,
        };
    }

    /// <summary>The enforcement with what it did so far, for the status file.</summary>
    /// <param name="kernelBlocks">Blocks the kernel reported (its own records).</param>
    /// <param name="userSpaceKills">Processes killed from user space after their event.</param>
    /// <param name="driftPrevention">The agent's drift prevention, said with how it is carried out.</param>
    public static StatusEnforcement Status(IEnforcement enforcement, long kernelBlocks, long userSpaceKills, DriftPreventionSetting? driftPrevention = null)
    {
        var registration = Registration(enforcement);
        var kernel = KernelOf(enforcement);
        return new StatusEnforcement
        {
            Mode = WireEnumConverter<EnforcementKind>.Name(registration.Mode),
            Reason = registration.Reason,
            MountedBpfFs = registration.MountedBpfFs,
            PinRoot = registration.PinRoot,
            // The kernel's own table (containers adopted from a previous run included); user space counts what it was given.
            ContainersProtected = kernel?.Modes().Count(m => m.Value == EnforcementMode.Protect) ?? (enforcement as UserSpaceEnforcement)?.Protected ?? 0,
            KernelBlocks = kernelBlocks,
            UserSpaceKills = userSpaceKills,
            DriftPrevention = (driftPrevention ?? DriftPreventionSetting.PerWorkload).Describe(enforcement),
        };
    }

    private static KernelEnforcer? KernelOf(IEnforcement enforcement) => (enforcement as KernelEnforcement)?.Enforcer;
}

/// <summary>
/// The agent's registration with the server (a <see cref="HostRecord"/>): sent at start and again whenever how it
/// enforces Protect changes, so the server, its metrics and its console never show a node as enforcing in the kernel
/// after it stopped.
/// </summary>
public sealed class HostRegistration(string hostname, IEnforcement enforcement, Func<AgentRecord, bool> send)
{
    private AgentEnforcement? _sent;
    private readonly Lock _lock = new();

    /// <summary>Sends the registration when it was never sent (or not taken) or the enforcement changed; true when it sent.</summary>
    public bool SendIfChanged(DateTimeOffset now)
    {
        var current = EnforcementReport.Registration(enforcement);
        lock (_lock)
        {
            if (current == _sent) return false;
            // Not taken (a full queue): tried again on the next call.
            if (!send(ServerRecords.Host(hostname, current, now))) return false;
            _sent = current;
            return true;
        }
    }
}
