using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Tests.Ingestion;

/// <summary>
/// The agent channel's records, one definition for both sides: each kind goes from the type the agent builds, through
/// the NDJSON the channel sends, the server's parser and the store, and comes out as what was sent. What is not a
/// record this server reads is refused with the line and the reason.
/// </summary>
public sealed class AgentRecordTests : IDisposable
{
    private const long Now = 1_790_000_000_000;
    private static readonly DateTimeOffset T = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_123);
    private readonly TempDir _dir = new();

    /// <summary>Agent records → the channel's NDJSON → <see cref="AgentBatchParser"/> → a fresh SQLite store; the store and its file.</summary>
    private async Task<(IServerStore Store, string Db)> IngestAsync(params AgentRecord[] records)
    {
        var db = _dir.Combine($"{Guid.NewGuid():N}.db");
        var store = StoreFactory.Open(db);
        await store.MigrateAsync(default);
        var batch = await AgentBatchParser.ParseAsync(new MemoryStream(AgentRecordCodec.ToNdjson(records)), Now, default);
        Assert.Equal(records.Length, batch.Count);
        Assert.False((await store.IngestAgentBatchAsync("agent-1", "b1", batch, Now, default)).Duplicate);
        return (store, db);
    }

    /// <summary>The stored row itself, as the database has it.</summary>
    private static object[] Row(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), sql);
        var row = new object[reader.FieldCount];
        reader.GetValues(row);
        Assert.False(reader.Read(), $"more than one row: {sql}");
        return row;
    }

    [Fact]
    public async Task A_host_record_round_trips_with_its_enforcement()
    {
        var host = new HostRecord
        {
            Name = "node-1", Time = T, Kernel = "Unix 6.1.0.44", Agent = "zerodrift 0.1.0",
            Enforcement = new AgentEnforcement { Mode = EnforcementKind.UserSpace, Reason = "kernel enforcement could not load: /sys/fs/bpf is not a BPF filesystem" },
        };
        var (store, db) = await IngestAsync(host);
        await using (store)
        {
            var stored = Assert.Single(await store.HostsAsync(default));
            Assert.Equal(("node-1", "agent-1", T.ToUnixTimeMilliseconds()), (stored.Name, stored.Agent, stored.LastSeen));
            Assert.Equal(host.Enforcement, stored.Enforcement);
            // Everything the record said is kept as the host's attributes.
            Assert.Equal(host, AgentRecordCodec.Read(Encoding.UTF8.GetBytes((string)Row(db, "SELECT attrs FROM hosts")[0])));
        }
    }

    [Fact]
    public async Task A_container_record_round_trips()
    {
        var container = new ContainerRecord
        {
            Id = "c0ffee01", Host = "node-1", Workload = "shop/web", Image = "registry.local/shop/web:1", ImageDigest = "sha256:0123",
            State = ContainerState.Paused, Exposed = true, StartedAt = T.AddMinutes(-5), Time = T,
        };
        var (store, _) = await IngestAsync(container);
        await using (store)
            Assert.Equal(new ContainerView("c0ffee01", "node-1", "shop/web", "registry.local/shop/web:1", "sha256:0123", "paused", true, T.AddMinutes(-5).ToUnixTimeMilliseconds(), T.ToUnixTimeMilliseconds()),
                Assert.Single(await store.ContainersAsync(default)));
    }

    [Fact]
    public async Task An_event_record_round_trips_and_is_kept_whole_as_its_detail()
    {
        var ev = new EventRecord { Kind = "exec", Time = T, ContainerId = "c0ffee01", Workload = "shop/web", Path = "/usr/bin/curl", Process = "/bin/sh", Pid = 4242 };
        var (store, db) = await IngestAsync(ev);
        await using (store)
        {
            var row = Row(db, "SELECT kind, at, container_id, workload, path, process, detail FROM events");
            Assert.Equal(["exec", T.ToUnixTimeMilliseconds(), "c0ffee01", "shop/web", "/usr/bin/curl", "/bin/sh"], row[..6]);
            Assert.Equal(ev, AgentRecordCodec.Read(Encoding.UTF8.GetBytes((string)row[6])));
        }
    }

    [Fact]
    public async Task An_alert_record_round_trips_with_its_action()
    {
        var alert = new AlertRecord
        {
            Id = "4242-1", Rule = "ZeroDrift Drift: Executable Not From the Image", Severity = AlertSeverity.Critical, EventTime = T, Time = T.AddMilliseconds(4),
            ContainerId = "c0ffee01", Workload = "shop/web", Action = AlertResponse.Killed, ActionTime = T.AddMilliseconds(3), Enforcement = EnforcementKind.UserSpace,
            Output = "process /tmp/x started by /bin/sh is not in the profile",
        };
        var (store, db) = await IngestAsync(alert);
        await using (store)
        {
            var row = Row(db, "SELECT agent_alert_id, rule, severity, event_at, raised_at, container_id, workload, action, action_at, detail FROM alerts");
            Assert.Equal(["4242-1", alert.Rule, "critical", T.ToUnixTimeMilliseconds(), T.ToUnixTimeMilliseconds() + 4, "c0ffee01", "shop/web", "killed", T.ToUnixTimeMilliseconds() + 3], row[..9]);
            Assert.Equal(alert, AgentRecordCodec.Read(Encoding.UTF8.GetBytes((string)row[9])));
            var incident = Assert.Single(await store.IncidentsAsync(null, 10, default));
            Assert.Equal(("contained", T.ToUnixTimeMilliseconds() + 3), (incident.State, incident.ContainedAt));
        }
    }

    [Fact]
    public async Task A_rule_alert_for_learned_behaviour_keeps_its_mark_and_is_filed_apart_in_the_incident()
    {
        var learned = new AlertRecord
        {
            Id = "4242-2", Rule = "ZeroDrift Shell Spawned in Container", Severity = AlertSeverity.Medium, EventTime = T, ContainerId = "c0ffee01",
            Workload = "shop/web", Learned = true,
        };
        var fresh = learned with { Id = "4242-3", EventTime = T.AddSeconds(1), Learned = null };
        var (store, db) = await IngestAsync(learned, fresh);
        await using (store)
        {
            var detail = Row(db, "SELECT detail FROM alerts WHERE agent_alert_id = '4242-2'");
            Assert.Equal(learned, AgentRecordCodec.Read(Encoding.UTF8.GetBytes((string)detail[0])));
            Assert.Contains("\"learned\":true", (string)detail[0], StringComparison.Ordinal);
            var incident = Assert.Single(await store.IncidentsAsync(null, 10, default));
            var kinds = (await store.TimelineAsync(incident.Id, default)).Select(e => e.Kind).ToList();
            Assert.Equal(1, kinds.Count(k => k == "alert-learned"));
            Assert.Equal(1, kinds.Count(k => k == "alert"));
        }
    }

    [Fact]
    public async Task A_profile_record_round_trips_and_is_read_back_through_its_type()
    {
        var profile = new ProfileRecord
        {
            Workload = "shop/web", Mode = WorkloadMode.Protect, Time = T,
            Profile = new ProfileModel
            {
                ImageDigest = "sha256:0123", Exec = ["/usr/bin/node", "/bin/sh"], Files = ["/app/**", "/etc/hosts"],
                Network = [new ProfileFlow("shop/db", 5432), new ProfileFlow("10.96.0.10", 53) { Protocol = "udp" }], Syscalls = ["read", "openat"],
            },
        };
        var (store, _) = await IngestAsync(profile);
        await using (store)
        {
            var stored = Assert.Single(await store.ProfilesAsync(default));
            Assert.Equal(("shop/web", "protect", T.ToUnixTimeMilliseconds()), (stored.Workload, stored.Mode, stored.UpdatedAt));
            Assert.Equal(Json(profile.Profile), Json(JsonSerializer.Deserialize(stored.Body, AgentRecordJson.Default.ProfileModel)!));
            var graph = await Risk.ProfileAnalysis.GraphAsync(store, default);
            Assert.Equal(["shop/web → shop/db:5432/tcp", "shop/web → 10.96.0.10:53/udp"], graph.Edges.Select(e => $"{e.From} → {e.To}:{e.Port}/{e.Protocol}"));
        }

        static string Json(ProfileModel model) => JsonSerializer.Serialize(model, AgentRecordJson.Default.ProfileModel);
    }

    [Fact]
    public void Records_carry_their_type_and_version_first_and_read_back_equal()
    {
        AgentRecord[] records =
        [
            new HostRecord { Name = "node-1", Enforcement = new AgentEnforcement { Mode = EnforcementKind.Kernel, PinRoot = "/sys/fs/bpf/zerodrift", MountedBpfFs = true } },
            new ContainerRecord { Id = "c", Host = "node-1", Workload = "w", Image = "i" },
            new EventRecord { Kind = "file", Time = T, ContainerId = "c", Workload = "w" },
            new AlertRecord { Id = "a", Rule = "r", Severity = AlertSeverity.Info, EventTime = T, ContainerId = "c", Workload = "w", Action = AlertResponse.KillFailed },
        ];
        foreach (var record in records)
        {
            var json = AgentRecordCodec.ToJson(record);
            Assert.StartsWith($$"""{"type":"{{json.Split('"')[3]}}","v":{{AgentRecord.CurrentVersion}},""", json, StringComparison.Ordinal);
            Assert.Equal(record, AgentRecordCodec.Read(Encoding.UTF8.GetBytes(json)));
        }
        Assert.Contains("\"action\":\"kill-failed\"", AgentRecordCodec.ToJson(records[3]), StringComparison.Ordinal);
        Assert.Contains("\"mode\":\"kernel\"", AgentRecordCodec.ToJson(records[0]), StringComparison.Ordinal);
    }

    [Theory]
    // What agents before the version field wrote, and what people write by hand.
    [InlineData("""{"type":"event","kind":"file","time":"2026-05-28T20:26:40.5","containerId":"c","workload":"w"}""")] // no offset: UTC
    [InlineData("""{"type":"event","kind":"file","time":"2026-05-28T22:26:40.5+02:00","containerId":"c","workload":"w","v":1}""")]
    [InlineData("""{"type":"event","kin\u0064":"file","time":1780000000500,"containerId":"c","workload":"w"}""")] // escaped name
    public async Task Times_in_either_form_and_records_without_a_version_are_read(string line)
    {
        var e = Assert.Single((await AgentBatchParser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(line)), Now, default)).Events);
        Assert.Equal(("file", 1_780_000_000_500L), (e.Kind, e.At));
    }

    [Fact]
    public async Task Unknown_fields_are_kept_in_the_stored_detail()
    {
        const string line = """{"type":"event","kind":"exec","time":1780000000123,"containerId":"c0ffee","workload":"shop/web","path":"/usr/bin/node","args":["node","x.js"],"env":{"A":"1"},"n":null}""";
        var e = Assert.Single((await AgentBatchParser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(line + "\r\n")), Now, default)).Events);
        Assert.Equal(new EventRow("exec", 1_780_000_000_123, "c0ffee", "shop/web", "/usr/bin/node", "", line), e);
    }

    [Theory]
    [InlineData("""{"type":"event","kind":"exec","time":1,"workload":"w"}""", "an event record needs \"containerId\"")]
    [InlineData("""{"type":"event","kind":"exec","time":-5,"containerId":"c","workload":"w"}""", "\"time\" must be an RFC 3339 time or Unix milliseconds")]
    [InlineData("""{"type":"event","kind":"exec","time":"yesterday","containerId":"c","workload":"w"}""", "\"time\" must be an RFC 3339 time or Unix milliseconds")]
    [InlineData("""{"type":"event","kind":"exec","time":1,"containerId":"c","workload":"w"} trailing""", "not valid JSON")]
    [InlineData("""{"type":"event","kind":"exec","time":1,"containerId":"c","workload":""", "not valid JSON")]
    [InlineData("""{"type":"event","kind":7,"time":1,"containerId":"c","workload":"w"}""", "\"kind\" must be a string")]
    [InlineData("""{"type":"event","kind":"","time":1,"containerId":"c","workload":"w"}""", "\"kind\" must be a non-empty string")]
    [InlineData("""{"type":"weird"}""", "\"type\" must be host, container, event, alert or profile")]
    [InlineData("""{"kind":"exec"}""", "\"type\" must be host, container, event, alert or profile")]
    [InlineData("""[1,2]""", "a record must be a JSON object")]
    [InlineData("""{"type":"host","name":"n","v":2}""", "record version 2 is newer than this server reads (up to 1): upgrade the server")]
    // Lines that start as the codec writes them (type and version first) are refused for the same reasons.
    [InlineData("""{"type":"host","v":2,"name":"n"}""", "record version 2 is newer than this server reads (up to 1): upgrade the server")]
    [InlineData("""{"type":"host","v":1,"name":"n","v":2}""", "record version 2 is newer than this server reads (up to 1): upgrade the server")]
    [InlineData("""{"type":"event","v":1,"kind":"exec","time":1,"containerId":"c","workload":"w"} trailing""", "not valid JSON")]
    [InlineData("""{"type":"event","v":1,"kind":"exec","time":1,"containerId":"c"}""", "an event record needs \"workload\"")]
    [InlineData("""{"type":"event","v":1,"kind":"exec","time":1,"containerId":"c","workload":"w","pid":"x"}""", "\"pid\" must be an integer")]
    [InlineData("""{"type":"host","name":"n","v":"1"}""", "\"v\" must be a positive integer")]
    [InlineData("""{"type":"host","name":"n","v":0}""", "\"v\" must be a positive integer")]
    [InlineData("""{"type":"host","name":"n","enforcement":{"mode":"magic"}}""", "\"enforcement.mode\" must be one of none, kernel, user-space")]
    [InlineData("""{"type":"host","name":"n","enforcement":{}}""", "\"enforcement\" must be an object with \"mode\"")]
    [InlineData("""{"type":"host","name":"n","enforcement":"kernel"}""", "\"enforcement\" must be an object with \"mode\"")]
    [InlineData("""{"type":"container","id":"c","host":"h","workload":"w","image":"i","state":"gone"}""", "\"state\" must be one of running, paused, exited")]
    [InlineData("""{"type":"container","id":"c","host":"h","workload":"w","image":"i","exposed":"yes"}""", "\"exposed\" must be true or false")]
    [InlineData("""{"type":"alert","id":"1","rule":"r","severity":"high","containerId":"c","workload":"w"}""", "an alert record needs \"eventTime\"")]
    [InlineData("""{"type":"alert","id":"1","rule":"r","severity":"urgent","eventTime":1,"containerId":"c","workload":"w"}""", "\"severity\" must be one of critical, high, medium, low, info")]
    [InlineData("""{"type":"alert","id":"1","rule":"r","severity":"high","eventTime":1,"containerId":"c","workload":"w","action":"maybe"}""", "\"action\" must be one of none, detected, blocked, killed, kill-failed, paused, quarantined")]
    [InlineData("""{"type":"profile","workload":"w","mode":"enforce","profile":{}}""", "\"mode\" must be one of learn, monitor, protect")]
    [InlineData("""{"type":"profile","workload":"w","mode":"learn","profile":[]}""", "\"profile\" must be an object")]
    [InlineData("""{"type":"profile","workload":"w","mode":"learn","profile":{"exec":[1]}}""", "\"profile.exec[0]\" must be a string")]
    [InlineData("""{"type":"profile","workload":"w","mode":"learn","profile":{"network":[{"to":"db","port":"x"}]}}""", "\"profile.network[0].port\" must be an integer")]
    public async Task A_line_that_is_not_a_record_refuses_the_whole_batch_with_its_number_and_why(string line, string reason)
    {
        var good = AgentRecordCodec.ToJson(new EventRecord { Kind = "exec", Time = T, ContainerId = "c", Workload = "w" });
        var e = await Assert.ThrowsAsync<IngestException>(() => AgentBatchParser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes($"{good}\n\n{line}\n{good}")), Now, default));
        Assert.StartsWith($"line 3: {reason}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task Names_of_enumerations_are_read_without_regard_to_case()
    {
        const string line = """{"type":"alert","id":"1","rule":"r","severity":"CRITICAL","eventTime":1,"containerId":"c","workload":"w","action":"Kill-Failed"}""";
        var alert = Assert.Single((await AgentBatchParser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(line)), Now, default)).Alerts);
        Assert.Equal(("critical", "kill-failed"), (alert.Severity, alert.Action));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
