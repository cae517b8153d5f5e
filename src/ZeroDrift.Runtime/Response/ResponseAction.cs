namespace ZeroDrift.Runtime.Response;

public enum ResponseKind
{
    KillProcess,
    PauseContainer,
    StopContainer,
}

/// <summary>
/// One response taken, kept for the incident's timeline: what, on what, when, whether it worked, and whether a
/// person or the system decided it (<paramref name="Automatic"/>; <paramref name="By"/> names the rule or user).
/// </summary>
public sealed record ResponseAction(ResponseKind Kind, string Target, DateTimeOffset At, bool Succeeded, string Detail, bool Automatic, string By);
