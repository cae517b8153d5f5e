using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ZeroDrift.Server.Client;
using static ZeroDrift.Server.Tests.Api.Fixtures;

namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// The console's charts (Chart.js) and service graph (Cytoscape.js), bundled from npm at build and served by the
/// server itself: drawn in a real headless Chromium from the data the API returned, every request to the server's
/// own origin, nothing refused by the Content-Security-Policy, and the vendor files served with their type and caching.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleChartsTests
{
    private const long Day = 86_400_000;

    [Fact]
    public async Task Dashboard_trends_are_chartjs_charts_of_the_api_numbers_and_the_service_graph_is_cytoscape_of_the_learned_flows_all_served_locally()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var admin = await harness.LoginAsync();
        var agentToken = await harness.CreateTokenAsync(admin, "node-1-agent", "agent");
        await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
        {
            await agent.EnqueueAsync(Host("node-1"));
            await agent.EnqueueAsync(Container("c0ffee01", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true));
            await agent.EnqueueAsync(Container("c0ffee02", "node-1", "shop/db", "registry.local/shop/db:1", exposed: false));
            await agent.EnqueueAsync(Container("c0ffee03", "node-1", "shop/worker", "registry.local/shop/worker:1", exposed: false));
            await agent.EnqueueAsync(Profile("shop/web", "protect"));
            await agent.EnqueueAsync(new ProfileRecord
            {
                Workload = "shop/worker", Mode = WorkloadMode.Learn,
                Profile = new ProfileModel
                {
                    Exec = ["/usr/bin/python3"],
                    Network = [new ProfileFlow("payments.internal.example", 443), new ProfileFlow("shop/db", 5432), new ProfileFlow("10.96.0.10", 53) { Protocol = "udp" }],
                },
            });
            // Alerts over five days in two ISO weeks, some blocked at the source, so every series has a shape (an alert
            // joins its workload's open incident: three workloads make three incidents, contained on three days).
            var n = 0;
            foreach (var (day, container, workload, count, blocked) in new[]
                     { (0, "c0ffee01", "shop/web", 3, 1), (1, "c0ffee02", "shop/db", 1, 1), (3, "c0ffee03", "shop/worker", 4, 2), (8, "c0ffee01", "shop/web", 2, 0), (9, "c0ffee02", "shop/db", 5, 4) })
                for (var i = 0; i < count; i++, n++)
                {
                    var at = T0 + day * Day + i * 60_000;
                    await agent.EnqueueAsync(i < blocked
                        ? Alert($"al-{n}", "drift: executable not in the image", "critical", at, container, workload, "blocked", at + 9 + i)
                        : Alert($"al-{n}", "shell in container", "high", at, container, workload));
                }
            await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        // Two scans of shop/web: the second no longer has two of the three vulnerabilities, fixed (today).
        var ci = harness.Connection(await harness.CreateTokenAsync(admin, "ci", "ci"));
        await ScanUploader.UploadAsync(ci, System.Text.Encoding.UTF8.GetBytes(ScanReport("registry.local/shop/web:1",
            ("CVE-2024-1", "pkg:npm/lodash@4.17.20", "high", 7.5, "4.17.21", "/app/node_modules/lodash/package.json"),
            ("CVE-2024-2", "pkg:npm/minimist@1.2.0", "critical", 9.8, "1.2.6", "/app/node_modules/minimist/package.json"),
            ("CVE-2024-3", "pkg:npm/qs@6.5.2", "medium", 5.3, "6.5.3", "/app/node_modules/qs/package.json"))), new ScanIdentity("shop/web"), default);
        await ScanUploader.UploadAsync(ci, System.Text.Encoding.UTF8.GetBytes(ScanReport("registry.local/shop/web:2",
            ("CVE-2024-1", "pkg:npm/lodash@4.17.20", "high", 7.5, "4.17.21", "/app/node_modules/lodash/package.json"))), new ScanIdentity("shop/web", "registry"), default);
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        var graph = await admin.GetFromJsonAsync<JsonElement>("/api/v1/graph");
        Assert.True(numbers.GetProperty("daily").GetArrayLength() >= 5);
        Assert.True(numbers.GetProperty("weekly").GetArrayLength() >= 2);

        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            // Listened for before any page script runs (Playwright's init scripts are not subject to the page's CSP).
            await context.AddInitScriptAsync("window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));");
            var page = await context.NewPageAsync();
            var requests = new ConcurrentQueue<string>();
            var responses = new ConcurrentDictionary<string, IResponse>();
            var errors = new ConcurrentQueue<string>();
            page.Request += (_, r) => requests.Enqueue(r.Url);
            page.Response += (_, r) => responses[new Uri(r.Url).AbsolutePath] = r;
            page.PageError += (_, e) => errors.Enqueue(e);
            // The console's first request asks who is signed in: its 401 before sign-in is by design. Chromium also drops
            // connections when the machine's interfaces change (podman tests on the same machine), which the console
            // rides out (reads retried, the live stream reconnected): not a script error either. Anything else is.
            page.Console += (_, m) =>
            {
                if (m.Type != "error" || m.Text.Contains("net::ERR_NETWORK_CHANGED", StringComparison.Ordinal)) return;
                if (m.Location.StartsWith(harness.Address.GetLeftPart(UriPartial.Authority) + "/api/v1/me:", StringComparison.Ordinal) && m.Text.Contains("401", StringComparison.Ordinal)) return;
                errors.Enqueue($"{m.Text} ({m.Location})");
            };
            // A wait that times out says what the page showed and any script error, not only "timeout".
            async Task WaitAsync(string condition)
            {
                try { await page.WaitForFunctionAsync(condition, null, new PageWaitForFunctionOptions { Timeout = 30_000 }); }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"{e.Message}\nwaiting for: {condition}\npage: {await page.InnerTextAsync("#view")}\nerrors: {string.Join(" | ", errors)}", e);
                }
            }

            await ConsoleBrowser.LoginAsync(page, harness.Address, "admin", ServerHarness.AdminPassword);
            await WaitAsync("() => document.getElementById('view').dataset.rendered === 'dashboard' && Chart.getChart(document.querySelector('[data-testid=chart-daily]'))");

            // The charts are Chart.js instances holding exactly the API's series (the daily one: its last 30 points).
            var daily = numbers.GetProperty("daily").EnumerateArray().TakeLast(30).ToList();
            var weekly = numbers.GetProperty("weekly").EnumerateArray().ToList();
            foreach (var (id, type, points) in new[] { ("chart-daily", "bar", daily), ("chart-weekly", "line", weekly) })
            {
                var chart = await page.EvaluateAsync<JsonElement>($$"""
                    () => {
                      const c = Chart.getChart(document.querySelector('[data-testid={{id}}]'));
                      return { type: c.config.type, labels: c.data.labels, series: Object.fromEntries(c.data.datasets.map(d => [d.key, d.data])), width: c.width, height: c.height };
                    }
                    """);
                Assert.Equal(type, chart.GetProperty("type").GetString());
                Assert.Equal(points.Select(p => p.GetProperty("period").GetString()), chart.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
                foreach (var series in new[] { "alerts", "incidents", "blocked", "fixed" })
                    Assert.Equal(points.Select(p => p.GetProperty(series).GetInt64()), chart.GetProperty("series").GetProperty(series).EnumerateArray().Select(v => v.GetInt64()));
                Assert.True(chart.GetProperty("width").GetDouble() > 300 && chart.GetProperty("height").GetDouble() > 150, $"{id} is drawn at a visible size: {chart}");
            }
            Assert.Equal(15, daily.Sum(p => p.GetProperty("alerts").GetInt64()));
            Assert.Equal(2, daily.Sum(p => p.GetProperty("fixed").GetInt64()));
            Assert.Equal(numbers.GetProperty("attacksBlocked").GetInt64(), daily.Sum(p => p.GetProperty("blocked").GetInt64()));
            Assert.True(daily.Count(p => p.GetProperty("blocked").GetInt64() > 0) >= 3, "blocked attacks on several days");
            if (Environment.GetEnvironmentVariable("ZERODRIFT_CONSOLE_SCREENSHOT") is { Length: > 0 } shot)
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });

            // A live change redraws the chart (the old instance is destroyed, the new one holds the new count).
            await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
            {
                await agent.EnqueueAsync(Alert("al-live", "shell in container", "high", T0 + 9 * Day + 3_600_000, "c0ffee01", "shop/web"));
                await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
            }
            await WaitAsync("() => Chart.getChart(document.querySelector('[data-testid=chart-daily]'))?.data.datasets[0].data.reduce((a, b) => a + b, 0) === 16");
            Assert.Equal(2, await page.EvaluateAsync<int>("() => Object.keys(Chart.instances).length"));

            // The service graph: a Cytoscape.js graph with the learned workloads, peers (addresses, DNS names) and flows.
            await page.ClickAsync("nav a[href='#profiles']");
            await WaitAsync("() => document.getElementById('view').dataset.rendered === 'profiles' && document.querySelector('[data-testid=service-graph]')?.cy");
            var drawn = await page.EvaluateAsync<JsonElement>("""
                () => {
                  const cy = document.querySelector('[data-testid=service-graph]').cy;
                  return {
                    nodes: cy.nodes().map(n => n.id()).sort(),
                    edges: cy.edges().map(e => `${e.source().id()}>${e.target().id()}:${e.data('port') ?? ''}/${e.data('protocol')}`).sort(),
                    external: cy.nodes('[?external]').map(n => n.id()).sort(),
                    canvases: document.querySelectorAll('[data-testid=service-graph] canvas').length,
                    visible: cy.nodes().every(n => { const p = n.renderedPosition(); return p.x > 0 && p.y > 0 && p.x < cy.width() && p.y < cy.height(); }),
                  };
                }
                """);
            Assert.Equal(graph.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).Order(StringComparer.Ordinal),
                drawn.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!).Order(StringComparer.Ordinal));
            Assert.Equal(graph.GetProperty("edges").EnumerateArray().Select(e => $"{e.GetProperty("from").GetString()}>{e.GetProperty("to").GetString()}:{(e.GetProperty("port").ValueKind == JsonValueKind.Number ? e.GetProperty("port").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}/{e.GetProperty("protocol").GetString()}").Order(StringComparer.Ordinal),
                drawn.GetProperty("edges").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
            Assert.Equal(5, drawn.GetProperty("edges").GetArrayLength());
            Assert.Equal(["10.96.0.10", "203.0.113.7", "payments.internal.example"], drawn.GetProperty("external").EnumerateArray().Select(n => n.GetString()!));
            Assert.True(drawn.GetProperty("canvases").GetInt32() > 0);
            Assert.True(drawn.GetProperty("visible").GetBoolean(), "every node is laid out inside the graph's box");
            Assert.Contains("payments.internal.example", await page.InnerTextAsync("[data-testid=service-flows]"), StringComparison.Ordinal);
            if (Environment.GetEnvironmentVariable("ZERODRIFT_CONSOLE_SCREENSHOT") is { Length: > 0 } profileShot)
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.ChangeExtension(profileShot, null) + "-profiles.png", FullPage = true });

            // Back to the dashboard: the graph is torn down, the charts drawn again.
            await page.ClickAsync("nav a[href='#dashboard']");
            await WaitAsync("() => document.getElementById('view').dataset.rendered === 'dashboard' && Object.keys(Chart.instances).length === 2");

            // Nothing from elsewhere, nothing refused by the CSP, no script error.
            var origin = harness.Address.GetLeftPart(UriPartial.Authority);
            Assert.NotEmpty(requests);
            Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__csp"));
            Assert.True(errors.IsEmpty, "script errors: " + string.Join(" | ", errors));
            var vendor = responses.Where(r => r.Key.StartsWith("/console/vendor/", StringComparison.Ordinal)).ToList();
            Assert.Contains(vendor, r => r.Key.StartsWith("/console/vendor/chart-4.", StringComparison.Ordinal) && r.Key.EndsWith(".js", StringComparison.Ordinal));
            Assert.Contains(vendor, r => r.Key.StartsWith("/console/vendor/cytoscape-3.", StringComparison.Ordinal) && r.Key.EndsWith(".mjs", StringComparison.Ordinal));
            foreach (var (path, response) in vendor)
            {
                Assert.Equal(200, response.Status);
                Assert.Equal("text/javascript; charset=utf-8", await response.HeaderValueAsync("content-type"));
                Assert.Equal("public, max-age=31536000, immutable", await response.HeaderValueAsync("cache-control"));
            }
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Vendor_files_and_notices_are_served_with_their_type_caching_and_etag_and_the_page_names_no_other_origin()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.Client();

        using var index = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("no-cache", index.Headers.CacheControl?.ToString());
        var csp = index.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("style-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        var html = await index.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);

        // vendor.js (generated at build from package-lock.json) names the versioned library files.
        var vendorJs = await client.GetStringAsync("/console/vendor.js");
        var files = System.Text.RegularExpressions.Regex.Matches(vendorJs, "'(/console/vendor/[^']+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, files.Count);
        foreach (var file in files)
        {
            using var response = await client.GetAsync(file);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.True(response.Headers.CacheControl is { Public: true, MaxAge.TotalDays: >= 365 }, file);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(body.Length > 100_000, $"{file}: the library itself ({body.Length} chars)");
            Assert.DoesNotContain("sourceMappingURL", body, StringComparison.Ordinal);
            // Revalidation by ETag answers 304 without the body.
            using var again = new HttpRequestMessage(HttpMethod.Get, file);
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            using var notModified = await client.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }
        Assert.Contains(files, f => f.Contains("/chart-4.", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("/cytoscape-3.", StringComparison.Ordinal));

        using var notices = await client.GetAsync("/console/third-party-notices.txt");
        Assert.Equal("text/plain", notices.Content.Headers.ContentType?.MediaType);
        var text = await notices.Content.ReadAsStringAsync();
        foreach (var expected in new[] { "chart.js 4.", "cytoscape 3.", "@kurkle/color", "Permission is hereby granted", "The Cytoscape Consortium" })
            Assert.Contains(expected, text, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/vendor/nothing-1.0.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/vendor/..%2Fapp.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/no-such.js")).StatusCode);
    }
}
