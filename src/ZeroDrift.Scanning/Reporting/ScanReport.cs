using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Scanning.Reporting;

/// <summary>A content finding as reported: with the baseline that suppresses it, if any.</summary>
public sealed record ReportedContentFinding(ContentFinding Finding, string? SuppressedBy)
{
    public bool Suppressed => SuppressedBy is not null;
}

/// <summary>What the content scanners (secret, pii, misconfig) found, with the metadata of the rules that can fire.</summary>
public sealed record ContentReport
{
    /// <summary>The content scanners that ran, by name (<c>secret</c>, <c>pii</c>, <c>misconfig</c>).</summary>
    public required IReadOnlyList<string> Scanners { get; init; }
    public required IReadOnlyList<RuleDescriptor> Rules { get; init; }
    public required IReadOnlyList<ReportedContentFinding> Findings { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public long FilesScanned { get; init; }
    public long BytesScanned { get; init; }
    /// <summary>True when git history was scanned too.</summary>
    public bool GitHistory { get; init; }

    public IEnumerable<ReportedContentFinding> Active => Findings.Where(f => !f.Suppressed);
}

/// <summary>The target a scan looked at, as every report names it.</summary>
public sealed record ScanTarget(string Name, string Kind, Distro? Distro, string? ManifestDigest);

/// <summary>
/// One scan's report: the vulnerability part and the content part, each present when its scanners ran. Every
/// output format (table, JSON, SARIF) writes this one object, so a scan has one report however many scanners ran.
/// </summary>
public sealed record ScanReport
{
    public required ScanTarget Target { get; init; }
    public required IReadOnlyList<string> Scanners { get; init; }
    public VulnerabilityReport? Vulnerabilities { get; init; }
    public ContentReport? Content { get; init; }

    /// <summary>Unsuppressed findings of any scanner (the ones <c>--exit-code</c> counts).</summary>
    public bool HasActiveFindings => (Vulnerabilities?.Active.Any() ?? false) || (Content?.Active.Any() ?? false);

    /// <summary>Problems met while opening and walking the target (part of the inventory's warnings when vuln ran).</summary>
    public IReadOnlyList<string> TargetWarnings { get; init; } = [];

    public IEnumerable<string> Warnings =>
        (Vulnerabilities is { } v ? v.Inventory.Warnings.Concat(v.Warnings) : TargetWarnings).Concat(Content?.Warnings ?? []);
}
