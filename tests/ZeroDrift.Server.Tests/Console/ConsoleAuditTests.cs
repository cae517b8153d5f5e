using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Server.Tests.Api;

namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// Audit events in the console, in Chromium: the Kubernetes API server's webhook posts an EventList with an exec into a
/// pod, and the incident it raises appears live on the dashboard (no reload), listed under its namespace with the
/// audit event in its timeline.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleAuditTests
{
    private static readonly string PluginRules = Path.Combine(RepoPaths.SharedData, "rules", "falco-plugins");

    [Fact]
    public async Task An_audit_event_posted_to_the_webhook_appears_as_an_incident_with_its_timeline()
    {
        await using var harness = await ServerHarness.StartAsync(audit: AuditJudge.FromFiles([Path.Combine(PluginRules, "k8s_audit_rules.yaml")], hostname: "test-cluster"));
        using var admin = await harness.LoginAsync();
        using var apiServer = harness.TokenClient(await harness.CreateTokenAsync(admin, "cluster-prod", "audit"));

        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var (context, page) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "admin", ServerHarness.AdminPassword);
            Assert.Equal("0", await page.InnerTextAsync("[data-testid=incidents-open]"));

            var list = new JsonObject { ["kind"] = "EventList", ["apiVersion"] = "audit.k8s.io/v1", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(AuditEventTests.ExecEvent("ui-1")) };
            using (var posted = await apiServer.PostAsync("/api/v1/audit-events/k8s", new StringContent(list.ToJsonString(), Encoding.UTF8, "application/json")))
                Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=incidents-open]')?.textContent === '1'", null, new PageWaitForFunctionOptions { Timeout = 15_000 });

            await page.ClickAsync("nav a[href='#incidents']");
            await page.WaitForFunctionAsync("() => document.getElementById('view').dataset.rendered === 'incidents'");
            var incidents = await page.InnerTextAsync("[data-testid=incidents]");
            Assert.Contains("Attach/Exec Pod", incidents, StringComparison.Ordinal);
            Assert.Contains("k8s/shop", incidents, StringComparison.Ordinal);
            await page.ClickAsync("[data-testid=incidents] tr:nth-child(2)");
            await page.WaitForSelectorAsync("[data-testid=timeline] li");
            var timeline = await page.InnerTextAsync("[data-testid=timeline]");
            Assert.Contains("from Kubernetes audit event ui-1 (create /api/v1/namespaces/shop/pods/web-0/exec", timeline, StringComparison.Ordinal);
            await context.CloseAsync();
        }
    }
}
