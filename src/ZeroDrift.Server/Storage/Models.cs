using ZeroDrift.Server.Client;

namespace ZeroDrift.Server.Storage;

// Rows as the store takes and gives them. Times are milliseconds since the Unix epoch (UTC).

public static class Roles
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";
    /// <summary>API token for an agent: streams records, reads its commands.</summary>
    public const string Agent = "agent";
    /// <summary>API token for CI: uploads scans and SBOMs.</summary>
    public const string Ci = "ci";
    /// <summary>API token for audit sources: the Kubernetes API server's audit webhook, CloudTrail uploads.</summary>
    public const string Audit = "audit";

    public static bool IsUserRole(string role) => role is Admin or Viewer;
    public static bool IsTokenRole(string role) => role is Agent or Ci or Viewer or Audit;
}

public sealed record UserRecord(long Id, string Name, string PasswordHash, string Role);
public sealed record SessionRecord(long UserId, string UserName, string Role, string Csrf, long ExpiresAt);
public sealed record TokenRecord(long Id, string Name, string Role, string CreatedBy, long CreatedAt, long? RevokedAt);
public sealed record AuditEntry(long Id, long At, string Actor, string Action, string Subject, string Detail);

public sealed record FindingRow(string VulnId, string Purl, string Package, string Version, string Severity, double? Score, string? FixedIn, IReadOnlyList<string> Paths, string Summary);
/// <summary>A secret (redacted), personal data (masked) or misconfiguration a content scanner found; identified across scans by its fingerprint.</summary>
public sealed record ContentFindingRow(string Class, string RuleId, string Title, string Severity, string Path, int Line, string Fingerprint, string Message, string Match);

/// <summary>
/// One uploaded scan. <paramref name="Scanners"/> says what it looked for: only those parts of the workload's
/// open findings can be fixed by it (a secrets-only scan fixes no vulnerability).
/// </summary>
public sealed record ScanIngest(string Subject, string Stage, string TargetName, string TargetKind, string ImageDigest, string Tool, int Packages, long ReceivedAt, string UploadedBy, IReadOnlyList<FindingRow> Findings)
{
    public IReadOnlyCollection<string> Scanners { get; init; } = ["vuln"];
    public IReadOnlyList<ContentFindingRow> Content { get; init; } = [];
}
public sealed record ScanIngestResult(long ScanId, int Findings, int New, int Fixed)
{
    /// <summary>Of <see cref="Fixed"/>, the vulnerabilities a ZeroDrift fix closed (a rescan of the image it patched).</summary>
    public int FixedByZeroDrift { get; init; }
    /// <summary>Remediation jobs a patch-image playbook created for this scan's image.</summary>
    public IReadOnlyList<long> Remediations { get; init; } = [];
    public int ContentFindings { get; init; }
    public int ContentNew { get; init; }
    public int ContentFixed { get; init; }
}
public sealed record OpenContentFinding(string Subject, string Class, string RuleId, string Title, string Severity, string Path, int Line, string Fingerprint, string Message, string Match, long FirstSeen, string FirstStage);

/// <summary>An admission decision of the hosted webhook: denied workloads are risks stopped before deployment.</summary>
public sealed record AdmissionRow(long At, string Uid, string Kind, string Namespace, string Name, string Operation, bool Allowed, bool DryRun, string Images, string Reasons);
public sealed record AdmissionView(long Id, long At, string Uid, string Kind, string Namespace, string Name, string Operation, bool Allowed, bool DryRun, IReadOnlyList<string> Images, IReadOnlyList<string> Reasons);
public sealed record SbomPackage(string Purl, string Name, string Version);
public sealed record SbomIngest(string Subject, string Format, long ReceivedAt, string UploadedBy, IReadOnlyList<SbomPackage> Packages);

/// <summary>An agent's registration: its node, and how it enforces Protect (null from an agent that does not say).</summary>
public sealed record HostRow(string Name, string Attrs, long Seen, AgentEnforcement? Enforcement = null);
public sealed record ContainerRow(string Id, string Host, string Workload, string Image, string ImageDigest, string State, bool Exposed, long StartedAt, long Seen);
public sealed record EventRow(string Kind, long At, string ContainerId, string Workload, string Path, string Process, string Detail);
/// <param name="Origin">Where an alert not raised on a container comes from (a Kubernetes audit event, a CloudTrail record), for the timeline.</param>
public sealed record AlertRow(string AgentAlertId, string Rule, string Severity, long EventAt, long RaisedAt, string ContainerId, string Workload, string Action, long? ActionAt, string Detail,
    bool Learned = false, string? Origin = null);
public sealed record ProfileRow(string Workload, string Mode, string Body, long At);

public sealed record AgentBatch(IReadOnlyList<HostRow> Hosts, IReadOnlyList<ContainerRow> Containers, IReadOnlyList<EventRow> Events, IReadOnlyList<AlertRow> Alerts, IReadOnlyList<ProfileRow> Profiles)
{
    public int Count => Hosts.Count + Containers.Count + Events.Count + Alerts.Count + Profiles.Count;
}

