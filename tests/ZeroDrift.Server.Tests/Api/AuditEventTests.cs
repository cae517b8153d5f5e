using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Runtime.Audit;

namespace ZeroDrift.Server.Tests.Api;

/// <summary>
/// Audit events end to end on a real server: the Kubernetes API server's webhook POSTs an audit.k8s.io/v1 EventList
/// with an audit token, Falco's k8s_audit rules judge it, and the alert is an incident the API shows; CloudTrail log
/// files the same way. Unauthenticated and wrongly-roled posts are refused; hostile bodies get one error line (413 for
/// size) and a bad record inside a good list is a warning while the rest is judged. SQLite here, PostgreSQL below.
/// </summary>
public class AuditEventTests
{
    private static readonly string PluginRules = Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins");

    protected virtual Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);

    private async Task<ServerHarness> StartAsync(bool withRules = true) => await ServerHarness.StartAsync(await DatabaseAsync(),
        audit: withRules ? AuditJudge.FromFiles([Path.Combine(PluginRules, "k8s_audit_rules.yaml"), Path.Combine(PluginRules, "aws_cloudtrail_rules.yaml")], hostname: "test-cluster") : null);

    /// <summary>An exec into a pod as the API server reports it (ResponseStarted, pods/exec), and a harmless get.</summary>
    internal static JsonObject ExecEvent(string id) => JsonNode.Parse($$$"""
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{{{id}}}","stage":"ResponseStarted",
         "requestURI":"/api/v1/namespaces/shop/pods/web-0/exec?command=sh&stdin=true&tty=true","verb":"create",
         "user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["10.0.0.7"],
         "userAgent":"kubectl/v1.31.0","objectRef":{"resource":"pods","namespace":"shop","name":"web-0","subresource":"exec","apiVersion":"v1"},
         "responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-12-07T10:00:00.000000Z","stageTimestamp":"2026-12-07T10:00:00.020000Z",
         "annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}
        """)!.AsObject();

    private static JsonObject GetEvent(string id) => JsonNode.Parse($$$"""
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{{{id}}}","stage":"ResponseComplete",
         "requestURI":"/api/v1/namespaces/shop/pods/web-0","verb":"get","user":{"username":"kubernetes-admin"},
         "objectRef":{"resource":"pods","namespace":"shop","name":"web-0","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},
         "stageTimestamp":"2026-12-07T10:00:01Z"}
        """)!.AsObject();

    private static StringContent EventList(params JsonNode[] items) =>
        new(new JsonObject { ["kind"] = "EventList", ["apiVersion"] = "audit.k8s.io/v1", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(items) }.ToJsonString(),
            Encoding.UTF8, "application/json");

    [Fact]
    public async Task An_EventList_from_the_webhook_becomes_an_incident_once_and_unauthenticated_posts_are_refused()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        using var apiServer = harness.TokenClient(await harness.CreateTokenAsync(admin, "cluster-prod", "audit"));

        using (var anonymous = harness.Client())
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-0")))).StatusCode);
        using (var viewer = harness.TokenClient(await harness.CreateTokenAsync(admin, "grafana", "viewer")))
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-0")))).StatusCode);
        using (var agent = harness.TokenClient(await harness.CreateTokenAsync(admin, "node-1", "agent")))
            Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-0")))).StatusCode);
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray());

        using var posted = await apiServer.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-1"), GetEvent("a-2")));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var answer = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, answer.GetProperty("events").GetInt32());
        Assert.Equal(1, answer.GetProperty("newAlerts").GetInt32());

        var incident = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray());
        Assert.Equal("Attach/Exec Pod", incident.GetProperty("title").GetString());
        Assert.Equal("k8s/shop", incident.GetProperty("workload").GetString());
        Assert.Equal("low", incident.GetProperty("severity").GetString());
        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident.GetProperty("id").GetInt64()}");
        var timeline = string.Join("\n", detail.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("detail").GetString()));
        Assert.Contains("\"Attach/Exec Pod\" from Kubernetes audit event a-1 (create /api/v1/namespaces/shop/pods/web-0/exec?command=sh&stdin=true&tty=true)", timeline, StringComparison.Ordinal);

        // The API server retries a batch whose answer it lost: nothing is stored twice.
        using var again = await apiServer.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-1"), GetEvent("a-2")));
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray()).GetProperty("alerts").GetInt32());
    }

    [Fact]
    public async Task Hostile_bodies_get_one_error_and_a_bad_record_is_a_warning_while_the_rest_is_judged()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        using var apiServer = harness.TokenClient(await harness.CreateTokenAsync(admin, "cluster-prod", "audit"));

        async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpContent content)
        {
            using var r = await apiServer.PostAsync("/api/v1/audit-events/k8s", content);
            return (r.StatusCode, await r.Content.ReadFromJsonAsync<JsonElement>());
        }

        // A gigantic EventList: refused by its size, one line.
        var padding = new string('x', 1 << 20);
        var huge = new JsonArray([.. Enumerable.Range(0, 33).Select(i => (JsonNode)GetEvent($"h-{i}").Also(e => e["pad"] = padding))]);
        var (status, body) = await Post(EventList([.. huge.Select(n => n!.DeepClone())]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("the body is larger than 32 MiB", body.GetProperty("error").GetString());

        // Deep JSON, not JSON, wrong types.
        (status, body) = await Post(new StringContent(new string('[', 10_000) + new string(']', 10_000), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("EventList is nested deeper than 64 levels", body.GetProperty("error").GetString());
        (status, body) = await Post(new StringContent("{\"kind\":\"EventList\",\"items\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("EventList is not valid JSON", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, body) = await Post(new StringContent("{\"kind\":\"EventList\",\"items\":{\"auditID\":\"x\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("EventList is an EventList without an \"items\" array", body.GetProperty("error").GetString());

        // Records that are not events, and an event whose fields have the wrong types, inside a good list.
        var wrongTypes = ExecEvent("w-1");
        wrongTypes["objectRef"] = "pods";
        wrongTypes["user"] = new JsonArray(1, 2);
        (status, body) = await Post(EventList(JsonValue.Create(42), new JsonObject { ["kind"] = "Event" }, wrongTypes, ExecEvent("ok-1")));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("events").GetInt32());
        Assert.Equal(1, body.GetProperty("newAlerts").GetInt32());
        Assert.Equal(["EventList: items[0]: an audit event must be a JSON object, not number: skipped", "EventList: items[1]: not an audit.k8s.io event: no \"auditID\": skipped"],
            body.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
    }

    [Fact]
    public async Task A_CloudTrail_log_file_as_delivered_to_S3_becomes_an_incident()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        using var uploader = harness.TokenClient(await harness.CreateTokenAsync(admin, "trail-reader", "audit"));
        var records = new JsonObject
        {
            ["Records"] = new JsonArray(
                JsonNode.Parse("""
                    {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},
                     "eventTime":"2026-12-07T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-3","sourceIPAddress":"198.51.100.7",
                     "userAgent":"aws-cli/2.15.0","requestParameters":{"name":"arn:aws:cloudtrail:eu-west-3:123456789012:trail/main"},"responseElements":null,
                     "eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"}
                    """),
                JsonNode.Parse("""{"eventVersion":"1.08","eventTime":"2026-12-07T10:00:01Z"}""")),
        };
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(Encoding.UTF8.GetBytes(records.ToJsonString()));
        using var content = new ByteArrayContent(gz.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/gzip");
        using var posted = await uploader.PostAsync("/api/v1/audit-events/cloudtrail", content);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var answer = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, answer.GetProperty("events").GetInt32());
        Assert.Equal("CloudTrail log file: Records[1]: not a CloudTrail record: no \"eventName\" string: skipped", Assert.Single(answer.GetProperty("warnings").EnumerateArray()).GetString());
        var incident = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray());
        Assert.Equal("CloudTrail Logging Disabled", incident.GetProperty("title").GetString());
        Assert.Equal("aws/123456789012/eu-west-3", incident.GetProperty("workload").GetString());
    }

    private static byte[] TrailFile(params string[] stopLoggingIds)
    {
        var records = new JsonArray([.. stopLoggingIds.Select(id => JsonNode.Parse($$$"""
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},
             "eventTime":"2026-12-07T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-3","sourceIPAddress":"198.51.100.7",
             "userAgent":"aws-cli/2.15.0","requestParameters":{"name":"arn:aws:cloudtrail:eu-west-3:123456789012:trail/main"},"responseElements":null,
             "eventID":"{{{id}}}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"}
            """))]);
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(Encoding.UTF8.GetBytes(new JsonObject { ["Records"] = records }.ToJsonString()));
        return gz.ToArray();
    }

    private static async Task<int> AlertsWhenAsync(HttpClient admin, Func<int, bool> done)
    {
        for (var i = 0; ; i++)
        {
            var alerts = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray().Sum(x => x.GetProperty("alerts").GetInt32());
            if (done(alerts) || i == 60) return alerts;
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task A_CloudTrail_folder_is_read_as_files_arrive_and_not_again_after_a_restart()
    {
        using var data = new TempDir();
        using var trail = new TempDir();
        // The folder as `aws s3 sync` leaves it; the AWSLogs folder does not exist yet when the server starts.
        var day = Path.Combine(trail.Path, "AWSLogs", "123456789012", "CloudTrail", "eu-west-3", "2026", "12", "07");
        var db = await DatabaseAsync();
        var judge = AuditJudge.FromFiles([Path.Combine(PluginRules, "aws_cloudtrail_rules.yaml")], hostname: "test");
        await using (var harness = await ServerHarness.StartAsync(db, dir: data, audit: judge, cloudTrailDirectory: Path.Combine(trail.Path, "AWSLogs")))
        {
            using var admin = await harness.LoginAsync();
            Directory.CreateDirectory(day);
            await File.WriteAllBytesAsync(Path.Combine(day, "123456789012_CloudTrail_eu-west-3_20261207T1000Z_a.json.gz"), TrailFile("f-1"));
            Assert.Equal(1, await AlertsWhenAsync(admin, n => n >= 1));
            await File.WriteAllBytesAsync(Path.Combine(day, "123456789012_CloudTrail_eu-west-3_20261207T1005Z_b.json.gz"), TrailFile("f-2", "f-3"));
            await File.WriteAllTextAsync(Path.Combine(day, "broken.json.gz"), "not gzip");
            Assert.Equal(3, await AlertsWhenAsync(admin, n => n >= 3));
            var incident = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents")).EnumerateArray());
            Assert.Equal("aws/123456789012/eu-west-3", incident.GetProperty("workload").GetString());
        }
        var state = Path.Combine(data.Path, "cloudtrail-dir.read");
        Assert.Equal(3, File.ReadAllLines(state).Length);
        // A restart: the files already read are not read again (the state is not appended to), a new one is.
        await using (var harness = await ServerHarness.StartAsync(db, dir: data, audit: judge, cloudTrailDirectory: Path.Combine(trail.Path, "AWSLogs")))
        {
            using var admin = await harness.LoginAsync();
            await File.WriteAllBytesAsync(Path.Combine(day, "123456789012_CloudTrail_eu-west-3_20261207T1010Z_c.json.gz"), TrailFile("f-4"));
            Assert.Equal(4, await AlertsWhenAsync(admin, n => n >= 4));
            await Task.Delay(ZeroDrift.Server.Ingestion.CloudTrailFolderIngestor.Interval * 2);
            Assert.Equal(4, await AlertsWhenAsync(admin, _ => true));
        }
        Assert.Equal(4, File.ReadAllLines(state).Length);
    }

    [Fact]
    public async Task A_server_without_audit_rules_says_how_to_get_them()
    {
        await using var harness = await StartAsync(withRules: false);
        using var admin = await harness.LoginAsync();
        using var r = await admin.PostAsync("/api/v1/audit-events/k8s", EventList(ExecEvent("a-1")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal("this server judges no audit events: start it with --audit-rules FILE (docs/audit.md)", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditEventTests(PostgresFixture postgres) : AuditEventTests
{
    protected override async Task<string?> DatabaseAsync() => await postgres.Server.CreateDatabaseAsync();
}

internal static class JsonNodeExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
