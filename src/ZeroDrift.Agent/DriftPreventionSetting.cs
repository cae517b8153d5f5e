namespace ZeroDrift.Agent;

/// <summary>
/// The agent's own drift prevention (<c>zerodrift agent --drift-prevention</c>): every container it covers, whatever
/// its workload's mode and with or without a profile, has an executable from its writable layer or a memfd killed at
/// exec. <paramref name="Scope"/> limits it to containers whose cgroup lies under that one (relative to the cgroup v2
/// mount, e.g. <c>/kubepods.slice</c>); null covers them all. Workloads whose profile asks for drift prevention have
/// it whatever this says.
/// </summary>
public sealed record DriftPreventionSetting(bool Everywhere = false, string? Scope = null)
{
    public static readonly DriftPreventionSetting PerWorkload = new();

    /// <summary>Whether the agent-wide setting covers the container whose cgroup has this path.</summary>
    public bool Covers(string cgroupPath)
    {
        if (!Everywhere) return false;
        if (Scope is null) return true;
        var scope = Scope.TrimEnd('/');
        return cgroupPath == scope || cgroupPath.StartsWith(scope + "/", StringComparison.Ordinal);
    }

    /// <summary>One phrase for the start-up line and the status: where drift prevention applies and how it is carried out.</summary>
    public string Describe(IEnforcement enforcement)
    {
        var how = enforcement.InKernel ? "killed in the kernel at exec, before its first instruction"
            : $"killed from user space after the event ({UserSpaceEnforcement.BestEffort})";
        var where = !Everywhere ? "for workloads whose profile asks for it"
            : Scope is null ? "on for every container" : $"on for every container under cgroup {Scope}";
        return $"{where}, in every mode (an executable from the writable layer or a memfd {how})";
    }
}
