using ZeroDrift.Server.Client;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Tests.Storage;

/// <summary>The storage contract, run as it is against SQLite and against a real PostgreSQL.</summary>
public abstract partial class StoreContractTests
{
    protected abstract Task<IServerStore> CreateStoreAsync();

    private const long T0 = 1_780_000_000_000;

    private async Task<IServerStore> MigratedAsync()
    {
        var store = await CreateStoreAsync();
        await store.MigrateAsync(default);
        return store;
    }

    private static FindingRow Finding(string id, string purl, string severity, string? fix = "2.0", params string[] paths) =>
        new(id, purl, purl.Split('/')[^1].Split('@')[0], purl.Split('@')[^1], severity, severity == "critical" ? 9.8 : null, fix, paths, $"summary of {id}");

    private static ScanIngest Scan(string subject, long at, string stage, params FindingRow[] findings) =>
        new(subject, stage, "registry.local/shop/web:1", "image", "sha256:abc", "zerodrift 0.1.0", 42, at, "ci-token", findings);

    private static AgentBatch Batch(IEnumerable<ContainerRow>? containers = null, IEnumerable<EventRow>? events = null, IEnumerable<AlertRow>? alerts = null, IEnumerable<ProfileRow>? profiles = null) =>
        new([new HostRow("node-1", "{}", T0)], [.. containers ?? []], [.. events ?? []], [.. alerts ?? []], [.. profiles ?? []]);

    private static AlertRow Alert(string id, string rule, string severity, long eventAt, string action = "none", long? actionAt = null) =>
        new(id, rule, severity, eventAt, eventAt + 40, "c0ffee000000aaaa", "shop/web", action, actionAt, "{}");

    [Fact]
    public async Task Migrations_apply_once_and_record_their_version()
    {
        await using var store = await MigratedAsync();
        await store.MigrateAsync(default);
        Assert.Equal(Migrations.All.Max(m => m.Version), await store.SchemaVersionAsync(default));
    }

    [Fact]
    public async Task A_vulnerability_gone_from_a_later_scan_of_the_same_workload_counts_as_fixed_with_its_response_time()
    {
        await using var store = await MigratedAsync();
        var first = await store.IngestScanAsync(Scan("shop/web", T0, "build",
            Finding("CVE-1", "pkg:deb/debian/openssl@3.0.1", "critical"), Finding("CVE-2", "pkg:npm/lodash@4.17.0", "medium"), Finding("CVE-3", "pkg:npm/x@1", "low", null)), default);
        Assert.Equal((3, 3, 0), (first.Findings, first.New, first.Fixed));

        var second = await store.IngestScanAsync(Scan("shop/web", T0 + 3_600_000, "runtime", Finding("CVE-2", "pkg:npm/lodash@4.17.0", "medium"), Finding("CVE-3", "pkg:npm/x@1", "low", null)), default);
        Assert.Equal((2, 0, 1), (second.Findings, second.New, second.Fixed));
        // Another workload's scan fixes nothing of this one.
        var other = await store.IngestScanAsync(Scan("shop/db", T0 + 7_200_000, "build"), default);
        Assert.Equal(0, other.Fixed);

        var open = await store.OpenVulnerabilitiesAsync(100, default);
        Assert.Equal(["CVE-2", "CVE-3"], open.Where(v => v.Subject == "shop/web").Select(v => v.VulnId).Order());
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal(1, facts.FixedBySeverity["critical"]);
        Assert.Equal([3_600_000L], facts.ResponseTimesMs);
        Assert.Equal(3, facts.RisksFoundInAdvance);
    }

    [Fact]
    public async Task A_reintroduced_vulnerability_opens_again_from_its_new_first_sighting()
    {
        await using var store = await MigratedAsync();
        var cve = Finding("CVE-9", "pkg:npm/a@1", "high");
        await store.IngestScanAsync(Scan("w", T0, "build", cve), default);
        await store.IngestScanAsync(Scan("w", T0 + 10, "build"), default);
        var again = await store.IngestScanAsync(Scan("w", T0 + 100, "runtime", cve), default);
        Assert.Equal(1, again.New);
        Assert.Equal(T0 + 100, Assert.Single(await store.OpenVulnerabilitiesAsync(10, default)).FirstSeen);
    }

