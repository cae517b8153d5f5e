// Server load benchmark (docs/benchmarks.md): ingestion throughput and API latency on SQLite and PostgreSQL,
// each figure next to a reference measured in the same run:
//   ingestion  — the engine's own fastest insert of the same rows (SQLite prepared INSERT in one transaction,
//                PostgreSQL binary COPY) into a bare table: what ZeroDrift's pipeline adds on top of the engine;
//   latency    — GET /healthz on the same server: what a dashboard query costs over an empty request.
// Usage: dotnet run -c Release --project bench/ZeroDrift.ServerBench -- [sqlite|postgres|both] [EVENTS=200000] [STORED=1000000]
using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Storage;
using ZeroDrift.TestSupport;

var engines = args.Length > 0 ? args[0] : "both";
var events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
var stored = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
const string Password = "benchmark-admin-password";
const long T0 = 1_780_000_000_000;

// Warm the JIT on the parser first, so the engine measured first is not the one that pays for tiering up
// (without this, the first engine's parse line read 150k events/s and the second's 1.7M in the same run).
var warm = AgentRecordCodec.ToNdjson([.. Enumerable.Range(0, 5_000).Select(i => ToRecord(Event(i)))]);
for (var w = 0; w < 60; w++) await ZeroDrift.Server.Ingestion.AgentBatchParser.ParseAsync(new MemoryStream(warm), T0, default);

