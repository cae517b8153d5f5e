using System.Data.Common;

namespace ZeroDrift.Server.Storage;

internal sealed partial class SqlStore
{
    private const string IncidentColumns = "i.id, i.workload, i.title, i.severity, i.state, i.opened_at, i.first_event_at, i.acknowledged_at, i.contained_at, i.resolved_at, i.contained_by, i.resolved_by, (SELECT COUNT(*) FROM alerts a WHERE a.incident_id = i.id)";
    private static IncidentView MapIncident(DbDataReader r) => new(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), L(r, 5), L(r, 6), NL(r, 7), NL(r, 8), NL(r, 9), NS(r, 10), NS(r, 11), (int)L(r, 12));

    public Task<IReadOnlyList<IncidentView>> IncidentsAsync(string? state, int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<IncidentView>>(async c =>
        await QueryAsync(c, null, $"SELECT {IncidentColumns} FROM incidents i {(state is null ? "" : "WHERE i.state = @state")} ORDER BY i.id DESC LIMIT @limit", MapIncident, ct,
            ("@state", state ?? ""), ("@limit", (long)limit)).ConfigureAwait(false), ct);

    public Task<IncidentView?> IncidentAsync(long id, CancellationToken ct) => ReadAsync(async c =>
        (await QueryAsync(c, null, $"SELECT {IncidentColumns} FROM incidents i WHERE i.id = @id", MapIncident, ct, ("@id", id)).ConfigureAwait(false)).FirstOrDefault(), ct);

    public Task<IReadOnlyList<TimelineEntry>> TimelineAsync(long incidentId, CancellationToken ct) => ReadAsync<IReadOnlyList<TimelineEntry>>(async c =>
        await QueryAsync(c, null, "SELECT at, actor, automatic, kind, detail FROM incident_timeline WHERE incident_id = @i ORDER BY at, id",
            r => new TimelineEntry(L(r, 0), S(r, 1), L(r, 2) != 0, S(r, 3), S(r, 4)), ct, ("@i", incidentId)).ConfigureAwait(false), ct);

    /// <summary>open → acknowledged → contained → resolved; a person may skip ahead but never go back.</summary>
    public Task<bool> TransitionIncidentAsync(long id, string state, string actor, string note, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var current = (string?)await ScalarAsync(c, t, "SELECT state FROM incidents WHERE id = @id", ct, ("@id", id)).ConfigureAwait(false);
        if (current is null || StateRank(state) <= StateRank(current)) return false;
        var column = state switch { "acknowledged" => "acknowledged_at", "contained" => "contained_at", "resolved" => "resolved_at", _ => throw new StoreException($"unknown incident state {state}") };
        var by = state switch { "contained" => ", contained_by = @actor", "resolved" => ", resolved_by = @actor", _ => "" };
        await ExecAsync(c, t, $"UPDATE incidents SET state = @state, {column} = COALESCE({column}, @now), first_human_at = COALESCE(first_human_at, @now){by} WHERE id = @id", ct,
            ("@state", state), ("@now", now), ("@actor", actor), ("@id", id)).ConfigureAwait(false);
        await TimelineAsync(c, t, id, now, actor, false, state, note.Length == 0 ? $"{actor} marked it {state}" : $"{actor} marked it {state}: {note}", ct).ConfigureAwait(false);
        return true;
    }, ct);

    private static int StateRank(string state) => state switch { "open" => 0, "acknowledged" => 1, "contained" => 2, "resolved" => 3, _ => -1 };

    public Task<IReadOnlyList<PlaybookRecord>> PlaybooksAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<PlaybookRecord>>(async c =>
        await QueryAsync(c, null, "SELECT id, name, rule_contains, min_severity, action, enabled FROM playbooks ORDER BY id",
            r => new PlaybookRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), L(r, 5) != 0), ct).ConfigureAwait(false), ct);

    public Task<long> CreatePlaybookAsync(string name, string ruleContains, string minSeverity, string action, string createdBy, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var id = await ScalarAsync(c, t, "INSERT INTO playbooks (name, rule_contains, min_severity, action, enabled, created_by, created_at) VALUES (@n, @r, @s, @a, 1, @by, @now) ON CONFLICT (name) DO NOTHING RETURNING id", ct,
            ("@n", name), ("@r", ruleContains), ("@s", minSeverity), ("@a", action), ("@by", createdBy), ("@now", now)).ConfigureAwait(false);
        return id is null ? throw new StoreConflictException($"a playbook named {name} already exists") : ToLong(id);
    }, ct);

    public Task<long> CreateCommandAsync(string agent, string kind, string target, string payload, long? incidentId, string requestedBy, bool automatic, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
        ToLong(await ScalarAsync(c, t, "INSERT INTO agent_commands (agent, kind, target, payload, incident_id, requested_by, automatic, created_at) VALUES (@a, @k, @target, @p, @i, @by, @auto, @now) RETURNING id", ct,
            ("@a", agent), ("@k", kind), ("@target", target), ("@p", payload), ("@i", incidentId), ("@by", requestedBy), ("@auto", automatic ? 1L : 0L), ("@now", now)).ConfigureAwait(false)), ct);

    private const string CommandColumns = "id, agent, kind, target, payload, incident_id, requested_by, automatic, created_at, dispatched_at, done_at, outcome";
    private static AgentCommand MapCommand(DbDataReader r) => new(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), NL(r, 5), S(r, 6), L(r, 7) != 0, L(r, 8), NL(r, 9), NL(r, 10), NS(r, 11));

    public async Task<IReadOnlyList<AgentCommand>> DispatchCommandsAsync(string agent, long now, CancellationToken ct)
    {
        // Handed out again until the agent reports them done: a dispatch whose answer was lost is not a lost command.
        // Read first: most batches find nothing, and on SQLite a write would queue behind the ingest writers.
        const string Pending = $"SELECT {CommandColumns} FROM agent_commands WHERE agent = @a AND done_at IS NULL ORDER BY id LIMIT 100";
        var pending = await ReadAsync(c => QueryAsync(c, null, Pending, MapCommand, ct, ("@a", agent)), ct).ConfigureAwait(false);
        if (pending.All(x => x.DispatchedAt is not null)) return pending;
        return await WriteAsync<IReadOnlyList<AgentCommand>>(async (c, t) =>
        {
            var fresh = await QueryAsync(c, t, Pending, MapCommand, ct, ("@a", agent)).ConfigureAwait(false);
            foreach (var command in fresh.Where(x => x.DispatchedAt is null))
                await ExecAsync(c, t, "UPDATE agent_commands SET dispatched_at = @now WHERE id = @id", ct, ("@now", now), ("@id", command.Id)).ConfigureAwait(false);
            return fresh;
        }, ct).ConfigureAwait(false);
    }

    public Task<bool> CompleteCommandAsync(string agent, long id, string outcome, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var command = (await QueryAsync(c, t, $"SELECT {CommandColumns} FROM agent_commands WHERE id = @id AND agent = @a AND done_at IS NULL", MapCommand, ct, ("@id", id), ("@a", agent)).ConfigureAwait(false)).FirstOrDefault();
        if (command is null) return false;
        await ExecAsync(c, t, "UPDATE agent_commands SET done_at = @now, outcome = @o WHERE id = @id", ct, ("@now", now), ("@o", outcome), ("@id", id)).ConfigureAwait(false);
        if (command.IncidentId is { } incident)
        {
            await TimelineAsync(c, t, incident, now, $"agent:{agent}", command.Automatic, "action-done", $"{command.Kind} {command.Target}: {outcome}", ct).ConfigureAwait(false);
            if (outcome == "done")
                await ExecAsync(c, t, "UPDATE incidents SET state = 'contained', contained_at = @now, contained_by = @by WHERE id = @id AND state IN ('open', 'acknowledged')", ct,
                    ("@now", now), ("@by", command.Automatic ? "automation" : command.RequestedBy), ("@id", incident)).ConfigureAwait(false);
        }
        return true;
    }, ct);

    public Task<IReadOnlyList<AgentCommand>> CommandsAsync(int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<AgentCommand>>(async c =>
        await QueryAsync(c, null, $"SELECT {CommandColumns} FROM agent_commands ORDER BY id DESC LIMIT @limit", MapCommand, ct, ("@limit", (long)limit)).ConfigureAwait(false), ct);

    public Task<IReadOnlyList<ProfileView>> ProfilesAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ProfileView>>(async c =>
        await QueryAsync(c, null, "SELECT workload, mode, body, updated_at FROM profiles ORDER BY workload", r => new ProfileView(S(r, 0), S(r, 1), S(r, 2), L(r, 3)), ct).ConfigureAwait(false), ct);

    public Task<bool> SetWorkloadModeAsync(string workload, string mode, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
        await ExecAsync(c, t, "UPDATE workloads SET mode = @m, last_seen = CASE WHEN last_seen > @now THEN last_seen ELSE @now END WHERE name = @w", ct, ("@m", mode), ("@now", now), ("@w", workload)).ConfigureAwait(false) > 0, ct);

    // ---- the seed's numbers ---------------------------------------------------------------------------------

    public Task<SeedFacts> SeedFactsAsync(long since, CancellationToken ct) => ReadAsync(async c =>
    {
        async Task<long> Count(string sql) => ToLong(await ScalarAsync(c, null, sql, ct, ("@since", since)).ConfigureAwait(false));
        async Task<List<long>> Durations(string sql) => await QueryAsync(c, null, sql, r => L(r, 0), ct, ("@since", since)).ConfigureAwait(false);

        var risks = await Count("SELECT COUNT(*) FROM vuln_state WHERE first_stage IN ('build', 'registry') AND first_seen >= @since").ConfigureAwait(false);
        var contentRisks = await Count("SELECT COUNT(*) FROM content_state WHERE first_stage IN ('build', 'registry') AND first_seen >= @since").ConfigureAwait(false);
        // Dry runs change nothing in the cluster: only real requests that were refused stopped a deployment.
        var denied = await Count("SELECT COUNT(*) FROM admission_decisions WHERE allowed = 0 AND dry_run = 0 AND at >= @since").ConfigureAwait(false);
        var fixedBySeverity = (await QueryAsync(c, null, "SELECT severity, COUNT(*) FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_at >= @since GROUP BY severity",
            r => (S(r, 0), L(r, 1)), ct, ("@since", since)).ConfigureAwait(false)).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var response = await Durations("SELECT fixed_at - first_seen FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_at >= @since").ConfigureAwait(false);
        var fixedByZeroDrift = (await QueryAsync(c, null, "SELECT severity, COUNT(*) FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_by_remediation IS NOT NULL AND fixed_at >= @since GROUP BY severity",
            r => (S(r, 0), L(r, 1)), ct, ("@since", since)).ConfigureAwait(false)).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var zeroDriftResponse = await Durations("SELECT fixed_at - first_seen FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_by_remediation IS NOT NULL AND fixed_at >= @since").ConfigureAwait(false);
        var scanResponse = await Durations("SELECT fixed_at - first_seen FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_by_remediation IS NULL AND fixed_at >= @since").ConfigureAwait(false);
        var detect = await Durations("SELECT raised_at - event_at FROM alerts WHERE raised_at >= @since ORDER BY raised_at DESC LIMIT 100000").ConfigureAwait(false);
        var block = await Durations("SELECT contained_at - first_event_at FROM incidents WHERE contained_by = 'automation' AND contained_at >= @since").ConfigureAwait(false);
        var manual = await Durations("SELECT resolved_at - first_human_at FROM incidents WHERE first_human_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at >= @since").ConfigureAwait(false);
        var automatic = await Count("SELECT COUNT(*) FROM incidents WHERE contained_by = 'automation' AND first_human_at IS NULL AND opened_at >= @since").ConfigureAwait(false);
        var open = await Count("SELECT COUNT(*) FROM incidents WHERE state <> 'resolved'").ConfigureAwait(false);
        var blocked = await Count("SELECT COUNT(*) FROM incidents WHERE contained_by = 'automation' AND contained_at >= @since").ConfigureAwait(false);
        var daily = new List<(long, string, long)>();
        foreach (var (series, sql) in new[]
        {
            ("alerts", "SELECT raised_at / 86400000 AS d, COUNT(*) FROM alerts WHERE raised_at >= @since GROUP BY raised_at / 86400000"),
            ("incidents", "SELECT opened_at / 86400000 AS d, COUNT(*) FROM incidents WHERE opened_at >= @since GROUP BY opened_at / 86400000"),
            ("fixed", "SELECT fixed_at / 86400000 AS d, COUNT(*) FROM vuln_state WHERE fixed_at IS NOT NULL AND fixed_at >= @since GROUP BY fixed_at / 86400000"),
            ("blocked", "SELECT contained_at / 86400000 AS d, COUNT(*) FROM incidents WHERE contained_by = 'automation' AND contained_at >= @since GROUP BY contained_at / 86400000"),
        })
            daily.AddRange(await QueryAsync(c, null, sql, r => (L(r, 0), series, L(r, 1)), ct, ("@since", since)).ConfigureAwait(false));
        // MAX(id) reads the key index's last entry: constant time where COUNT(*) over millions of events is not.
        var events = await Count("SELECT COALESCE(MAX(id), 0) FROM events").ConfigureAwait(false);
        var alerts = await Count("SELECT COALESCE(MAX(id), 0) FROM alerts").ConfigureAwait(false);
        return new SeedFacts(risks, contentRisks, denied, fixedBySeverity, response, detect, block, manual, automatic, open, blocked, daily, events, alerts)
        {
            FixedByZeroDriftBySeverity = fixedByZeroDrift, ZeroDriftResponseTimesMs = zeroDriftResponse, ScanResponseTimesMs = scanResponse,
        };
    }, ct);
}