    private static ContentFindingRow Content(string findingClass, string rule, string path, int line, string severity = "high") =>
        new(findingClass, rule, rule + " title", severity, path, line, $"{path.TrimStart('/')}:{rule}:{line}", $"{rule} at {path}", findingClass == "secret" ? "TOKEN=ghp_*****" : "");

    [Fact]
    public async Task Secrets_pii_and_misconfigurations_follow_their_own_lifecycle_and_count_as_risks_found_before_deployment()
    {
        await using var store = await MigratedAsync();
        var secret = Content("secret", "github-pat", "/app/.env", 3);
        var pii = Content("pii", "email", "/data/users.csv", 10, "medium");
        var misconfig = Content("misconfig", "ZD-DF-001", "/Dockerfile", 1, "medium");
        var first = await store.IngestScanAsync(Scan("shop/web", T0, "build", Finding("CVE-1", "pkg:npm/a@1", "high")) with
        { Scanners = ["vuln", "secret", "pii", "misconfig"], Content = [secret, pii, misconfig, secret] }, default);
        // Four reported, the repeated fingerprint stored once.
        Assert.Equal((4, 3, 0), (first.ContentFindings, first.ContentNew, first.ContentFixed));

        // A secrets-only scan fixes neither the vulnerability nor the PII and misconfiguration it did not look for; it fixes the secret it no longer sees.
        var secretsOnly = await store.IngestScanAsync(Scan("shop/web", T0 + 60_000, "build") with { Scanners = ["secret"] }, default);
        Assert.Equal((0, 0, 1), (secretsOnly.Fixed, secretsOnly.ContentNew, secretsOnly.ContentFixed));
        Assert.Single(await store.OpenVulnerabilitiesAsync(10, default));
        var open = await store.OpenContentFindingsAsync(null, 10, default);
        Assert.Equal(["misconfig", "pii"], open.Select(f => f.Class).Order());
        Assert.Equal("ZD-DF-001", Assert.Single(await store.OpenContentFindingsAsync("misconfig", 10, default)).RuleId);

        // The secret comes back at runtime: open again, first seen at runtime, so no longer found before deployment.
        await store.IngestScanAsync(Scan("shop/web", T0 + 120_000, "runtime") with { Scanners = ["secret"], Content = [secret] }, default);
        var again = Assert.Single(await store.OpenContentFindingsAsync("secret", 10, default));
        Assert.Equal(("runtime", T0 + 120_000, "TOKEN=ghp_*****"), (again.FirstStage, again.FirstSeen, again.Match));
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal((1, 2), (facts.RisksFoundInAdvance, facts.ContentRisksFoundInAdvance));
    }

    [Fact]
    public async Task Admission_decisions_are_kept_and_real_denials_count_as_deployments_stopped()
    {
        await using var store = await MigratedAsync();
        await store.RecordAdmissionAsync(new AdmissionRow(T0, "u1", "Deployment", "shop", "web", "CREATE", false, false, "[\"registry.local/shop/web:1\"]", "[\"zerodrift denied Deployment shop/web\"]"), default);
        await store.RecordAdmissionAsync(new AdmissionRow(T0 + 1, "u2", "Deployment", "shop", "web", "CREATE", false, true, "[]", "[]"), default);
        await store.RecordAdmissionAsync(new AdmissionRow(T0 + 2, "u3", "Pod", "shop", "db", "CREATE", true, false, "[]", "[]"), default);
        var denied = await store.AdmissionDecisionsAsync(false, 10, default);
        Assert.Equal(["u2", "u1"], denied.Select(d => d.Uid));
        Assert.Equal(["registry.local/shop/web:1"], denied[1].Images);
        Assert.Equal(3, (await store.AdmissionDecisionsAsync(null, 10, default)).Count);
        // The dry run changed nothing in the cluster: one deployment was stopped.
        Assert.Equal(1, (await store.SeedFactsAsync(0, default)).DeploymentsDenied);
    }

