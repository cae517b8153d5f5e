namespace ZeroDrift.Runtime.Engine;

public enum DeviationKind
{
    /// <summary>An executable that did not ship in the image: written after start, in the writable layer, or in memory.</summary>
    Drift,
    Process,
    File,
    Network,
    Syscall,
    Capability,
}

public enum EngineAction
{
    /// <summary>Inside the profile.</summary>
    None,

    /// <summary>New behaviour, added to the profile (Learn mode).</summary>
    Learned,

    /// <summary>Outside the profile: alerted (Monitor mode, or drift while learning).</summary>
    Alert,

    /// <summary>Outside the profile: blocked in the kernel and alerted (Protect mode).</summary>
    Block,
}

/// <summary>What the engine decided about one observation, and why, in words an operator reads in an alert.</summary>
public sealed record Verdict(EngineAction Action, DeviationKind? Deviation, Profiles.ProfileMode Mode, string Reason)
{
    public static readonly Verdict Known = new(EngineAction.None, null, Profiles.ProfileMode.Learn, "");

    private static readonly Verdict[] KnownByMode = [.. Enum.GetValues<Profiles.ProfileMode>().Select(m => Known with { Mode = m })];

    /// <summary>Known behaviour of a workload in <paramref name="mode"/>: alerts on the same event (the rules') say that
    /// mode, not Learn's. One instance per mode: the hot path allocates nothing for it.</summary>
    public static Verdict KnownIn(Profiles.ProfileMode mode) => KnownByMode[(int)mode];
}
