using ZeroDrift.Core;

namespace ZeroDrift.DynamicTesting;

/// <summary>What kind of check raised a finding.</summary>
public enum FindingKind
{
    /// <summary>A Falco or ZeroDrift rule fired on the workload's behaviour.</summary>
    Rule,

    /// <summary>An executable that is not from the image ran (writable layer, memfd, not in the image's files).</summary>
    Drift,

    /// <summary>A connection to a destination the test did not declare.</summary>
    Egress,

    /// <summary>The HTTP baseline (ZAP baseline-like) check.</summary>
    Http,

    /// <summary>The sandbox itself: the container exited early, the exercise failed.</summary>
    Sandbox,
}

/// <summary>One finding of a dynamic test. <see cref="Id"/> is stable (the rule's name, or <c>ZD-HTTP-…</c>).</summary>
public sealed record TestFinding(FindingKind Kind, string Id, Severity Severity, string Title, string Detail, string? Evidence = null);