    [Fact]
    public async Task A_batch_sent_twice_is_stored_once()
    {
        await using var store = await MigratedAsync();
        var events = Enumerable.Range(0, 500).Select(i => new EventRow("exec", T0 + i, "c0ffee000000aaaa", "shop/web", $"/usr/bin/tool{i % 7}", "sh", "{}")).ToList();
        var batch = Batch(events: events, alerts: [Alert("a-1", "drift: new executable", "high", T0)]);
        var first = await store.IngestAgentBatchAsync("agent-1", "batch-1", batch, T0 + 1000, default);
        var again = await store.IngestAgentBatchAsync("agent-1", "batch-1", batch, T0 + 2000, default);
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal(500, facts.Events);
        Assert.Equal(7, (await store.ObservedPathsAsync("shop/web", ["exec", "file"], 1000, default)).Count);
        Assert.Single(await store.IncidentsAsync(null, 10, default));
        // The same alert id in a new batch is one alert, not two.
        await store.IngestAgentBatchAsync("agent-1", "batch-2", Batch(alerts: [Alert("a-1", "drift: new executable", "high", T0)]), T0 + 3000, default);
        Assert.Equal(1, Assert.Single(await store.IncidentsAsync(null, 10, default)).Alerts);
    }

    [Fact]
    public async Task Alerts_of_one_workload_group_into_one_incident_and_a_block_at_the_source_contains_it_automatically()
    {
        await using var store = await MigratedAsync();
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(alerts: [Alert("a-1", "shell in container", "medium", T0)]), T0 + 100, default);
        await store.IngestAgentBatchAsync("agent-1", "b2", Batch(alerts: [Alert("a-2", "drift: new executable", "critical", T0 + 500, "blocked", T0 + 520)]), T0 + 600, default);
        var incident = Assert.Single(await store.IncidentsAsync(null, 10, default));
        Assert.Equal(("contained", "automation", "critical", 2), (incident.State, incident.ContainedBy, incident.Severity, incident.Alerts));
        Assert.Equal(T0 + 520, incident.ContainedAt);
        var timeline = await store.TimelineAsync(incident.Id, default);
        // Chronological: the agent raised the alert before the server opened the incident; it blocked before it raised the second.
        Assert.Equal(["alert", "opened", "blocked", "alert"], timeline.Select(e => e.Kind));
        Assert.All(timeline, e => Assert.True(e.Automatic));
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal([520L], facts.BlockTimesMs);
        Assert.Equal([40L, 40L], facts.DetectTimesMs);
        Assert.Equal(1, facts.AttacksBlocked);
        Assert.Equal(1, facts.IncidentsClosedAutomatically);
    }

    [Fact]
    public async Task Only_a_block_the_kernel_confirmed_or_a_kill_that_landed_contains_an_incident_and_counts_as_blocked()
    {
        await using var store = await MigratedAsync();
        // shop/web: a verdict nothing carried out, then a user-space kill that came too late. Neither stopped anything.
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(alerts:
        [
            Alert("a-1", "drift: new executable", "critical", T0, "detected"),
            Alert("a-2", "process outside the profile", "critical", T0 + 10, "kill-failed"),
        ]), T0 + 100, default);
        var honest = Assert.Single(await store.IncidentsAsync(null, 10, default));
        Assert.Equal(("open", null, null), (honest.State, honest.ContainedBy, honest.ContainedAt));
        var timeline = await store.TimelineAsync(honest.Id, default);
        Assert.Equal(2, timeline.Count(e => e.Kind == "not-blocked"));
        Assert.Contains(timeline, e => e.Detail == "the agent detected it and nothing blocked it");
        Assert.Contains(timeline, e => e.Detail.StartsWith("the agent's kill from user space failed", StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, e => e.Kind == "blocked");
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Empty(facts.BlockTimesMs);
        Assert.Equal(0, facts.AttacksBlocked);
        Assert.Equal(0, facts.IncidentsClosedAutomatically);
        Assert.DoesNotContain(facts.Daily, d => d.Series == "blocked");
        var numbers = Metrics.SeedNumbers.From(facts);
        Assert.Equal((0, null), (numbers.TimeToBlock.Count, numbers.TimeToBlock.MedianSeconds));

        // A kill from user space that landed does contain, and says it was best effort.
        await store.IngestAgentBatchAsync("agent-1", "b2", Batch(alerts: [Alert("a-3", "drift: new executable", "critical", T0 + 500, "killed", T0 + 530)]), T0 + 600, default);
        var killed = Assert.Single(await store.IncidentsAsync(null, 10, default));
        Assert.Equal(("contained", "automation", T0 + 530), (killed.State, killed.ContainedBy, killed.ContainedAt));
        Assert.Contains(await store.TimelineAsync(killed.Id, default),
            e => e is { Kind: "blocked" } && e.Detail == "the agent killed it from user space (best effort: the process may run before it is killed)");
        facts = await store.SeedFactsAsync(0, default);
        Assert.Equal([530L], facts.BlockTimesMs); // from the incident's first offending event, the detected one
        Assert.Equal(1, facts.AttacksBlocked);
    }

    [Fact]
    public async Task A_nodes_registration_keeps_its_enforcement_and_a_later_one_replaces_it()
    {
        await using var store = await MigratedAsync();
        var degraded = new AgentEnforcement { Mode = EnforcementKind.UserSpace, Reason = "kernel enforcement could not load: no BPF filesystem" };
        await store.IngestAgentBatchAsync("agent-1", "b1", new AgentBatch([new HostRow("node-1", "{}", T0, degraded), new HostRow("node-2", "{}", T0)], [], [], [], []), T0, default);
        var hosts = await store.HostsAsync(default);
        Assert.Equal(degraded, hosts.Single(h => h.Name == "node-1").Enforcement);
        Assert.Null(hosts.Single(h => h.Name == "node-2").Enforcement); // an agent that does not say
        var kernel = new AgentEnforcement { Mode = EnforcementKind.Kernel, PinRoot = "/sys/fs/bpf/zerodrift", MountedBpfFs = true };
        await store.IngestAgentBatchAsync("agent-1", "b2", new AgentBatch([new HostRow("node-1", "{}", T0 + 1000, kernel)], [], [], [], []), T0 + 1000, default);
        Assert.Equal(kernel, (await store.HostsAsync(default)).Single(h => h.Name == "node-1").Enforcement);
    }

    [Fact]
    public async Task A_playbook_dispatches_its_command_and_the_agents_report_contains_the_incident_as_automatic()
    {
        await using var store = await MigratedAsync();
        await store.CreatePlaybookAsync("kill-drift", "drift", "high", "kill", "admin", T0, default);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.CreatePlaybookAsync("kill-drift", "x", "low", "kill", "admin", T0, default));
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(alerts: [Alert("a-1", "drift: new executable", "high", T0), Alert("a-2", "drift: new executable", "high", T0 + 1)]), T0 + 100, default);

        var commands = await store.DispatchCommandsAsync("agent-1", T0 + 200, default);
        var kill = Assert.Single(commands);
        Assert.Equal(("kill", "c0ffee000000aaaa", true), (kill.Kind, kill.Target, kill.Automatic));
        Assert.Empty(await store.DispatchCommandsAsync("agent-2", T0 + 200, default));
        // Not reported done yet: handed out again.
        Assert.Single(await store.DispatchCommandsAsync("agent-1", T0 + 250, default));
        Assert.False(await store.CompleteCommandAsync("agent-2", kill.Id, "done", T0 + 300, default));
        Assert.True(await store.CompleteCommandAsync("agent-1", kill.Id, "done", T0 + 300, default));
        Assert.Empty(await store.DispatchCommandsAsync("agent-1", T0 + 400, default));

        var incident = Assert.Single(await store.IncidentsAsync(null, 10, default));
        Assert.Equal(("contained", "automation", T0 + 300), (incident.State, incident.ContainedBy, incident.ContainedAt));
        var timeline = await store.TimelineAsync(incident.Id, default);
        Assert.Contains(timeline, e => e is { Kind: "action", Actor: "playbook:kill-drift", Automatic: true });
        Assert.Contains(timeline, e => e is { Kind: "action-done", Automatic: true });
        Assert.Equal([300L], (await store.SeedFactsAsync(0, default)).BlockTimesMs);
    }

    [Fact]
    public async Task People_move_incidents_forward_only_and_their_time_counts_as_manual()
    {
        await using var store = await MigratedAsync();
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(alerts: [Alert("a-1", "crypto miner", "high", T0)]), T0 + 100, default);
        var id = Assert.Single(await store.IncidentsAsync("open", 10, default)).Id;
        Assert.True(await store.TransitionIncidentAsync(id, "acknowledged", "alice", "", T0 + 1000, default));
        Assert.False(await store.TransitionIncidentAsync(id, "acknowledged", "alice", "", T0 + 1100, default));
        Assert.True(await store.TransitionIncidentAsync(id, "resolved", "bob", "image rebuilt", T0 + 61_000, default));
        Assert.False(await store.TransitionIncidentAsync(id, "contained", "bob", "", T0 + 62_000, default));
        Assert.False(await store.TransitionIncidentAsync(999, "resolved", "bob", "", T0, default));
        var incident = (await store.IncidentAsync(id, default))!;
        Assert.Equal(("resolved", "bob"), (incident.State, incident.ResolvedBy));
        var timeline = await store.TimelineAsync(id, default);
        Assert.Contains(timeline, e => e is { Actor: "bob", Automatic: false, Kind: "resolved" } && e.Detail.Contains("image rebuilt", StringComparison.Ordinal));
        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal([60_000L], facts.ManualTimesMs);
        Assert.Equal(0, facts.IncidentsOpen);
        Assert.Empty(await store.IncidentsAsync("open", 10, default));
    }

    [Fact]
    public async Task Inventory_says_which_image_runs_where()
    {
        await using var store = await MigratedAsync();
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(containers:
        [
            new ContainerRow("c1", "node-1", "shop/web", "registry.local/shop/web:1", "sha256:abc", "running", true, T0, T0),
            new ContainerRow("c2", "node-2", "shop/web", "registry.local/shop/web:1", "sha256:abc", "running", true, T0, T0),
            new ContainerRow("c3", "node-2", "shop/db", "registry.local/postgres:15", "sha256:def", "exited", false, T0, T0),
        ], profiles: [new ProfileRow("shop/web", "monitor", """{"exec":["/usr/bin/node"]}""", T0)]), T0, default);
        await store.IngestScanAsync(Scan("registry.local/tools:2", T0, "registry"), default);

        var web = (await store.ImagesAsync(default)).First();
        Assert.Equal(("registry.local/shop/web:1", 2), (web.Image, web.RunningContainers));
        Assert.Equal(["node-1", "node-2"], web.Hosts);
        Assert.Contains(await store.ImagesAsync(default), i => i.Image == "registry.local/shop/web:1" || i.Image == "registry.local/tools:2");
        var workloads = await store.WorkloadsAsync(default);
        Assert.Equal(["shop/db", "shop/web"], workloads.Select(w => w.Name));
        Assert.True(workloads[1].Exposed);
        Assert.Equal(2, workloads[1].RunningContainers);
        Assert.True(await store.SetWorkloadModeAsync("shop/web", "protect", T0 + 1, default));
        Assert.False(await store.SetWorkloadModeAsync("nope", "protect", T0 + 1, default));
        Assert.Equal("protect", (await store.WorkloadsAsync(default))[1].Mode);
        Assert.Equal("monitor", Assert.Single(await store.ProfilesAsync(default)).Mode);
        var host = Assert.Single(await store.HostsAsync(default));
        Assert.Equal(1, host.RunningContainers);
    }

    [Fact]
    public async Task Users_sessions_and_tokens()
    {
        await using var store = await MigratedAsync();
        Assert.True(await store.EnsureAdminAsync("admin", "hash-1", T0, default));
        Assert.False(await store.EnsureAdminAsync("admin", "hash-2", T0, default));
        Assert.Equal("hash-1", (await store.FindUserAsync("admin", default))!.PasswordHash);
        var viewer = await store.CreateUserAsync("vera", "hash-v", Roles.Viewer, T0, default);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.CreateUserAsync("vera", "x", Roles.Viewer, T0, default));
        await store.CreateSessionAsync("s-hash", viewer, "csrf-1", T0, T0 + 1000, default);
        Assert.Equal(("vera", "viewer", "csrf-1"), ((await store.FindSessionAsync("s-hash", T0 + 10, default))!.UserName, (await store.FindSessionAsync("s-hash", T0 + 10, default))!.Role, (await store.FindSessionAsync("s-hash", T0 + 10, default))!.Csrf));
        Assert.Null(await store.FindSessionAsync("s-hash", T0 + 2000, default));
        await store.DeleteSessionAsync("s-hash", default);
        Assert.Null(await store.FindSessionAsync("s-hash", T0 + 10, default));

        var token = await store.CreateTokenAsync("ci", "t-hash", Roles.Ci, "admin", T0, default);
        Assert.Equal(Roles.Ci, (await store.FindTokenAsync("t-hash", default))!.Role);
        Assert.True(await store.RevokeTokenAsync(token, T0 + 5, default));
        Assert.False(await store.RevokeTokenAsync(token, T0 + 6, default));
        Assert.Equal(T0 + 5, (await store.FindTokenAsync("t-hash", default))!.RevokedAt);
        await store.AuditAsync("admin", "token.revoke", "ci", "", T0 + 5, default);
        Assert.Equal("token.revoke", (await store.ListAuditAsync(10, default))[0].Action);
    }
}

