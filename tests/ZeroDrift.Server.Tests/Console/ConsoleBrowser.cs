using Microsoft.Playwright;

namespace ZeroDrift.Server.Tests.Console;

/// <summary>
/// Debian's /usr/bin/chromium driven by Playwright's bundled driver (offline), and the console's sign-in. Shared as
/// source with ZeroDrift.Agent.Tests (linked there), so only the projects that drive a browser carry Playwright.
/// </summary>
internal static class ConsoleBrowser
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<(IPlaywright, IBrowser)> LaunchAsync(TempDir profile)
    {
        Assert.True(File.Exists(Chromium), "Chromium is not installed (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        // Playwright's own flags plus ours; a fresh profile per test (--user-data-dir goes through launchPersistentContext, so it is the profile dir here).
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            Env = new Dictionary<string, string> { ["HOME"] = profile.Path, ["XDG_CONFIG_HOME"] = profile.Combine("config"), ["XDG_CACHE_HOME"] = profile.Combine("cache") },
        });
        return (playwright, browser);
    }

    /// <summary>A fresh browser context (the server's certificate is self-signed) with a page signed in as <paramref name="name"/>.</summary>
    public static async Task<(IBrowserContext Context, IPage Page)> SignedInAsync(IBrowser browser, Uri address, string name, string password)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        await LoginAsync(page, address, name, password);
        return (context, page);
    }

    public static async Task LoginAsync(IPage page, Uri address, string name, string password)
    {
        // Chromium drops connections when the machine's interfaces change (podman tests on the same machine create and
        // delete them): a load aborted with ERR_NETWORK_CHANGED or sent to Chromium's error page, or a sign-in whose
        // request was cut ("Failed to fetch"), is tried again, a few times at most. Any other outcome is the test's.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.GotoAsync(address.ToString());
                // Signed in already (an earlier attempt's session) or the sign-in form.
                await page.WaitForSelectorAsync("[data-testid=attacks-blocked], form#login:not([hidden])");
                if (await page.QuerySelectorAsync("[data-testid=attacks-blocked]") is not null) return;
                await page.FillAsync("input[name=name]", name);
                await page.FillAsync("input[name=password]", password);
                await page.ClickAsync("form#login button[type=submit]");
                var outcome = await page.WaitForFunctionAsync("""
                    () => document.querySelector('[data-testid=attacks-blocked]') ? 'signed in'
                      : document.getElementById('login-error')?.textContent || document.querySelector('#view > p.error')?.textContent || null
                    """, null, new PageWaitForFunctionOptions { Timeout = 30_000 });
                var text = await outcome.JsonValueAsync<string>();
                if (text == "signed in") return;
                if (attempt < 4 && text.Contains("Failed to fetch", StringComparison.Ordinal)) { await Task.Delay(300 * attempt); continue; }
                throw new InvalidOperationException($"sign-in as {name} failed: {text}");
            }
            catch (PlaywrightException e) when (attempt < 4 && (e.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) || e.Message.Contains("chrome-error://", StringComparison.Ordinal)))
            {
                await Task.Delay(300 * attempt);
            }
        }
    }
}
