using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;
using static ZeroDrift.Server.Tests.Api.Fixtures;

namespace ZeroDrift.Server.Tests.Api;

/// <summary>The server as clients see it: HTTPS, authentication, roles, ingestion, incidents, numbers; SQLite here, PostgreSQL below.</summary>
public class ServerApiTests
{
    protected virtual Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);

    private async Task<ServerHarness> StartAsync() => await ServerHarness.StartAsync(await DatabaseAsync());

    [Fact]
    public async Task Health_is_public_everything_else_needs_authentication()
    {
        await using var harness = await StartAsync();
        using var anonymous = harness.Client();
        using var health = await anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        foreach (var path in new[] { "/metrics", "/api/v1/risks", "/api/v1/incidents", "/api/v1/numbers", "/api/v1/assets/hosts", "/api/v1/live" })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var forged = harness.TokenClient("zdt_not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/v1/risks")).StatusCode);
        using var openapi = await anonymous.GetAsync("/openapi/v1.json");
        var doc = await openapi.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/agent/batches", out _));
    }

    [Fact]
    public async Task Password_guessing_is_slowed_to_ten_attempts_a_minute()
    {
        await using var harness = await StartAsync();
        using var anonymous = harness.Client();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
            statuses.Add((await anonymous.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = $"guess-number-{i}" })).StatusCode);
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), statuses);
    }

    [Fact]
    public async Task Without_an_admin_password_a_new_server_refuses_to_start()
    {
        using var dir = new TempDir();
        var db = await DatabaseAsync();
        var e = await Assert.ThrowsAsync<ServerConfigurationException>(() => ZeroDriftServer.StartAsync(new ServerOptions(Listen: "https://127.0.0.1:0", DataDirectory: dir.Path, Db: db), default));
        Assert.Contains("ZERODRIFT_ADMIN_PASSWORD", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_password_is_used_only_while_no_admin_exists_and_the_server_says_whether_it_was()
    {
        using var dir = new TempDir();
        var db = await DatabaseAsync();
        await using (var first = await ServerHarness.StartAsync(db, dir: dir))
            Assert.True(first.Server.AdminCreated);
        // A second start with another password (zerodrift up generates one each time) changes nothing.
        await using var second = await ZeroDriftServer.StartAsync(new ServerOptions(Listen: "https://127.0.0.1:0", DataDirectory: dir.Path, Db: db, AdminPassword: "another-password-entirely"), default);
        Assert.False(second.AdminCreated);
        var users = await second.Store.ListUsersAsync(default);
        Assert.Single(users, u => u.Role == "admin");
        var admin = await second.Store.FindUserAsync("admin", default);
        Assert.True(ZeroDrift.Server.Auth.Secrets.VerifyPassword(ServerHarness.AdminPassword, admin!.PasswordHash));
        Assert.False(ZeroDrift.Server.Auth.Secrets.VerifyPassword("another-password-entirely", admin.PasswordHash));
    }

    [Fact]
    public async Task Sessions_need_the_csrf_header_viewers_change_nothing_and_changes_are_audited()
    {
        await using var harness = await StartAsync();
        using var anonymous = harness.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = "wrong-password-here" })).StatusCode);

        using var admin = await harness.LoginAsync();
        using var noCsrf = harness.Client();
        using (var login = await noCsrf.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = ServerHarness.AdminPassword })) login.EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Forbidden, (await noCsrf.PostAsJsonAsync("/api/v1/tokens", new { name = "x", role = "ci" })).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/users", new { name = "vera", password = "short", role = "viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/users", new { name = "vera", password = "viewer-password-1", role = "viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/v1/users", new { name = "vera", password = "viewer-password-1", role = "viewer" })).StatusCode);

        using var viewer = await harness.LoginAsync("vera", "viewer-password-1");
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/incidents")).StatusCode);
        var refused = await viewer.PostAsJsonAsync("/api/v1/tokens", new { name = "x", role = "ci" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("viewer", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/workloads/mode", new { workload = "w", mode = "protect" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/audit")).StatusCode);

        var token = await harness.CreateTokenAsync(admin, "ci-pipeline", "ci");
        Assert.StartsWith("zdt_", token, StringComparison.Ordinal);
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit");
        var actions = audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("user.create", actions);
        Assert.Contains("token.create", actions);
        Assert.Contains("login.failed", actions);
        // The token itself is nowhere in what the server keeps or shows.
        Assert.DoesNotContain(token, audit.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, (await admin.GetStringAsync("/api/v1/tokens")), StringComparison.Ordinal);

        using var ci = harness.TokenClient(token);
        Assert.Equal(HttpStatusCode.Forbidden, (await ci.GetAsync("/api/v1/incidents")).StatusCode);
        var id = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens")).EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ci-pipeline").GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ci.PostAsync("/api/v1/scans", new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task Scans_uploaded_by_the_client_show_new_and_fixed_and_bad_reports_get_a_clear_400()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        var connection = harness.Connection(await harness.CreateTokenAsync(admin, "ci", "ci"));
        var first = await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(ScanReport("registry.local/shop/web:1",
            ("CVE-2024-1", "pkg:npm/lodash@4.17.20", "high", 7.5, "4.17.21", "/app/node_modules/lodash/package.json"),
            ("CVE-2024-2", "pkg:npm/minimist@1.2.0", "critical", 9.8, "1.2.6", "/app/node_modules/minimist/package.json"))), new ScanIdentity("shop/web"), default);
        Assert.Equal((2, 2, 0), (first.Findings, first.New, first.Fixed));
        var second = await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(ScanReport("registry.local/shop/web:2",
            ("CVE-2024-1", "pkg:npm/lodash@4.17.20", "high", 7.5, "4.17.21", "/app/node_modules/lodash/package.json"))), new ScanIdentity("shop/web", "registry"), default);
        Assert.Equal((1, 0, 1), (second.Findings, second.New, second.Fixed));

        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(1, numbers.GetProperty("fixedCritical").GetInt64());
        Assert.Equal(2, numbers.GetProperty("risksFoundBeforeDeployment").GetInt64());

        var bad = await Assert.ThrowsAsync<ServerClientException>(() => ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes("""{"schemaVersion": 2}"""), new ScanIdentity(), default));
        Assert.Contains("schemaVersion 1", bad.Message, StringComparison.Ordinal);
        Assert.Contains("400", bad.Message, StringComparison.Ordinal);
        var broken = await Assert.ThrowsAsync<ServerClientException>(() => ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes("{\"schemaVersion\": 1, \"target\": {\"name\": \"x\"}, \"findings\": [{}]}"), new ScanIdentity(), default));
        Assert.Contains("findings[0]", broken.Message, StringComparison.Ordinal);
        var stage = await Assert.ThrowsAsync<ServerClientException>(() => ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(ScanReport("x")), new ScanIdentity(null, "prod"), default));
        Assert.Contains("stage", stage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_pii_and_misconfigurations_of_a_scan_are_stored_redacted_listed_and_counted_before_deployment()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        var connection = harness.Connection(await harness.CreateTokenAsync(admin, "ci", "ci"));
        var all = new[] { "vuln", "secret", "pii", "misconfig" };
        var report = WithContent(ScanReport("registry.local/shop/web:1", ("CVE-2024-1", "pkg:npm/lodash@4.17.20", "high", 7.5, "4.17.21", "/app/node_modules/lodash/package.json")), all,
            ContentFinding("secret", "github-pat", "HIGH", "/app/.env", 3, "GITHUB_TOKEN=ghp_*****"),
            ContentFinding("pii", "email", "MEDIUM", "/data/users.csv", 7, "j***@example.com"),
            ContentFinding("misconfig", "ZD-DF-002", "MEDIUM", "/Dockerfile", 1, "USER root"));
        var first = await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(report), new ScanIdentity("shop/web"), default);
        Assert.Equal((1, 3, 3, 0), (first.Findings, first.ContentFindings, first.ContentNew, first.ContentFixed));

        var findings = await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/findings") ?? [];
        Assert.Equal(["misconfig", "pii", "secret"], findings.Select(f => f.GetProperty("class").GetString()).Order());
        var secret = findings.Single(f => f.GetProperty("class").GetString() == "secret");
        Assert.Equal(("GITHUB_TOKEN=ghp_*****", "/app/.env", 3, "high", "shop/web"),
            (secret.GetProperty("match").GetString(), secret.GetProperty("path").GetString(), secret.GetProperty("line").GetInt32(), secret.GetProperty("severity").GetString(), secret.GetProperty("subject").GetString()));
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/findings?class=pii") ?? []);
        using (var badClass = await admin.GetAsync("/api/v1/findings?class=cve")) Assert.Equal(HttpStatusCode.BadRequest, badClass.StatusCode);
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(4, numbers.GetProperty("risksFoundBeforeDeployment").GetInt64());
        Assert.Equal(3, numbers.GetProperty("risksBeforeDeploymentByKind").GetProperty("contentFindings").GetInt64());

        // The secret is removed; a later secrets-only scan fixes it and leaves the vulnerability alone.
        var second = await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(WithContent(ScanReport("registry.local/shop/web:2"), ["secret"])), new ScanIdentity("shop/web"), default);
        Assert.Equal((0, 0, 1), (second.Fixed, second.ContentNew, second.ContentFixed));
        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/findings") ?? []).Length);
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/risks") ?? []);

        // A report made with --show-secrets carries the secret in clear: refused whole, nothing stored.
        var clear = ContentFinding("secret", "github-pat", "HIGH", "/app/.env", 9, "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        clear["properties"] = new JsonObject { ["secret"] = "ghp_abcdefghijklmnopqrstuvwxyz0123456789" };
        var refused = await Assert.ThrowsAsync<ServerClientException>(() => ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(WithContent(ScanReport("x"), ["secret"], clear)), new ScanIdentity("shop/web"), default));
        Assert.Contains("contentFindings[0]", refused.Message, StringComparison.Ordinal);
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);
        var undeclared = await Assert.ThrowsAsync<ServerClientException>(() => ScanUploader.UploadAsync(connection,
            Encoding.UTF8.GetBytes(WithContent(ScanReport("x"), ["vuln"], ContentFinding("pii", "email", "LOW", "/a", 1, "x"))), new ScanIdentity("shop/web"), default));
        Assert.Contains("do not include pii", undeclared.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/findings") ?? []).Length);
    }

    [Fact]
    public async Task The_hosted_admission_webhook_answers_real_reviews_over_https_and_records_denials_as_risks_stopped()
    {
        using var policyDir = new TempDir();
        var (admission, registry) = RestrictedShopAdmission(policyDir);
        using var registryClient = registry;
        await using var harness = await ServerHarness.StartAsync(await DatabaseAsync(), admission: admission);
        // The API server presents no token: the webhook answers without one, over the server's TLS.
        using var apiServer = harness.Client();

        async Task<JsonElement> Review(string path, string review)
        {
            using var content = new StringContent(review, Encoding.UTF8, "application/json");
            using var response = await apiServer.PostAsync(path, content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("response");
        }

        var privileged = await Review("/admission/validate", AdmissionReview("0b1e7f1c-1", "web", "registry.local/shop/web@sha256:" + new string('a', 64), privileged: true));
        Assert.False(privileged.GetProperty("allowed").GetBoolean());
        Assert.Equal("0b1e7f1c-1", privileged.GetProperty("uid").GetString());
        Assert.Contains("Pod Security Standard 'restricted'", privileged.GetProperty("status").GetProperty("message").GetString(), StringComparison.Ordinal);
        var foreign = await Review("/admission/validate", AdmissionReview("0b1e7f1c-2", "miner", "evil.example/miner:1", privileged: false));
        Assert.False(foreign.GetProperty("allowed").GetBoolean());
        var fine = await Review("/admission/validate", AdmissionReview("0b1e7f1c-3", "api", "registry.local/shop/api@sha256:" + new string('b', 64), privileged: false));
        Assert.True(fine.GetProperty("allowed").GetBoolean());
        var dryRun = await Review("/admission/validate", AdmissionReview("0b1e7f1c-4", "web", "registry.local/shop/web@sha256:" + new string('a', 64), privileged: true, dryRun: true));
        Assert.False(dryRun.GetProperty("allowed").GetBoolean());
        // The mutating call of the same request is answered but decides nothing: not recorded again.
        var mutated = await Review("/admission/mutate", AdmissionReview("0b1e7f1c-5", "api", "registry.local/shop/api@sha256:" + new string('b', 64), privileged: false));
        Assert.True(mutated.GetProperty("allowed").GetBoolean());
        using (var broken = new StringContent("{not json", Encoding.UTF8, "application/json"))
        using (var answer = await apiServer.PostAsync("/admission/validate", broken))
            Assert.False((await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("response").GetProperty("allowed").GetBoolean());

        using var admin = await harness.LoginAsync();
        var decisions = await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/admission") ?? [];
        Assert.Equal(["", "0b1e7f1c-4", "0b1e7f1c-3", "0b1e7f1c-2", "0b1e7f1c-1"], decisions.Select(d => d.GetProperty("uid").GetString()));
        var first = decisions[^1];
        Assert.Equal(("Deployment", "shop", "web", "CREATE", false), (first.GetProperty("kind").GetString(), first.GetProperty("namespace").GetString(),
            first.GetProperty("name").GetString(), first.GetProperty("operation").GetString(), first.GetProperty("allowed").GetBoolean()));
        Assert.Equal(["registry.local/shop/web@sha256:" + new string('a', 64)], first.GetProperty("images").EnumerateArray().Select(i => i.GetString()));
        Assert.True(decisions[1].GetProperty("dryRun").GetBoolean());
        Assert.Equal(4, (await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/admission?decision=denied") ?? []).Length);
        // Stopped: the privileged deployment, the foreign image and the unreadable review; the dry run changed nothing.
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(3, numbers.GetProperty("risksBeforeDeploymentByKind").GetProperty("deploymentsDenied").GetInt64());
        Assert.Equal(3, numbers.GetProperty("risksFoundBeforeDeployment").GetInt64());
        using var anonymous = harness.Client();
        using (var refused = await anonymous.GetAsync("/api/v1/admission")) Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Sboms_in_both_formats_are_accepted_and_others_refused()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        using var ci = harness.TokenClient(await harness.CreateTokenAsync(admin, "ci", "ci"));
        var cdx = """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"lodash","version":"4.17.21","purl":"pkg:npm/lodash@4.17.21","components":[{"name":"inner","version":"1"}]}]}""";
        var answer = await (await ci.PostAsync("/api/v1/sboms?workload=shop/web", new StringContent(cdx, Encoding.UTF8, "application/json"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("cyclonedx", 2), (answer.GetProperty("format").GetString(), answer.GetProperty("packages").GetInt32()));
        var spdx = """{"spdxVersion":"SPDX-2.3","packages":[{"name":"openssl","versionInfo":"3.0.11","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/openssl@3.0.11"}]}]}""";
        answer = await (await ci.PostAsync("/api/v1/sboms?workload=shop/web", new StringContent(spdx, Encoding.UTF8, "application/json"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("spdx", 1), (answer.GetProperty("format").GetString(), answer.GetProperty("packages").GetInt32()));
        var refused = await ci.PostAsync("/api/v1/sboms?workload=shop/web", new StringContent("""{"hello":1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ci.PostAsync("/api/v1/sboms", new StringContent(cdx, Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task An_agents_alert_opens_an_incident_a_playbook_kills_the_container_and_the_numbers_and_metrics_show_it()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/playbooks", new { name = "kill-drift", ruleContains = "drift", minSeverity = "high", action = "kill" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/playbooks", new { name = "bad", ruleContains = "x", action = "reboot" })).StatusCode);
        var token = await harness.CreateTokenAsync(admin, "node-1-agent", "agent");

        var commands = new List<ServerCommand>();
        await using (var channel = new AgentChannel(harness.Connection(token), "node-1-agent", capacity: 1000, batchSize: 100))
        {
            channel.CommandReceived += c => { lock (commands) commands.Add(c); };
            await channel.EnqueueAsync(Host("node-1"));
            await channel.EnqueueAsync(Container("c0ffee01", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true));
            await channel.EnqueueAsync(Event("exec", T0, "c0ffee01", "shop/web", "/tmp/x"));
            await channel.EnqueueAsync(Alert("al-1", "drift: executable not in the image", "critical", T0, "c0ffee01", "shop/web"));
            await channel.FlushAndStopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(4, channel.Sent);
        }
        var incidents = await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents");
        var incident = incidents.EnumerateArray().Single();
        Assert.Equal("open", incident.GetProperty("state").GetString());

        using var agent = harness.TokenClient(token);
        var pending = await agent.GetFromJsonAsync<JsonElement>("/api/v1/agent/commands");
        var kill = pending.EnumerateArray().Single();
        Assert.Equal(("kill", "c0ffee01"), (kill.GetProperty("kind").GetString(), kill.GetProperty("target").GetString()));
        Assert.Equal("c0ffee01", kill.GetProperty("payload").GetProperty("container").GetString());
        Assert.Single(commands); // the batch answer carried it too
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PostAsJsonAsync($"/api/v1/agent/commands/{kill.GetProperty("id").GetInt64()}/done", new { outcome = "maybe" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsJsonAsync($"/api/v1/agent/commands/{kill.GetProperty("id").GetInt64()}/done", new { outcome = "done" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/incidents")).StatusCode);

        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident.GetProperty("id").GetInt64()}");
        Assert.Equal("contained", detail.GetProperty("incident").GetProperty("state").GetString());
        Assert.Equal("automation", detail.GetProperty("incident").GetProperty("containedBy").GetString());
        Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("actor").GetString() == "playbook:kill-drift" && e.GetProperty("automatic").GetBoolean());

        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(1, numbers.GetProperty("attacksBlocked").GetInt64());
        Assert.Equal(0.035, numbers.GetProperty("timeToDetect").GetProperty("medianSeconds").GetDouble(), 3);
        Assert.True(numbers.GetProperty("timeToBlock").GetProperty("medianSeconds").GetDouble() > 0);

        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("zerodrift_attacks_blocked 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_incidents_open 1\n", metrics, StringComparison.Ordinal); // contained is not resolved
        Assert.Contains("zerodrift_ingested_total{kind=\"events\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_time_to_detect_seconds{quantile=\"0.5\"} 0.035\n", metrics, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync($"/api/v1/incidents/{incident.GetProperty("id").GetInt64()}/transition", new { state = "resolved", note = "image rebuilt" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/v1/incidents/{incident.GetProperty("id").GetInt64()}/transition", new { state = "acknowledged" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/v1/incidents/9999/transition", new { state = "resolved" })).StatusCode);
    }

    [Fact]
    public async Task Each_nodes_enforcement_is_in_the_api_and_the_metrics_and_a_later_registration_changes_both()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        var connection = harness.Connection(await harness.CreateTokenAsync(admin, "agents", "agent"));
        using var scraper = harness.TokenClient(await harness.CreateTokenAsync(admin, "prometheus", "viewer"));
        async Task RegisterAsync(params HostRecord[] hosts)
        {
            await using var channel = new AgentChannel(connection, "agents");
            foreach (var host in hosts) await channel.EnqueueAsync(host);
            await channel.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        async Task<Dictionary<string, JsonElement>> EnforcementAsync() =>
            (await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/assets/hosts"))!.ToDictionary(h => h.GetProperty("name").GetString()!, h => h.GetProperty("enforcement"));

        const string Why = "kernel enforcement could not load: \"/sys/fs/bpf\" is not a BPF filesystem";
        await RegisterAsync(Host("node-1", UserSpace(Why)), Host("node-2", Kernel()), Host("node-3"));
        var hosts = await EnforcementAsync();
        Assert.Equal(("user-space", Why), (hosts["node-1"].GetProperty("mode").GetString(), hosts["node-1"].GetProperty("reason").GetString()));
        Assert.Equal(("kernel", "/sys/fs/bpf/zerodrift", false), (hosts["node-2"].GetProperty("mode").GetString(), hosts["node-2"].GetProperty("pinRoot").GetString(), hosts["node-2"].GetProperty("mountedBpfFs").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, hosts["node-3"].ValueKind); // an agent that does not say

        var metrics = await scraper.GetStringAsync("/metrics");
        Assert.Contains("# TYPE zerodrift_agent_enforcement gauge\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_agent_enforcement{node=\"node-1\",mode=\"user-space\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_agent_enforcement{node=\"node-1\",mode=\"kernel\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_agent_enforcement{node=\"node-2\",mode=\"kernel\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("node=\"node-3\"", metrics, StringComparison.Ordinal);
        // The reason as a label of an info metric, escaped as the text format wants.
        Assert.Contains("zerodrift_agent_enforcement_degraded_info{node=\"node-1\",mode=\"user-space\",reason=\"kernel enforcement could not load: \\\"/sys/fs/bpf\\\" is not a BPF filesystem\"} 1\n",
            metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("zerodrift_agent_enforcement_degraded_info{node=\"node-2\"", metrics, StringComparison.Ordinal);

        // The node's agent restarts with kernel enforcement (on a BPF filesystem it mounted): both follow.
        await RegisterAsync(Host("node-1", Kernel() with { MountedBpfFs = true }));
        hosts = await EnforcementAsync();
        Assert.Equal(("kernel", true), (hosts["node-1"].GetProperty("mode").GetString(), hosts["node-1"].GetProperty("mountedBpfFs").GetBoolean()));
        Assert.False(hosts["node-1"].TryGetProperty("reason", out var reason) && reason.ValueKind != JsonValueKind.Null);
        metrics = await scraper.GetStringAsync("/metrics");
        Assert.Contains("zerodrift_agent_enforcement{node=\"node-1\",mode=\"kernel\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_agent_enforcement{node=\"node-1\",mode=\"user-space\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("zerodrift_agent_enforcement_degraded_info{", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_agent_bpffs_mounted_by_agent{node=\"node-1\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_agent_batches_are_refused_whole_with_the_line_that_is_wrong()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        using var agent = harness.TokenClient(await harness.CreateTokenAsync(admin, "a1", "agent"));
        async Task<(HttpStatusCode, string)> Post(string body, string batch = "b1")
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/agent/batches") { Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson") };
            request.Headers.Add("X-ZeroDrift-Batch", batch);
            using var response = await agent.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var good = AgentRecordCodec.ToJson(Host("n1"));
        // The client stops on a refusal retrying cannot fix, and says why: here a record of a version newer than the server's.
        await using (var channel = new AgentChannel(harness.Connection(await harness.CreateTokenAsync(admin, "a2", "agent")), "a2"))
        {
            await channel.EnqueueAsync(Host("n0") with { Version = AgentRecord.CurrentVersion + 1 });
            var refused = await Assert.ThrowsAsync<ServerClientException>(() => channel.FlushAndStopAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("400", refused.Message, StringComparison.Ordinal);
            Assert.Contains($"line 1: record version {AgentRecord.CurrentVersion + 1} is newer than this server reads", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<Exception>(() => channel.EnqueueAsync(Host("n2")).AsTask());
        }
        Assert.Contains("line 2", (await Post(good + "\n{not json\n")).Item2, StringComparison.Ordinal);
        Assert.Contains("must be host, container, event, alert or profile", (await Post("""{"type":"weird"}""")).Item2, StringComparison.Ordinal);
        Assert.Contains("eventTime", (await Post("""{"type":"alert","id":"1","rule":"r","severity":"high","containerId":"c","workload":"w"}""")).Item2, StringComparison.Ordinal);
        Assert.Contains("mode", (await Post("""{"type":"profile","workload":"w","mode":"enforce","profile":{}}""")).Item2, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(good, "bad id with spaces")).Item1);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("[1,2]")).Item1);
        // Nothing of the refused batches was stored.
        Assert.Empty(await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/assets/hosts") ?? []);
        Assert.Equal(HttpStatusCode.OK, (await Post(good)).Item1);
        Assert.Single(await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/assets/hosts") ?? []);
    }

    [Fact]
    public async Task Risks_rank_a_package_whose_file_runs_in_an_exposed_workload_first_and_say_why()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        var connection = harness.Connection(await harness.CreateTokenAsync(admin, "ci", "ci"));
        await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(ScanReport("registry.local/shop/web:1",
            ("CVE-A", "pkg:npm/used@1.0.0", "high", 7.0, "1.0.1", "/app/node_modules/used/package.json"),
            ("CVE-B", "pkg:npm/unused@1.0.0", "high", 7.5, null, "/app/node_modules/unused/package.json"))), new ScanIdentity("shop/web"), default);
        await ScanUploader.UploadAsync(connection, Encoding.UTF8.GetBytes(ScanReport("registry.local/batch:1",
            ("CVE-C", "pkg:npm/other@1.0.0", "critical", 9.0, "2.0.0", "/srv/node_modules/other/package.json"))), new ScanIdentity("jobs/batch"), default);
        await using (var channel = new AgentChannel(harness.Connection(await harness.CreateTokenAsync(admin, "agent", "agent")), "agent"))
        {
            await channel.EnqueueAsync(Host("node-1"));
            await channel.EnqueueAsync(Container("c1", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true));
            await channel.EnqueueAsync(Event("file", T0, "c1", "shop/web", "/app/node_modules/used/lib/index.js"));
            await channel.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        var risks = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/risks")).EnumerateArray().ToList();
        Assert.Equal(["CVE-A", "CVE-B", "CVE-C"], risks.Select(r => r.GetProperty("vulnId").GetString()));
        var top = risks[0];
        Assert.True(top.GetProperty("inUse").GetBoolean());
        Assert.True(top.GetProperty("exposed").GetBoolean());
        var reasons = top.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains("/app/node_modules/used/lib/index.js", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("reachable from outside", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("upgrade used to 1.0.1", StringComparison.Ordinal));
        Assert.Equal(7.0 * 1.5 * 1.3 * 1.1, top.GetProperty("risk").GetDouble(), 2);
        Assert.Contains(risks[2].GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("not seen running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_profile_shows_what_protect_would_block_and_draws_the_service_graph()
    {
        await using var harness = await StartAsync();
        using var admin = await harness.LoginAsync();
        await using (var channel = new AgentChannel(harness.Connection(await harness.CreateTokenAsync(admin, "agent", "agent")), "agent"))
        {
            await channel.EnqueueAsync(Container("c1", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true));
            await channel.EnqueueAsync(Profile("shop/web", "monitor"));
            await channel.EnqueueAsync(Event("exec", T0, "c1", "shop/web", "/usr/bin/node"));
            await channel.EnqueueAsync(Event("exec", T0 + 5, "c1", "shop/web", "/usr/bin/curl"));
            await channel.EnqueueAsync(Event("file", T0 + 6, "c1", "shop/web", "/app/server.js"));
            await channel.EnqueueAsync(Event("file", T0 + 7, "c1", "shop/web", "/etc/ssl/certs/ca.pem"));
            await channel.EnqueueAsync(Event("file", T0 + 8, "c1", "shop/web", "/etc/shadow"));
            await channel.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        var diff = await admin.GetFromJsonAsync<JsonElement>("/api/v1/profiles/diff?workload=shop/web");
        Assert.Equal(["exec /usr/bin/curl", "file /etc/shadow"], diff.GetProperty("wouldBlock").EnumerateArray().Select(b => $"{b.GetProperty("kind").GetString()} {b.GetProperty("path").GetString()}"));
        Assert.Equal("monitor", diff.GetProperty("reportedMode").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/profiles/diff?workload=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/profiles/diff")).StatusCode);

        var graph = await admin.GetFromJsonAsync<JsonElement>("/api/v1/graph");
        Assert.Equal(["shop/web → shop/db:5432", "shop/web → 203.0.113.7:443"], graph.GetProperty("edges").EnumerateArray().Select(e => $"{e.GetProperty("from").GetString()} → {e.GetProperty("to").GetString()}:{e.GetProperty("port").GetInt32()}"));
        Assert.Contains(graph.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("id").GetString() == "203.0.113.7" && n.GetProperty("external").GetBoolean());
    }

    [Fact]
    public async Task The_agent_queue_keeps_records_while_the_server_is_away_and_delivers_them_once_when_it_is_back()
    {
        using var dir = new TempDir();
        var db = await DatabaseAsync();
        var port = RegistryServer.FreePort();
        string token, certificate;
        await using (var first = await ServerHarness.StartAsync(db, port, dir))
        {
            using var admin = await first.LoginAsync();
            token = await first.CreateTokenAsync(admin, "agent", "agent");
            certificate = first.CertificatePem;
        }
        // No server on the port now: records wait in the bounded queue while the channel retries.
        await using var channel = new AgentChannel(new ServerConnection(new Uri($"https://127.0.0.1:{port}"), token, certificate), "agent", capacity: 5, batchSize: 2);
        for (var i = 0; i < 5; i++) Assert.True(channel.TryEnqueue(Host($"node-{i}")));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (channel.Retries < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(channel.Retries >= 2);
        Assert.Equal(0, channel.Sent);
        // A full queue refuses instead of growing: only the room the sender's batch in hand (1 or 2 records) left.
        var accepted = Enumerable.Range(0, 10).Count(i => channel.TryEnqueue(Host($"late-{i}")));
        Assert.InRange(accepted, 1, 2);
        Assert.Equal(10 - accepted, channel.Refused);

        await using var second = await ServerHarness.StartAsync(db, port, dir);
        await channel.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5 + accepted, channel.Sent);
        using var admin2 = await second.LoginAsync();
        var hosts = await admin2.GetFromJsonAsync<JsonElement[]>("/api/v1/assets/hosts") ?? [];
        Assert.Equal(5 + accepted, hosts.Length);
        // Every batch came over HTTP/2, multiplexed on the agent's connection.
        var metrics = await admin2.GetStringAsync("/metrics");
        Assert.Contains("zerodrift_ingested_total{kind=\"agent_batches_http2\"}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("agent_batches_http1", metrics, StringComparison.Ordinal);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerApiTests(PostgresFixture postgres) : ServerApiTests
{
    protected override async Task<string?> DatabaseAsync() => await postgres.Server.CreateDatabaseAsync();
}