PostgresServer? postgres = engines is "postgres" or "both" ? await PostgresServer.StartAsync() : null;
try
{
    foreach (var engine in engines == "both" ? new[] { "sqlite", "postgres" } : [engines])
    {
        using var dir = new TempDir();
        var db = engine == "sqlite" ? dir.Combine("bench.db") : await postgres!.CreateDatabaseAsync();
        Console.WriteLine($"== {engine}: {events:N0} events ingested, dashboard over {stored:N0} stored events");

        var rows = Enumerable.Range(0, events).Select(Event).ToList();
        var reference = await RawInsertAsync(engine, db, rows);
        Console.WriteLine($"reference  raw engine insert            {events / reference.TotalSeconds,12:N0} events/s");

        await using (var store = StoreFactory.Open(db))
        {
            await store.MigrateAsync(default);
            var sw = Stopwatch.StartNew();
            var batch = 0;
            foreach (var chunk in rows.Chunk(5_000))
                await store.IngestAgentBatchAsync("bench", $"s{batch++}", new AgentBatch([], [], chunk, [], []), T0, default);
            var storeRate = events / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"store      IngestAgentBatchAsync        {storeRate,12:N0} events/s   ({storeRate / (events / reference.TotalSeconds):P0} of raw)");
        }

        // The server's CPU side alone: parsing the NDJSON the agents send (no TLS, no store).
        var ndjson = AgentRecordCodec.ToNdjson([.. rows.Take(5_000).Select(ToRecord)]);
        var parse = Stopwatch.StartNew();
        for (var k = 0; k < events / 5_000; k++) await ZeroDrift.Server.Ingestion.AgentBatchParser.ParseAsync(new MemoryStream(ndjson), T0, default);
        var parseRate = events / parse.Elapsed.TotalSeconds;
        Console.WriteLine($"parse      AgentBatchParser (1 thread)  {parseRate,12:N0} events/s");

        await using var server = await ZeroDriftServer.StartAsync(new ServerOptions(Listen: "https://127.0.0.1:0", Db: db, DataDirectory: dir.Path, AdminPassword: Password), default);
        var certificate = await File.ReadAllTextAsync(Path.Combine(dir.Path, "tls", "server.crt"));
        using var admin = Client(server.Addresses[0], certificate);
        var login = await (await admin.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
        admin.DefaultRequestHeaders.Add("X-CSRF-Token", login.GetProperty("csrf").GetString());
        var agents = new List<AgentChannel>();
        for (var i = 0; i < 4; i++)
        {
            var token = (await (await admin.PostAsJsonAsync("/api/v1/tokens", new { name = $"agent-{i}", role = "agent" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
            agents.Add(new AgentChannel(new ServerConnection(server.Addresses[0], token, certificate), $"agent-{i}", capacity: events, batchSize: 5_000));
        }
        var records = rows.Select(ToRecord).ToList();
        var http = Stopwatch.StartNew();
        await Task.WhenAll(agents.Select((a, i) => Task.Run(async () =>
        {
            for (var j = i; j < records.Count; j += agents.Count) await a.EnqueueAsync(records[j]);
            await a.FlushAndStopAsync(TimeSpan.FromMinutes(10));
        })));
        var httpRate = events / http.Elapsed.TotalSeconds;
        Console.WriteLine($"HTTPS      4 agents → /agent/batches    {httpRate,12:N0} events/s   ({httpRate / (events / reference.TotalSeconds):P0} of raw)");
        foreach (var a in agents) await a.DisposeAsync();

        // Fill to the stored volume, with alerts, incidents and open vulnerabilities for the dashboard to compute over.
        var have = 2L * events;
        var fill = 0;
        while (have < stored)
        {
            var n = (int)Math.Min(20_000, stored - have);
            var alerts = Enumerable.Range(0, 20).Select(k => new AlertRow($"f{fill}-{k}", k % 3 == 0 ? "drift: new executable" : "shell in container", k % 2 == 0 ? "high" : "critical",
                T0 + fill * 1000L + k, T0 + fill * 1000L + k + 30, $"c{k}", $"ns/w{k % 50}", k % 4 == 0 ? "blocked" : "none", k % 4 == 0 ? T0 + fill * 1000L + k + 15 : null, "{}")).ToList();
            await server.Store.IngestAgentBatchAsync("filler", $"f{fill++}", new AgentBatch([], [], [.. Enumerable.Range(0, n).Select(i => Event((int)(have + i)))], alerts, []), T0 + fill, default);
            have += n;
        }
        for (var s = 0; s < 20; s++)
            await server.Store.IngestScanAsync(new ScanIngest($"ns/w{s}", "build", $"img{s}", "image", "", "bench", 100, T0 + s,
                "bench", [.. Enumerable.Range(0, 50).Select(v => new FindingRow($"CVE-{s}-{v}", $"pkg:npm/p{v}@1.0.0", $"p{v}", "1.0.0", v % 3 == 0 ? "critical" : "high", 7.5, "1.0.1", [$"/app/node_modules/p{v}/package.json"], "s"))]), default);

        foreach (var path in new[] { "/healthz", "/api/v1/numbers", "/api/v1/incidents", "/api/v1/risks", "/api/v1/assets/workloads", "/metrics" })
        {
            for (var w = 0; w < 5; w++) (await admin.GetAsync(path)).EnsureSuccessStatusCode();
            var times = new List<double>();
            for (var r = 0; r < 100; r++)
            {
                var sw = Stopwatch.StartNew();
                using var response = await admin.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"latency    GET {path,-26} p50 {times[49],7:F1} ms   p95 {times[94],7:F1} ms");
        }
        await ConsoleLoadAsync(server.Addresses[0]);
    }
}
finally
{
    if (postgres is not null) await postgres.DisposeAsync();
}

static EventRow Event(int i) => new(i % 3 == 0 ? "exec" : "file", T0 + i, $"c{i % 200}", $"ns/w{i % 50}", $"/usr/lib/x86_64-linux-gnu/lib{i % 1000}.so", "node",
    $$"""{"pid":{{1000 + i % 5000}},"ppid":1,"uid":1000,"comm":"node","args":["node","server.js"],"flags":"O_RDONLY"}""");

// What the agent sends for an event (ServerRecords.Event): the typed record, through the channel's own serializer.
static AgentRecord ToRecord(EventRow e) => new EventRecord
{
    Kind = e.Kind, Time = DateTimeOffset.FromUnixTimeMilliseconds(e.At), ContainerId = e.ContainerId, Workload = e.Workload, Path = e.Path, Process = e.Process, Pid = 1234,
};

static HttpClient Client(Uri address, string pem)
{
    using var pinned = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
    var thumbprint = pinned.GetCertHashString();
    var handler = new SocketsHttpHandler { UseCookies = true };
    handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == thumbprint;
    return new HttpClient(handler) { BaseAddress = address };
}

static async Task<TimeSpan> RawInsertAsync(string engine, string db, List<EventRow> rows)
{
    const string Ddl = "CREATE TABLE raw_events (agent TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, received_at BIGINT NOT NULL, container_id TEXT NOT NULL, workload TEXT NOT NULL, path TEXT NOT NULL, process TEXT NOT NULL, detail TEXT NOT NULL)";
    var sw = new Stopwatch();
    if (engine == "sqlite")
    {
        await using var c = new SqliteConnection($"Data Source={db}");
        await c.OpenAsync();
        await using (var pragma = c.CreateCommand()) { pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; " + Ddl; await pragma.ExecuteNonQueryAsync(); }
        sw.Start();
        foreach (var chunk in rows.Chunk(5_000))
        {
            await using var t = await c.BeginTransactionAsync();
            await using var cmd = c.CreateCommand();
            cmd.Transaction = (SqliteTransaction)t;
            cmd.CommandText = "INSERT INTO raw_events VALUES ('bench', $k, $at, 0, $c, $w, $p, $pr, $d)";
            var ps = new[] { "$k", "$at", "$c", "$w", "$p", "$pr", "$d" }.Select(n => cmd.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
            foreach (var e in chunk)
            {
                ps[0].Value = e.Kind; ps[1].Value = e.At; ps[2].Value = e.ContainerId; ps[3].Value = e.Workload; ps[4].Value = e.Path; ps[5].Value = e.Process; ps[6].Value = e.Detail;
                await cmd.ExecuteNonQueryAsync();
            }
            await t.CommitAsync();
        }
        return sw.Elapsed;
    }
    await using var source = NpgsqlDataSource.Create(db);
    await using var connection = await source.OpenConnectionAsync();
    await using (var ddl = new NpgsqlCommand(Ddl, connection)) await ddl.ExecuteNonQueryAsync();
    sw.Start();
    foreach (var chunk in rows.Chunk(5_000))
    {
        await using var t = await connection.BeginTransactionAsync();
        await using (var w = await connection.BeginBinaryImportAsync("COPY raw_events FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var e in chunk)
            {
                await w.StartRowAsync();
                await w.WriteAsync("bench", NpgsqlDbType.Text); await w.WriteAsync(e.Kind, NpgsqlDbType.Text); await w.WriteAsync(e.At, NpgsqlDbType.Bigint); await w.WriteAsync(0L, NpgsqlDbType.Bigint);
                await w.WriteAsync(e.ContainerId, NpgsqlDbType.Text); await w.WriteAsync(e.Workload, NpgsqlDbType.Text); await w.WriteAsync(e.Path, NpgsqlDbType.Text);
                await w.WriteAsync(e.Process, NpgsqlDbType.Text); await w.WriteAsync(e.Detail, NpgsqlDbType.Text);
            }
            await w.CompleteAsync();
        }
        await t.CommitAsync();
    }
    return sw.Elapsed;
}

static async Task ConsoleLoadAsync(Uri address)
{
    if (!File.Exists("/usr/bin/chromium")) { Console.WriteLine("console    (no /usr/bin/chromium: skipped)"); return; }
    using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
    var page = await context.NewPageAsync();
    await page.GotoAsync(address.ToString());
    await page.FillAsync("input[name=name]", "admin");
    await page.FillAsync("input[name=password]", Password);
    await page.ClickAsync("form#login button[type=submit]");
    await page.WaitForSelectorAsync("[data-testid=attacks-blocked]");
    // Loaded = the numbers on screen and the trend charts drawn: a chart element is there, and every chart canvas
    // holds its Chart.js instance (the console's SVG charts before Chart.js had no canvas: the same wait measures both).
    const string Loaded = "() => document.querySelector('[data-testid=attacks-blocked]') && document.querySelector('[data-testid^=chart-]') && [...document.querySelectorAll('canvas[data-testid^=chart-]')].every(c => window.Chart?.getChart(c))";
    var times = new List<double>();
    for (var i = 0; i < 10; i++)
    {
        var sw = Stopwatch.StartNew();
        await page.GotoAsync(address + "#dashboard");
        await page.ReloadAsync();
        await page.WaitForFunctionAsync(Loaded, null, new() { PollingInterval = 5 });
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"console    dashboard reload, signed in   p50 {times[4],7:F1} ms   max {times[^1],7:F1} ms   (Chromium, warm cache, to numbers and charts on screen)");

    // First load: a new browser context each time (empty cache), signed in with the session's cookie, from
    // navigation to numbers and charts on screen: every console and library file is downloaded.
    var cookies = await context.CookiesAsync();
    var first = new List<double>();
    for (var i = 0; i < 10; i++)
    {
        var fresh = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        await fresh.AddCookiesAsync(cookies.Select(c => new Microsoft.Playwright.Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Secure = c.Secure, HttpOnly = c.HttpOnly, SameSite = c.SameSite, Expires = c.Expires }));
        var p = await fresh.NewPageAsync();
        var sw = Stopwatch.StartNew();
        await p.GotoAsync(address + "#dashboard");
        await p.WaitForFunctionAsync(Loaded, null, new() { PollingInterval = 5 });
        first.Add(sw.Elapsed.TotalMilliseconds);
        await fresh.CloseAsync();
    }
    first.Sort();
    Console.WriteLine($"console    dashboard first load, cold    p50 {first[4],7:F1} ms   max {first[^1],7:F1} ms   (Chromium, empty cache, to numbers and charts on screen)");
}
