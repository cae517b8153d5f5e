using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using ZeroDrift.Server.Client;
using static ZeroDrift.Server.Tests.Api.Fixtures;

namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// The console in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright's bundled driver, offline):
/// log in, watch the numbers change live when an agent reports, switch a workload to Protect, and a viewer refused.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleBrowserTests
{
    [Fact]
    public async Task Admin_sees_numbers_change_live_switches_a_workload_to_protect_and_a_viewer_is_refused()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var admin = await harness.LoginAsync();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/users", new { name = "vera", password = "viewer-password-1", role = "viewer" })).StatusCode);
        var agentToken = await harness.CreateTokenAsync(admin, "node-1-agent", "agent");
        await using (var setup = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
        {
            await setup.EnqueueAsync(Host("node-1"));
            await setup.EnqueueAsync(Container("c0ffee01", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true));
            await setup.EnqueueAsync(Profile("shop/web", "monitor"));
            await setup.EnqueueAsync(Event("exec", T0 - 100, "c0ffee01", "shop/web", "/usr/bin/node"));
            await setup.EnqueueAsync(Event("exec", T0, "c0ffee01", "shop/web", "/tmp/x"));
            await setup.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }

        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var (context, page) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "admin", ServerHarness.AdminPassword);
            Assert.Equal("0", await page.InnerTextAsync("[data-testid=attacks-blocked]"));
            Assert.Equal("0", await page.InnerTextAsync("[data-testid=incidents-open]"));

            // An agent blocks a drift at the source; the dashboard updates through Server-Sent Events, no reload.
            await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
            {
                await agent.EnqueueAsync(Alert("al-1", "drift: executable not in the image", "critical", T0, "c0ffee01", "shop/web", "blocked", T0 + 12));
                await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
            }
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=attacks-blocked]')?.textContent === '1'", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            Assert.Equal("1", await page.InnerTextAsync("[data-testid=incidents-open]"));
            Assert.Contains("12 ms", await page.InnerTextAsync("[data-testid=block]"), StringComparison.Ordinal);

            // The incident and its timeline.
            await page.ClickAsync("nav a[href='#incidents']");
            await page.ClickAsync("[data-testid=incidents] tr:nth-child(2)");
            await page.WaitForSelectorAsync("[data-testid=timeline] li");
            var timeline = await page.InnerTextAsync("[data-testid=timeline]");
            Assert.Contains("the agent blocked it at the source", timeline, StringComparison.Ordinal);
            Assert.Equal("contained", await page.InnerTextAsync("[data-testid=incident-state]"));
            // A live change while it is open re-renders the view: the incident stays open, its timeline grown.
            await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
            {
                await agent.EnqueueAsync(Alert("al-2", "shell spawned by the service", "high", T0 + 1000, "c0ffee01", "shop/web"));
                await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
            }
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=timeline]')?.textContent.includes('shell spawned by the service')",
                null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            Assert.Contains("the agent blocked it at the source", await page.InnerTextAsync("[data-testid=timeline]"), StringComparison.Ordinal);
            // A rule's alert for a shell the workload's profile learned is listed apart from new behaviour.
            await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1-agent"))
            {
                await agent.EnqueueAsync(Alert("al-3", "ZeroDrift Shell Spawned in Container", "medium", T0 + 2000, "c0ffee01", "shop/web") with { Learned = true });
                await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
            }
            await page.WaitForSelectorAsync("[data-testid=learned-alerts]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = 15_000 });
            var learned = await page.TextContentAsync("[data-testid=learned-alerts]");
            Assert.Contains("1 alert(s) for learned behaviour", learned, StringComparison.Ordinal);
            Assert.Contains("ZeroDrift Shell Spawned in Container", learned, StringComparison.Ordinal);
            Assert.DoesNotContain("ZeroDrift Shell Spawned in Container", await page.InnerTextAsync("[data-testid=timeline]"), StringComparison.Ordinal);

            // Switch the workload to Protect: stored, audited, and sent to the agent that runs it.
            await page.ClickAsync("nav a[href='#assets']");
            await page.SelectOptionAsync("[data-testid='mode-shop/web']", "protect");
            await page.WaitForSelectorAsync("#toast.show");
            var workloads = await admin.GetFromJsonAsync<JsonElement>("/api/v1/assets/workloads");
            Assert.Equal("protect", workloads.EnumerateArray().Single().GetProperty("mode").GetString());
            using var agentClient = harness.TokenClient(agentToken);
            var commands = await agentClient.GetFromJsonAsync<JsonElement>("/api/v1/agent/commands");
            Assert.Contains(commands.EnumerateArray(), c => c.GetProperty("kind").GetString() == "set-mode" && c.GetProperty("payload").GetProperty("mode").GetString() == "protect");
            var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit");
            Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "workload.mode" && e.GetProperty("actor").GetString() == "admin");
            // The profile: what Protect would block, and the service graph drawn from the learned network model.
            await page.ClickAsync("nav a[href='#profiles']");
            await page.ClickAsync("[data-testid='diff-shop/web']");
            await page.WaitForSelectorAsync("[data-testid=profile-diff] table");
            Assert.Contains("/tmp/x", await page.InnerTextAsync("[data-testid=profile-diff]"), StringComparison.Ordinal);
            Assert.DoesNotContain("/usr/bin/node", await page.InnerTextAsync("[data-testid=profile-diff] table"), StringComparison.Ordinal);
            // (the graph itself, drawn by Cytoscape.js, is checked in ConsoleChartsTests, which also takes the dashboard and profiles screenshots)
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=service-graph]')?.cy?.edges().length === 2");
            // Administration: the audit log names the change, and a new token is shown once.
            await page.ClickAsync("nav a[href='#admin']");
            await page.WaitForSelectorAsync("[data-testid=audit]");
            Assert.Contains("workload.mode", await page.InnerTextAsync("[data-testid=audit]"), StringComparison.Ordinal);
            await page.FillAsync("input[placeholder^='token name']", "ci-pipeline");
            await page.SelectOptionAsync("select[name=role] >> nth=1", "ci");
            await page.ClickAsync("[data-testid=create-token]");
            await page.WaitForSelectorAsync("[data-testid=new-token] code");
            var shown = await page.InnerTextAsync("[data-testid=new-token] code");
            Assert.StartsWith("zdt_", shown, StringComparison.Ordinal);
            using (var ci = harness.TokenClient(shown))
                Assert.Equal(HttpStatusCode.BadRequest, (await ci.PostAsync("/api/v1/scans", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).StatusCode); // authenticated: refused for its body, not its token
            await context.CloseAsync();

            // A viewer sees the same data, has no controls, and the API refuses a change made by hand.
            var (viewerContext, viewerPage) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "vera", "viewer-password-1");
            Assert.Equal("1", await viewerPage.InnerTextAsync("[data-testid=attacks-blocked]"));
            await viewerPage.ClickAsync("nav a[href='#assets']");
            await viewerPage.WaitForSelectorAsync("[data-testid='mode-shop/web']");
            Assert.Equal("span", await viewerPage.EvalOnSelectorAsync<string>("[data-testid='mode-shop/web']", "e => e.tagName.toLowerCase()"));
            var status = await viewerPage.EvaluateAsync<int>("""
                async () => {
                  const me = await (await fetch('/api/v1/me')).json();
                  const r = await fetch('/api/v1/workloads/mode', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf }, body: JSON.stringify({ workload: 'shop/web', mode: 'learn' }) });
                  return r.status;
                }
                """);
            Assert.Equal(403, status);
            Assert.True(await viewerPage.IsHiddenAsync("#admin-link"));
            await viewerContext.CloseAsync();
        }
    }
    [Fact]
    public async Task Secrets_misconfigurations_and_denied_deployments_count_before_deployment_and_show_on_the_risks_page()
    {
        using var policyDir = new TempDir();
        var (admission, registry) = RestrictedShopAdmission(policyDir);
        using var registryClient = registry;
        await using var harness = await ServerHarness.StartAsync(admission: admission);
        using var admin = await harness.LoginAsync();
        var ci = harness.Connection(await harness.CreateTokenAsync(admin, "ci", "ci"));
        await ScanUploader.UploadAsync(ci, System.Text.Encoding.UTF8.GetBytes(WithContent(ScanReport("registry.local/shop/web:1"), ["vuln", "secret", "misconfig"],
            ContentFinding("secret", "github-pat", "HIGH", "/app/.env", 3, "GITHUB_TOKEN=ghp_*****"),
            ContentFinding("misconfig", "ZD-K8S-001", "HIGH", "/deploy/web.yaml", 12, "privileged: true"))), new ScanIdentity("shop/web"), default);

        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var (context, page) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "admin", ServerHarness.AdminPassword);
            Assert.Equal("2", await page.InnerTextAsync("[data-testid=risks-in-advance]"));

            // The cluster asks the hosted webhook about a privileged deployment: denied, and the dashboard counts it live.
            using (var apiServer = harness.Client())
            using (var review = new StringContent(AdmissionReview("7d0c-1", "web", "registry.local/shop/web@sha256:" + new string('a', 64), privileged: true), System.Text.Encoding.UTF8, "application/json"))
            using (var answer = await apiServer.PostAsync("/admission/validate", review))
                Assert.False((await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("response").GetProperty("allowed").GetBoolean());
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=risks-in-advance]')?.textContent === '3'", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
            Assert.Contains("1 deployments denied", await page.InnerTextAsync("[data-testid=risks-in-advance-detail]"), StringComparison.Ordinal);

            await page.ClickAsync("nav a[href='#risks']");
            await page.WaitForSelectorAsync("[data-testid=content-findings]");
            var content = await page.InnerTextAsync("[data-testid=content-findings]");
            Assert.Contains("GITHUB_TOKEN=ghp_*****", content, StringComparison.Ordinal);
            Assert.Contains("/deploy/web.yaml:12", content, StringComparison.Ordinal);
            var denied = await page.InnerTextAsync("[data-testid=admission-denied]");
            Assert.Contains("Deployment shop/web", denied, StringComparison.Ordinal);
            Assert.Contains("restricted", denied, StringComparison.Ordinal);
            if (Environment.GetEnvironmentVariable("ZERODRIFT_CONSOLE_SCREENSHOT") is { Length: > 0 } shot)
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.ChangeExtension(shot, null) + "-risks.png", FullPage = true });
            await context.CloseAsync();
        }
    }
}
