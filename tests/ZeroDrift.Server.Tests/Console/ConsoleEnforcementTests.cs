using Microsoft.Playwright;
using ZeroDrift.Server.Client;
using static ZeroDrift.Server.Tests.Api.Fixtures;

namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// Degraded enforcement in the console, in Chromium: a node whose agent enforces Protect from user space (or not at all)
/// is named with why in a banner on the dashboard and the workload pages, and the banner goes, live, once every node
/// enforces in the kernel.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleEnforcementTests
{
    private const string Banner = "[data-testid=enforcement-banner]";
    private const string Why = "kernel enforcement could not load: /sys/fs/bpf/zerodrift is not on a BPF filesystem";

    [Fact]
    public async Task A_degraded_node_is_named_with_why_on_the_dashboard_and_workload_pages_until_it_enforces_in_the_kernel()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var admin = await harness.LoginAsync();
        var agentToken = await harness.CreateTokenAsync(admin, "agents", "agent");
        async Task SendAsync(params AgentRecord[] records)
        {
            await using var agent = new AgentChannel(harness.Connection(agentToken), "agents");
            foreach (var record in records) await agent.EnqueueAsync(record);
            await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        await SendAsync(Host("node-1", UserSpace(Why)), Host("node-2", Kernel()),
            Container("c0ffee01", "node-1", "shop/web", "registry.local/shop/web:1", exposed: true), Profile("shop/web", "protect"));

        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var (context, page) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "admin", ServerHarness.AdminPassword);
            async Task<string> BannerOnAsync(string view)
            {
                await page.ClickAsync($"nav a[href='#{view}']");
                await page.WaitForFunctionAsync($"() => document.getElementById('view').dataset.rendered === '{view}'");
                return await page.InnerTextAsync(Banner);
            }

            foreach (var view in new[] { "dashboard", "assets", "profiles" })
            {
                var banner = await BannerOnAsync(view);
                Assert.Contains("Protect is not enforced in the kernel on 1 node", banner, StringComparison.Ordinal);
                Assert.Contains("node-1: user-space response: best effort — the process may run before it is killed", banner, StringComparison.Ordinal);
                Assert.Contains(Why, banner, StringComparison.Ordinal);
                Assert.DoesNotContain("node-2", banner, StringComparison.Ordinal);
                Assert.Equal("alert", await page.GetAttributeAsync(Banner, "role"));
            }
            // The hosts table says it per node too.
            await page.ClickAsync("nav a[href='#assets']");
            await page.WaitForFunctionAsync("() => document.getElementById('view').dataset.rendered === 'assets'");
            var hosts = await page.InnerTextAsync("[data-testid=hosts]");
            Assert.Contains("best effort", hosts.Split('\n').Single(l => l.StartsWith("node-1", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains("kernel", hosts.Split('\n').Single(l => l.StartsWith("node-2", StringComparison.Ordinal)), StringComparison.Ordinal);

            // node-1's agent comes back with kernel enforcement: the page drops the banner on the live change, no reload.
            await page.ClickAsync("nav a[href='#dashboard']");
            await page.WaitForSelectorAsync(Banner);
            await SendAsync(Host("node-1", Kernel()));
            await page.WaitForSelectorAsync(Banner, new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached, Timeout = 15_000 });
            foreach (var view in new[] { "assets", "profiles", "dashboard" })
            {
                await page.ClickAsync($"nav a[href='#{view}']");
                await page.WaitForFunctionAsync($"() => document.getElementById('view').dataset.rendered === '{view}'");
                Assert.Null(await page.QuerySelectorAsync(Banner));
            }
            await context.CloseAsync();
        }
    }
}
