namespace ZeroDrift.Agent.Tests.EventGenerator;

/// <summary>Where an action runs: a container as podman starts it by default, one with <c>--privileged</c>, one
/// without seccomp (<c>--security-opt seccomp=unconfined</c>), or the host itself.</summary>
public enum Place
{
    Container,
    Privileged,
    Unconfined,
    Host,
}

/// <summary>
/// One action of falcosecurity/event-generator (<c>events/syscall/*.go</c>), re-enacted: the same syscalls in the same
/// order, written here as a python3 script (what the generator does in its own process is done in the script's; the
/// commands it runs are run by the script). <see cref="Rule"/> is the rule it targets (the action's function name is
/// that rule's name in CamelCase); <see cref="FalcoFires"/> the rule Falco fires for it (the target, unless Falco's
/// first-match picks an earlier rule, or null when Falco fires nothing); <see cref="AlsoFalco"/> rules Falco fires as
/// well for other events of the action (any other alert is one Falco would not raise). An action with a
/// <see cref="Skip"/> reason is not run.
/// </summary>
public sealed record EventGeneratorAction(string Name, string Rule, Place Place = Place.Container)
{
    /// <summary>The script's file name in the image (or, on the host, in the test's directory).</summary>
    public string ScriptName => Name + ".py";

    /// <summary>The script's text; <c>{MARKER}</c> is unique to the action and the run (host actions put it in their command line).</summary>
    public string Script { get; init; } = "";

    /// <summary>The rule Falco fires for the action (Falco's default <c>rule_matching: first</c> fires one rule per
    /// event: the first in file order); null when Falco fires nothing for it.</summary>
    public string? FalcoFires { get; init; } = Rule;

    public IReadOnlyList<string> AlsoFalco { get; init; } = [];

    /// <summary>More <c>podman run</c> options the action's container needs (a capability docker grants by default, an exec /dev/shm).</summary>
    public IReadOnlyList<string> PodmanOptions { get; init; } = [];

    /// <summary>Why the action is not run (its rule is disabled or absent in Falco's three files, or it needs what this machine lacks).</summary>
    public string? Skip { get; init; }

    /// <summary>Where this re-enactment departs from the Go code, and why.</summary>
    public string? Note { get; init; }

    public bool Runs => Skip is null;

    /// <summary>Ours, not the generator's: a sibling of an action Falco fires nothing for, showing the rule's other branch
    /// fires (counted apart from the generator's actions).</summary>
    public bool IsVariant => Name.EndsWith("Variant", StringComparison.Ordinal);
}
