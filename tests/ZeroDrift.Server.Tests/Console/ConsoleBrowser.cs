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

    public static async Task LoginAsync(IPage page, Uri address, string name, string password)
    {
        // Chromium aborts loads when the machine's interfaces change (podman tests create and delete them), as
        // ERR_NETWORK_CHANGED or as a navigation to its error page: load again, a few times at most.
        for (var attempt = 1; ; attempt++)
        {
            try { await page.GotoAsync(address.ToString()); break; }
            catch (PlaywrightException e) when (attempt < 4 && (e.Message.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) || e.Message.Contains("chrome-error://", StringComparison.Ordinal)))
            {
                await Task.Delay(300 * attempt);
            }
        }
        await page.FillAsync("input[name=name]", name);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("form#login button[type=submit]");
        await page.WaitForSelectorAsync("[data-testid=attacks-blocked]");
    }
}
