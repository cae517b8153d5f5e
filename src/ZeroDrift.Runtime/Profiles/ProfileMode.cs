namespace ZeroDrift.Runtime.Profiles;

/// <summary>What the agent does with a workload's behaviour.</summary>
public enum ProfileMode
{
    /// <summary>The profile grows with what the workload does (drift is still alerted: it is never learned).</summary>
    Learn,

    /// <summary>Behaviour outside the profile is alerted.</summary>
    Monitor,

    /// <summary>Behaviour outside the profile is blocked in the kernel and alerted.</summary>
    Protect,
}