public sealed record BatchResult(bool Duplicate, int Records, int NewAlerts, IReadOnlyList<long> TouchedIncidents);

public sealed record HostView(string Name, string Agent, long FirstSeen, long LastSeen, int RunningContainers, AgentEnforcement? Enforcement = null);
public sealed record ContainerView(string Id, string Host, string Workload, string Image, string ImageDigest, string State, bool Exposed, long StartedAt, long LastSeen);
public sealed record ImageView(string Image, string ImageDigest, int RunningContainers, IReadOnlyList<string> Hosts, IReadOnlyList<string> Workloads)
{
    /// <summary>Open vulnerabilities of the image's latest scan that have a fixed version.</summary>
    public int FixableNow { get; init; }
    /// <summary>The newest remediation job for this image (any state), with the patched image once done.</summary>
    public RemediationView? Remediation { get; init; }
    /// <summary>An agent reports a running container of the patched digest.</summary>
    public bool PatchedDeployed { get; init; }
}

/// <summary>Kinds and states of remediation jobs (docs/remediation.md, "On the server").</summary>
public static class Remediations
{
    public const string PatchImage = "patch-image";
    public const string Dependencies = "dependencies";
    public const string Pending = "pending", Claimed = "claimed", Done = "done", Failed = "failed";
}

/// <summary>
/// A fix ZeroDrift makes: <c>patch-image</c> (the server or CI runs <c>zerodrift fix IMAGE --push</c>; done with the
/// patched image's digest) or <c>dependencies</c> (a dependency fix CI applied and reported). <paramref name="Findings"/>
/// are the vulnerability ids it was asked to close.
/// </summary>
public sealed record RemediationView(long Id, string Subject, string Kind, string Image, string ImageDigest, string State, string RequestedBy, bool Automatic,
    IReadOnlyList<string> Findings, long? IncidentId, long CreatedAt, string? ClaimedBy, long? ClaimedAt, long? LeaseUntil, long? DoneAt,
    string? PatchedImage, string? PatchedDigest, string? Error);

public sealed record RemediationRequest(string Subject, string Kind, string Image, string ImageDigest, string RequestedBy, bool Automatic, IReadOnlyList<string> Findings, long Now);
public sealed record WorkloadView(string Name, string Mode, bool Exposed, int RunningContainers, IReadOnlyList<string> Images);
public sealed record OpenVulnerability(string Subject, string VulnId, string Purl, string Package, string Version, string Severity, double? Score, string? FixedIn, IReadOnlyList<string> Paths, string Summary, long FirstSeen);

public sealed record IncidentView(long Id, string Workload, string Title, string Severity, string State, long OpenedAt, long FirstEventAt, long? AcknowledgedAt, long? ContainedAt, long? ResolvedAt, string? ContainedBy, string? ResolvedBy, int Alerts);
public sealed record TimelineEntry(long At, string Actor, bool Automatic, string Kind, string Detail);
public sealed record PlaybookRecord(long Id, string Name, string RuleContains, string MinSeverity, string Action, bool Enabled);
public sealed record AgentCommand(long Id, string Agent, string Kind, string Target, string Payload, long? IncidentId, string RequestedBy, bool Automatic, long CreatedAt, long? DispatchedAt, long? DoneAt, string? Outcome);
public sealed record ProfileView(string Workload, string Mode, string Body, long UpdatedAt);

/// <summary>Raw timestamps the seed's numbers are computed from (<see cref="Metrics.SeedNumbers"/>).</summary>
public sealed record SeedFacts(
    long RisksFoundInAdvance,
    long ContentRisksFoundInAdvance,
    long DeploymentsDenied,
    IReadOnlyDictionary<string, long> FixedBySeverity,
    IReadOnlyList<long> ResponseTimesMs,
    IReadOnlyList<long> DetectTimesMs,
    IReadOnlyList<long> BlockTimesMs,
    IReadOnlyList<long> ManualTimesMs,
    long IncidentsClosedAutomatically,
    long IncidentsOpen,
    long AttacksBlocked,
    IReadOnlyList<(long Day, string Series, long Count)> Daily,
    long Events,
    long Alerts)
{
    /// <summary>Of <see cref="FixedBySeverity"/>, the fixes ZeroDrift made (a rescan of an image it patched, or a dependency fix reported back).</summary>
    public IReadOnlyDictionary<string, long> FixedByZeroDriftBySeverity { get; init; } = new Dictionary<string, long>();
    /// <summary>First seen → fixed of the fixes ZeroDrift made; <see cref="ResponseTimesMs"/> has every fix.</summary>
    public IReadOnlyList<long> ZeroDriftResponseTimesMs { get; init; } = [];
    /// <summary>First seen → fixed of the fixes only seen in later scans (made by someone else).</summary>
    public IReadOnlyList<long> ScanResponseTimesMs { get; init; } = [];
}