public sealed class SqliteStoreTests : StoreContractTests, IDisposable
{
    private readonly TempDir _dir = new();
    protected override Task<IServerStore> CreateStoreAsync() => Task.FromResult(StoreFactory.Open(_dir.Combine($"{Guid.NewGuid():N}.db")));
    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_database_of_the_first_schema_keeps_its_events_when_migrated()
    {
        // A server.db as the first released version left it: schema 1 with two events.
        var path = _dir.Combine("v1.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            var (_, _, sql) = Migrations.All.Single(m => m.Version == 1);
            using var command = old.CreateCommand();
            command.CommandText = "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);"
                + sql.Replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT", StringComparison.Ordinal)
                + "; INSERT INTO schema_migrations VALUES (1, 'initial', 0);"
                + "INSERT INTO events (agent, kind, at, received_at, container_id, workload, path, process, detail) VALUES ('a', 'exec', 5, 6, 'c', 'shop/web', '/bin/sh', 'sh', '{}'), ('a', 'file', 7, 8, 'c', 'shop/web', '/etc/passwd', 'sh', '{}');";
            await command.ExecuteNonQueryAsync();
        }
        await using var store = StoreFactory.Open(path);
        await store.MigrateAsync(default);
        Assert.Equal(Migrations.All.Max(m => m.Version), await store.SchemaVersionAsync(default));
        Assert.Equal(new Dictionary<string, long> { ["/bin/sh"] = 5, ["/etc/passwd"] = 7 }, await store.ObservedPathsAsync("shop/web", ["exec", "file"], 10, default));
        await store.IngestAgentBatchAsync("a", "b1", new AgentBatch([], [], [new EventRow("exec", 9, "c", "shop/web", "/bin/ls", "sh", "{}")], [], []), 10, default);
        // Keys go on from the old ones: "events stored" reads the highest key.
        Assert.Equal(3, (await store.SeedFactsAsync(0, default)).Events);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreContractTests
{
    protected override async Task<IServerStore> CreateStoreAsync() => StoreFactory.Open(await postgres.Server.CreateDatabaseAsync());

    [Fact]
    public async Task Two_replicas_migrating_at_once_apply_each_migration_once()
    {
        var db = await postgres.Server.CreateDatabaseAsync();
        await using var a = StoreFactory.Open(db);
        await using var b = StoreFactory.Open(db);
        await Task.WhenAll(a.MigrateAsync(default), b.MigrateAsync(default));
        Assert.Equal(Migrations.All.Max(m => m.Version), await b.SchemaVersionAsync(default));
    }

    [Fact]
    public async Task Two_replicas_grouping_alerts_of_one_workload_at_once_open_one_incident()
    {
        var db = await postgres.Server.CreateDatabaseAsync();
        await using var a = StoreFactory.Open(db);
        await using var b = StoreFactory.Open(db);
        await a.MigrateAsync(default);
        AgentBatch Alerts(string prefix) => new([], [], [], [.. Enumerable.Range(0, 20).Select(i => new AlertRow($"{prefix}{i}", "shell", "high", 1000 + i, 1040 + i, "c", "shop/web", "none", null, "{}"))], []);
        await Task.WhenAll(
            Task.Run(() => a.IngestAgentBatchAsync("agent-a", "x", Alerts("a"), 2000, default)),
            Task.Run(() => b.IngestAgentBatchAsync("agent-b", "y", Alerts("b"), 2000, default)));
        Assert.Equal(40, Assert.Single(await a.IncidentsAsync(null, 10, default)).Alerts);
    }

    [Fact]
    public void A_postgres_url_becomes_a_connection_string()
    {
        Assert.True(StoreFactory.IsPostgres("postgres://u:p%40ss@db.local:5433/zd?sslmode=require"));
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(StoreFactory.FromUrl("postgres://u:p%40ss@db.local:5433/zd?sslmode=require"));
        Assert.Equal(("db.local", 5433, "zd", "u", "p@ss", Npgsql.SslMode.Require), (cs.Host, cs.Port, cs.Database, cs.Username, cs.Password, cs.SslMode));
        Assert.False(StoreFactory.IsPostgres("/var/lib/zerodrift/server.db"));
    }
}
