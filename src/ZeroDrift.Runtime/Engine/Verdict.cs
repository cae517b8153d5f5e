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
}
