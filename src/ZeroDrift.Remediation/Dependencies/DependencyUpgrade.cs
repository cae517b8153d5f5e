using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// The upgrade that removes every finding of one package version: <see cref="To"/> is null when none can
/// (no fixed version, or the only one crosses a major version without <c>--allow-major</c>) and then
/// <see cref="SkipReason"/> says why.
/// </summary>
public sealed record DependencyUpgrade
{
    public required Ecosystem Ecosystem { get; init; }
    public required string Name { get; init; }
    public required string From { get; init; }

    /// <summary>The version to move to, in the form the advisories give it (Go without its "v").</summary>
    public string? To { get; init; }

    /// <summary>The smallest version that closes every advisory, also when it was not taken (a major upgrade).</summary>
    public string? Smallest { get; init; }

    /// <summary>The findings' primary ids (a CVE where there is one) that <see cref="To"/> closes.</summary>
    public required IReadOnlyList<string> Advisories { get; init; }

    /// <summary>Findings no version closes (their advisories name no fix): they stay after the upgrade.</summary>
    public IReadOnlyList<string> Remaining { get; init; } = [];

    public bool CrossesMajor { get; init; }
    public string? SkipReason { get; init; }

    /// <summary>Whether the target version was seen in its registry; null when not asked (offline by default).</summary>
    public bool? Confirmed { get; init; }

    public bool Taken => To is not null && SkipReason is null;
}

/// <summary>One change to one manifest or lock file line (1-based, in the original file).</summary>
public sealed record ManifestEdit(string File, int Line, Ecosystem Ecosystem, string Package, string From, string To, string What);

/// <summary>A file's content before and after the fix, with the edits that made the difference.</summary>
public sealed record FileChange(string File, string Before, string After, IReadOnlyList<ManifestEdit> Edits);

/// <summary>Everything <c>zerodrift fix PATH</c> found: the upgrades, the file changes, and what needs a tool or a human.</summary>
public sealed record DependencyFixPlan
{
    public required string Root { get; init; }
    public required IReadOnlyList<DependencyUpgrade> Upgrades { get; init; }
    public required IReadOnlyList<FileChange> Changes { get; init; }

    /// <summary>Follow-up steps the edits leave to the ecosystem's tool (go mod tidy, hashes to refresh…).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Per-file problems: the file was left alone, the rest of the plan went on.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Findings whose package no manifest declares in a form the fixer can edit.</summary>
    public required IReadOnlyList<string> Unedited { get; init; }

    public bool HasWork => Upgrades.Count > 0;
}
