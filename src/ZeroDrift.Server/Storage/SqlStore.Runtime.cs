using System.Data.Common;
using System.Text.Json;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Server.Storage;

internal sealed partial class SqlStore
{
    /// <summary>
    /// What the agent did that stopped the offending process: a block the kernel confirmed, a user-space kill that landed
    /// (best effort), a container paused or quarantined. <c>detected</c> (a block verdict nothing carried out) and
    /// <c>kill-failed</c> never contain an incident, nor count as an attack blocked.
    /// </summary>
    private static readonly string[] BlockingActions = ["blocked", "killed", "paused", "quarantined"];

    public Task<BatchResult> IngestAgentBatchAsync(string agent, string batchId, AgentBatch batch, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        // The batch id is claimed in the same transaction as its records: a retried batch (its answer was lost, or
        // a second replica got it from the stream) finds the claim and stores nothing twice.
        var claimed = await ExecAsync(c, t, "INSERT INTO agent_batches (agent, batch_id, received_at, records) VALUES (@a, @b, @now, @n) ON CONFLICT (agent, batch_id) DO NOTHING", ct,
            ("@a", agent), ("@b", batchId), ("@now", now), ("@n", (long)batch.Count)).ConfigureAwait(false);
        if (claimed == 0) return new BatchResult(true, batch.Count, 0, []);

        // A registration is whole: its enforcement replaces the last one (a change is sent again by the agent).
        foreach (var h in batch.Hosts)
            await ExecAsync(c, t, """
                INSERT INTO hosts (name, agent, attrs, first_seen, last_seen, enforcement, enforcement_reason, bpffs_mounted, pin_root) VALUES (@n, @a, @attrs, @seen, @seen, @mode, @why, @mounted, @pins)
                ON CONFLICT (name) DO UPDATE SET agent = excluded.agent, attrs = excluded.attrs, last_seen = excluded.last_seen,
                    enforcement = excluded.enforcement, enforcement_reason = excluded.enforcement_reason, bpffs_mounted = excluded.bpffs_mounted, pin_root = excluded.pin_root
                """, ct, ("@n", h.Name), ("@a", agent), ("@attrs", h.Attrs), ("@seen", h.Seen),
                ("@mode", h.Enforcement is { } e ? WireEnumConverter<EnforcementKind>.Name(e.Mode) : null), ("@why", h.Enforcement?.Reason),
                ("@mounted", h.Enforcement?.MountedBpfFs == true ? 1L : 0L), ("@pins", h.Enforcement?.PinRoot)).ConfigureAwait(false);
        foreach (var x in batch.Containers)
        {
            await ExecAsync(c, t, """
                INSERT INTO containers (id, host, workload, image, image_digest, state, exposed, started_at, last_seen) VALUES (@id, @h, @w, @i, @d, @s, @e, @start, @seen)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, workload = excluded.workload, image = excluded.image, image_digest = excluded.image_digest,
                    state = excluded.state, exposed = excluded.exposed, last_seen = excluded.last_seen
                """, ct, ("@id", x.Id), ("@h", x.Host), ("@w", x.Workload), ("@i", x.Image), ("@d", x.ImageDigest), ("@s", x.State), ("@e", x.Exposed ? 1L : 0L), ("@start", x.StartedAt), ("@seen", x.Seen)).ConfigureAwait(false);
            await UpsertWorkloadAsync(c, t, x.Workload, x.Exposed, x.Seen, ct).ConfigureAwait(false);
        }
        foreach (var p in batch.Profiles)
        {
            await ExecAsync(c, t, "INSERT INTO profiles (workload, mode, body, updated_at) VALUES (@w, @m, @b, @at) ON CONFLICT (workload) DO UPDATE SET mode = excluded.mode, body = excluded.body, updated_at = excluded.updated_at", ct,
                ("@w", p.Workload), ("@m", p.Mode), ("@b", p.Body), ("@at", p.At)).ConfigureAwait(false);
            await UpsertWorkloadAsync(c, t, p.Workload, null, p.At, ct).ConfigureAwait(false);
        }
        if (batch.Events.Count > 0) await _dialect.BulkInsertEventsAsync(c, t, agent, now, batch.Events, ct).ConfigureAwait(false);

        var touched = new HashSet<long>();
        var newAlerts = 0;
        if (batch.Alerts.Count > 0)
        {
            var playbooks = (await QueryAsync(c, t, "SELECT id, name, rule_contains, min_severity, action, enabled FROM playbooks WHERE enabled = 1 AND action <> 'patch-image' ORDER BY id",
                r => new PlaybookRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), true), ct).ConfigureAwait(false));
            foreach (var alert in batch.Alerts)
            {
                var alertId = await ScalarAsync(c, t, """
                    INSERT INTO alerts (agent, agent_alert_id, rule, severity, event_at, raised_at, received_at, container_id, workload, action, action_at, detail)
                    VALUES (@a, @aid, @rule, @sev, @ev, @raised, @now, @cid, @w, @act, @actat, @detail) ON CONFLICT (agent, agent_alert_id) DO NOTHING RETURNING id
                    """, ct, ("@a", agent), ("@aid", alert.AgentAlertId), ("@rule", alert.Rule), ("@sev", alert.Severity), ("@ev", alert.EventAt), ("@raised", alert.RaisedAt),
                    ("@now", now), ("@cid", alert.ContainerId), ("@w", alert.Workload), ("@act", alert.Action), ("@actat", alert.ActionAt), ("@detail", alert.Detail)).ConfigureAwait(false);
                if (alertId is null) continue; // the same alert arrived in another batch
                newAlerts++;
                await _dialect.LockWorkloadAsync(c, t, alert.Workload, ct).ConfigureAwait(false);
                touched.Add(await GroupIntoIncidentAsync(c, t, agent, ToLong(alertId), alert, playbooks, now, ct).ConfigureAwait(false));
            }
        }
        return new BatchResult(false, batch.Count, newAlerts, [.. touched]);
    }, ct);

    private static Task<int> UpsertWorkloadAsync(DbConnection c, DbTransaction t, string name, bool? exposed, long seen, CancellationToken ct) =>
        ExecAsync(c, t, exposed is null
            ? "INSERT INTO workloads (name, mode, exposed, first_seen, last_seen) VALUES (@n, 'learn', 0, @seen, @seen) ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen"
            : "INSERT INTO workloads (name, mode, exposed, first_seen, last_seen) VALUES (@n, 'learn', @e, @seen, @seen) ON CONFLICT (name) DO UPDATE SET exposed = excluded.exposed, last_seen = excluded.last_seen",
            ct, ("@n", name), ("@e", exposed == true ? 1L : 0L), ("@seen", seen));

    /// <summary>
    /// An alert joins the workload's incident that is not resolved yet, or opens one. A blocking action the agent
    /// already took contains the incident automatically; a matching playbook dispatches its command to the agent.
    /// </summary>
    private static async Task<long> GroupIntoIncidentAsync(DbConnection c, DbTransaction t, string agent, long alertId, AlertRow alert, List<PlaybookRecord> playbooks, long now, CancellationToken ct)
    {
        var existing = (await QueryAsync(c, t, "SELECT id, state, severity FROM incidents WHERE workload = @w AND state <> 'resolved' ORDER BY id DESC LIMIT 1",
            r => (Id: L(r, 0), State: S(r, 1), Severity: S(r, 2)), ct, ("@w", alert.Workload)).ConfigureAwait(false)).FirstOrDefault();
        long incident;
        var state = existing.State;
        if (existing.Id == 0)
        {
            incident = ToLong(await ScalarAsync(c, t, "INSERT INTO incidents (workload, title, severity, state, opened_at, first_event_at) VALUES (@w, @title, @sev, 'open', @now, @ev) RETURNING id", ct,
                ("@w", alert.Workload), ("@title", alert.Rule), ("@sev", alert.Severity), ("@now", now), ("@ev", alert.EventAt)).ConfigureAwait(false));
            state = "open";
            await TimelineAsync(c, t, incident, now, "zerodrift", true, "opened", $"opened by alert \"{alert.Rule}\" in {alert.Workload}", ct).ConfigureAwait(false);
        }
        else
        {
            incident = existing.Id;
            await ExecAsync(c, t, "UPDATE incidents SET first_event_at = CASE WHEN @ev < first_event_at THEN @ev ELSE first_event_at END, severity = CASE WHEN @rank > " + SeverityRankSql("severity") + " THEN @sev ELSE severity END WHERE id = @id", ct,
                ("@ev", alert.EventAt), ("@rank", (long)SeverityRank(alert.Severity)), ("@sev", alert.Severity), ("@id", incident)).ConfigureAwait(false);
        }
        await ExecAsync(c, t, "UPDATE alerts SET incident_id = @i WHERE id = @a", ct, ("@i", incident), ("@a", alertId)).ConfigureAwait(false);
        // Kind "alert-learned": behaviour the workload's profile holds, which the console lists apart from new behaviour.
        await TimelineAsync(c, t, incident, alert.RaisedAt, $"agent:{agent}", true, alert.Learned ? "alert-learned" : "alert",
            alert.Origin is { } origin
                ? $"{alert.Severity} \"{alert.Rule}\" from {origin} (event at {DateTimeOffset.FromUnixTimeMilliseconds(alert.EventAt):O})"
                : $"{alert.Severity} \"{alert.Rule}\" in container {Short(alert.ContainerId)} (kernel event at {DateTimeOffset.FromUnixTimeMilliseconds(alert.EventAt):O})", ct).ConfigureAwait(false);

        if (BlockingActions.Contains(alert.Action) && alert.ActionAt is { } actedAt)
        {
            await TimelineAsync(c, t, incident, actedAt, $"agent:{agent}", true, "blocked", Response(alert), ct).ConfigureAwait(false);
            if (state is "open" or "acknowledged")
            {
                await ExecAsync(c, t, "UPDATE incidents SET state = 'contained', contained_at = @at, contained_by = 'automation' WHERE id = @id", ct, ("@at", actedAt), ("@id", incident)).ConfigureAwait(false);
                state = "contained";
            }
        }
        else if (alert.Action is "detected" or "kill-failed")
            await TimelineAsync(c, t, incident, alert.ActionAt ?? alert.RaisedAt, $"agent:{agent}", true, "not-blocked", Response(alert), ct).ConfigureAwait(false);
        foreach (var playbook in playbooks)
        {
            if (!alert.Rule.Contains(playbook.RuleContains, StringComparison.OrdinalIgnoreCase) || SeverityRank(alert.Severity) < SeverityRank(playbook.MinSeverity)) continue;
            if (ToLong(await ScalarAsync(c, t, "SELECT COUNT(*) FROM agent_commands WHERE incident_id = @i AND requested_by = @by", ct, ("@i", incident), ("@by", $"playbook:{playbook.Name}")).ConfigureAwait(false)) > 0) continue;
            var (kind, target, payload) = PlaybookCommand(playbook.Action, alert);
            var commandId = ToLong(await ScalarAsync(c, t, "INSERT INTO agent_commands (agent, kind, target, payload, incident_id, requested_by, automatic, created_at) VALUES (@a, @k, @target, @p, @i, @by, 1, @now) RETURNING id", ct,
                ("@a", agent), ("@k", kind), ("@target", target), ("@p", payload), ("@i", incident), ("@by", $"playbook:{playbook.Name}"), ("@now", now)).ConfigureAwait(false));
            if (playbook.Action == "protect")
                await ExecAsync(c, t, "UPDATE workloads SET mode = 'protect' WHERE name = @w", ct, ("@w", alert.Workload)).ConfigureAwait(false);
            await TimelineAsync(c, t, incident, now, $"playbook:{playbook.Name}", true, "action",
                $"dispatched {kind} {target} to agent {agent} (command {commandId})", ct).ConfigureAwait(false);
        }
        return incident;
    }

    /// <summary>What the agent did, as the timeline says it: a user-space kill is best effort, and what did not stop the process says so.</summary>
    private static string Response(AlertRow alert) => alert.Action switch
    {
        "blocked" => "the agent blocked it at the source, in the kernel",
        "killed" => "the agent killed it from user space (best effort: the process may run before it is killed)",
        "kill-failed" => "the agent's kill from user space failed (the process had already exited): nothing was blocked",
        "detected" => "the agent detected it and nothing blocked it",
        var other => $"the agent {other} it at the source",
    };

    private static (string Kind, string Target, string Payload) PlaybookCommand(string action, AlertRow alert) => action switch
    {
        "kill" => ("kill", alert.ContainerId, JsonSerializer.Serialize(new { container = alert.ContainerId, reason = alert.Rule })),
        "pause" => ("pause", alert.ContainerId, JsonSerializer.Serialize(new { container = alert.ContainerId, reason = alert.Rule })),
        "protect" => ("set-mode", alert.Workload, JsonSerializer.Serialize(new SetModePayload(alert.Workload, WorkloadMode.Protect), AgentRecordJson.Default.SetModePayload)),
        "quarantine" => ("quarantine", alert.Workload, JsonSerializer.Serialize(new { workload = alert.Workload, networkPolicy = QuarantinePolicy(alert.Workload) })),
        _ => throw new StoreException($"unknown playbook action {action}"),
    };

    /// <summary>A NetworkPolicy that cuts every ingress and egress of the workload's pods (namespace/name → app label).</summary>
    internal static object QuarantinePolicy(string workload)
    {
        var slash = workload.IndexOf('/', StringComparison.Ordinal);
        var ns = slash > 0 ? workload[..slash] : "default";
        var name = slash > 0 ? workload[(slash + 1)..] : workload;
        return new
        {
            apiVersion = "networking.k8s.io/v1",
            kind = "NetworkPolicy",
            metadata = new { name = $"zerodrift-quarantine-{name}", @namespace = ns, labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "zerodrift" } },
            spec = new { podSelector = new { matchLabels = new Dictionary<string, string> { ["app"] = name } }, policyTypes = new[] { "Ingress", "Egress" }, ingress = Array.Empty<object>(), egress = Array.Empty<object>() },
        };
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    internal static int SeverityRank(string severity) => severity.ToLowerInvariant() switch
    {
        "critical" => 4, "high" => 3, "medium" => 2, "low" => 1, _ => 0,
    };

    private static string SeverityRankSql(string column) =>
        $"(CASE {column} WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)";

    private static Task<int> TimelineAsync(DbConnection c, DbTransaction t, long incident, long at, string actor, bool automatic, string kind, string detail, CancellationToken ct) =>
        ExecAsync(c, t, "INSERT INTO incident_timeline (incident_id, at, actor, automatic, kind, detail) VALUES (@i, @at, @actor, @auto, @kind, @detail)", ct,
            ("@i", incident), ("@at", at), ("@actor", actor), ("@auto", automatic ? 1L : 0L), ("@kind", kind), ("@detail", detail));

    // ---- assets ---------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<HostView>> HostsAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<HostView>>(async c =>
        await QueryAsync(c, null, """
            SELECT h.name, h.agent, h.first_seen, h.last_seen, (SELECT COUNT(*) FROM containers x WHERE x.host = h.name AND x.state = 'running'),
                h.enforcement, h.enforcement_reason, h.bpffs_mounted, h.pin_root
            FROM hosts h ORDER BY h.name
            """,
            r => new HostView(S(r, 0), S(r, 1), L(r, 2), L(r, 3), (int)L(r, 4), Enforcement(NS(r, 5), NS(r, 6), L(r, 7) != 0, NS(r, 8))), ct).ConfigureAwait(false), ct);

    private static AgentEnforcement? Enforcement(string? mode, string? reason, bool mounted, string? pinRoot) =>
        WireEnumConverter<EnforcementKind>.TryParse(mode, out var kind) ? new AgentEnforcement { Mode = kind, Reason = reason, MountedBpfFs = mounted, PinRoot = pinRoot } : null;

    private const string ContainerColumns = "id, host, workload, image, image_digest, state, exposed, started_at, last_seen";
    private static ContainerView MapContainer(DbDataReader r) => new(S(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), L(r, 6) != 0, L(r, 7), L(r, 8));

    public Task<IReadOnlyList<ContainerView>> ContainersAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<ContainerView>>(async c =>
        await QueryAsync(c, null, $"SELECT {ContainerColumns} FROM containers ORDER BY workload, id LIMIT 10000", MapContainer, ct).ConfigureAwait(false), ct);

    public async Task<IReadOnlyList<ImageView>> ImagesAsync(CancellationToken ct)
    {
        var containers = await ContainersAsync(ct).ConfigureAwait(false);
        var scanned = await ReadAsync(async c => await QueryAsync(c, null, "SELECT DISTINCT target_name, image_digest FROM scans WHERE target_kind = 'image' OR image_digest <> ''", r => (S(r, 0), S(r, 1)), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        var images = containers.GroupBy(x => (x.Image, x.ImageDigest))
            .Select(g => new ImageView(g.Key.Image, g.Key.ImageDigest, g.Count(x => x.State == "running"),
                [.. g.Where(x => x.State == "running").Select(x => x.Host).Distinct().Order(StringComparer.Ordinal)],
                [.. g.Select(x => x.Workload).Distinct().Order(StringComparer.Ordinal)])).ToList();
        foreach (var (name, digest) in scanned)
            if (!images.Any(i => i.Image == name || (digest.Length > 0 && i.ImageDigest == digest))) images.Add(new ImageView(name, digest, 0, [], []));

        // What can be done about each: fixable findings of its latest scan, the newest patch-image job and whether an
        // agent runs its patched digest.
        var fixable = await FixableByImageAsync(ct).ConfigureAwait(false);
        var jobs = (await RemediationsAsync(5000, ct).ConfigureAwait(false)).Where(r => r.Kind == Remediations.PatchImage).ToList();
        var running = containers.Where(x => x.State == "running" && x.ImageDigest.Length > 0).Select(x => x.ImageDigest).ToHashSet(StringComparer.Ordinal);
        images = [.. images.Select(i =>
        {
            var job = jobs.FirstOrDefault(r => (i.ImageDigest.Length > 0 && r.ImageDigest == i.ImageDigest) || (i.ImageDigest.Length == 0 && r.Image == i.Image));
            var count = fixable.Where(f => f.Key.Item1 == i.Image && (i.ImageDigest.Length == 0 || f.Key.Item2 == i.ImageDigest)).Select(f => f.Value).DefaultIfEmpty(0).Max();
            return i with { FixableNow = count, Remediation = job, PatchedDeployed = job?.PatchedDigest is { } d && running.Contains(d) };
        })];
        return [.. images.OrderByDescending(i => i.RunningContainers).ThenBy(i => i.Image, StringComparer.Ordinal)];
    }

    public async Task<IReadOnlyList<WorkloadView>> WorkloadsAsync(CancellationToken ct)
    {
        var containers = await ContainersAsync(ct).ConfigureAwait(false);
        var rows = await ReadAsync(async c => await QueryAsync(c, null, "SELECT name, mode, exposed FROM workloads ORDER BY name", r => (S(r, 0), S(r, 1), L(r, 2) != 0), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return [.. rows.Select(w => new WorkloadView(w.Item1, w.Item2, w.Item3,
            containers.Count(x => x.Workload == w.Item1 && x.State == "running"),
            [.. containers.Where(x => x.Workload == w.Item1).Select(x => x.Image).Distinct().Order(StringComparer.Ordinal)]))];
    }

    public Task<IReadOnlyList<OpenVulnerability>> OpenVulnerabilitiesAsync(int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<OpenVulnerability>>(async c =>
        await QueryAsync(c, null, $"SELECT subject, vuln_id, purl, package, version, severity, score, fixed_in, paths, summary, first_seen FROM vuln_state WHERE fixed_at IS NULL ORDER BY {SeverityRankSql("severity")} DESC, COALESCE(score, 0) DESC, subject, vuln_id LIMIT @limit",
            r => new OpenVulnerability(S(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), ND(r, 6), NS(r, 7), JsonSerializer.Deserialize<string[]>(S(r, 8)) ?? [], S(r, 9), L(r, 10)),
            ct, ("@limit", (long)limit)).ConfigureAwait(false), ct);

    public Task<IReadOnlyDictionary<string, long>> ObservedPathsAsync(string workload, IReadOnlyList<string> kinds, int limit, CancellationToken ct) => ReadAsync<IReadOnlyDictionary<string, long>>(async c =>
    {
        // Kinds are bound as parameters, one each (a handful at most), never spliced into the SQL.
        var names = kinds.Select((_, i) => $"@k{i}").ToArray();
        var parameters = kinds.Select((k, i) => ($"@k{i}", (object?)k)).Append(("@w", workload)).Append(("@limit", (object?)(long)limit)).ToArray();
        return (await QueryAsync(c, null, $"SELECT path, MIN(at) FROM events WHERE workload = @w AND kind IN ({string.Join(", ", names)}) AND path <> '' GROUP BY path LIMIT @limit",
            r => (S(r, 0), L(r, 1)), ct, parameters).ConfigureAwait(false)).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
    }, ct);
}
