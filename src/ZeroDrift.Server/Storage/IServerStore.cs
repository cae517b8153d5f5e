namespace ZeroDrift.Server.Storage;

/// <summary>
/// Everything the server keeps, behind one interface with two implementations of the same schema: SQLite (the
/// default, one file) and PostgreSQL (several replicas, more writers). Every method is one transaction.
/// </summary>
public interface IServerStore : IAsyncDisposable
{
    string Kind { get; }
    Task MigrateAsync(CancellationToken ct);
    Task<int> SchemaVersionAsync(CancellationToken ct);

    // People, sessions, tokens, audit.
    Task<bool> EnsureAdminAsync(string name, string passwordHash, long now, CancellationToken ct);
    Task<UserRecord?> FindUserAsync(string name, CancellationToken ct);
    Task<long> CreateUserAsync(string name, string passwordHash, string role, long now, CancellationToken ct);
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct);
    Task CreateSessionAsync(string tokenHash, long userId, string csrf, long now, long expiresAt, CancellationToken ct);
    Task<SessionRecord?> FindSessionAsync(string tokenHash, long now, CancellationToken ct);
    Task DeleteSessionAsync(string tokenHash, CancellationToken ct);
    Task<long> CreateTokenAsync(string name, string tokenHash, string role, string createdBy, long now, CancellationToken ct);
    Task<TokenRecord?> FindTokenAsync(string tokenHash, CancellationToken ct);
    Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken ct);
    Task<bool> RevokeTokenAsync(long id, long now, CancellationToken ct);
    Task AuditAsync(string actor, string action, string subject, string detail, long now, CancellationToken ct);
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int limit, CancellationToken ct);

    // Ingestion.
    Task<ScanIngestResult> IngestScanAsync(ScanIngest scan, CancellationToken ct);
    Task<long> IngestSbomAsync(SbomIngest sbom, CancellationToken ct);
    /// <summary>Stores a batch once per (agent, batch id); alerts are grouped into incidents in the same transaction.</summary>
    Task<BatchResult> IngestAgentBatchAsync(string agent, string batchId, AgentBatch batch, long now, CancellationToken ct);

    // Assets and risk.
    Task<IReadOnlyList<HostView>> HostsAsync(CancellationToken ct);
    Task<IReadOnlyList<ContainerView>> ContainersAsync(CancellationToken ct);
    Task<IReadOnlyList<ImageView>> ImagesAsync(CancellationToken ct);
    Task<IReadOnlyList<WorkloadView>> WorkloadsAsync(CancellationToken ct);
    Task<IReadOnlyList<OpenVulnerability>> OpenVulnerabilitiesAsync(int limit, CancellationToken ct);
    /// <summary>Distinct paths events of these kinds saw in a workload's containers, with the first time each was seen.</summary>
    /// <summary>Open secrets, PII and misconfigurations from scans, most severe first; <paramref name="findingClass"/> null for all.</summary>
    Task<IReadOnlyList<OpenContentFinding>> OpenContentFindingsAsync(string? findingClass, int limit, CancellationToken ct);
    Task<IReadOnlyDictionary<string, long>> ObservedPathsAsync(string workload, IReadOnlyList<string> kinds, int limit, CancellationToken ct);

    // Admission decisions of the hosted webhook.
    Task<long> RecordAdmissionAsync(AdmissionRow decision, CancellationToken ct);
    Task<IReadOnlyList<AdmissionView>> AdmissionDecisionsAsync(bool? allowed, int limit, CancellationToken ct);

    // Incidents, automation, agent commands.
    Task<IReadOnlyList<IncidentView>> IncidentsAsync(string? state, int limit, CancellationToken ct);
    Task<IncidentView?> IncidentAsync(long id, CancellationToken ct);
    Task<IReadOnlyList<TimelineEntry>> TimelineAsync(long incidentId, CancellationToken ct);
    /// <summary>A person moves an incident (acknowledged, contained, resolved); false when the move is not allowed.</summary>
    Task<bool> TransitionIncidentAsync(long id, string state, string actor, string note, long now, CancellationToken ct);
    Task<IReadOnlyList<PlaybookRecord>> PlaybooksAsync(CancellationToken ct);
    Task<long> CreatePlaybookAsync(string name, string ruleContains, string minSeverity, string action, string createdBy, long now, CancellationToken ct);
    Task<long> CreateCommandAsync(string agent, string kind, string target, string payload, long? incidentId, string requestedBy, bool automatic, long now, CancellationToken ct);
    /// <summary>Commands not yet handed to the agent; marks them dispatched.</summary>
    Task<IReadOnlyList<AgentCommand>> DispatchCommandsAsync(string agent, long now, CancellationToken ct);
    /// <summary>The agent reports a command carried out: its incident is contained by automation when it was automatic.</summary>
    Task<bool> CompleteCommandAsync(string agent, long id, string outcome, long now, CancellationToken ct);
    Task<IReadOnlyList<AgentCommand>> CommandsAsync(int limit, CancellationToken ct);
    Task<IReadOnlyList<ProfileView>> ProfilesAsync(CancellationToken ct);
    /// <summary>Records the wanted mode of a workload; the agent learns it through a set-mode command.</summary>
    Task<bool> SetWorkloadModeAsync(string workload, string mode, long now, CancellationToken ct);

    // Remediation: fixes ZeroDrift makes (docs/remediation.md, "On the server").
    /// <summary>A person (or CI) asks for a fix; conflict when one is already pending, claimed or done for this subject and image.</summary>
    Task<long> RequestRemediationAsync(RemediationRequest request, CancellationToken ct);
    /// <summary>Hands the oldest pending job (or one whose claim lapsed) of <paramref name="kind"/> to <paramref name="claimer"/> until <paramref name="leaseUntil"/>.</summary>
    Task<RemediationView?> ClaimRemediationAsync(string kind, string claimer, long now, long leaseUntil, CancellationToken ct);
    /// <summary>The claimer reports the patched image; vulnerabilities a scan of that digest already closed are credited to the job. Null when the job is not claimed by <paramref name="claimer"/>.</summary>
    Task<RemediationView?> CompleteRemediationAsync(long id, string claimer, string patchedImage, string patchedDigest, long now, CancellationToken ct);
    Task<bool> FailRemediationAsync(long id, string claimer, string error, long now, CancellationToken ct);
    /// <summary>CI applied a dependency fix for a workload: a later scan that no longer shows these vulnerabilities credits it.</summary>
    Task<long> ReportDependencyFixAsync(string subject, IReadOnlyList<string> findings, string reportedBy, long now, CancellationToken ct);
    Task<IReadOnlyList<RemediationView>> RemediationsAsync(int limit, CancellationToken ct);
    Task<RemediationView?> RemediationAsync(long id, CancellationToken ct);

    // The seed's numbers.
    Task<SeedFacts> SeedFactsAsync(long since, CancellationToken ct);
}
