using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using ZeroDrift.Cli.Commands;
using ZeroDrift.Remediation.Tests;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Remediation;
using ZeroDrift.Server.Tests.Console;

namespace ZeroDrift.Server.Tests.Remediation;

/// <summary>
/// The loop closed on the server, for real: a local docker-registry, an image with a critically vulnerable package built
/// in the test, the remediation tests' signed apt repository holding the fix. A registry scan uploaded by CI fires the
/// patch-image playbook; the server runs <c>zerodrift fix … --push</c> and rescans the pushed image; the digest is
/// recorded, the numbers count one fix by ZeroDrift, and the console shows the image fixable, patched and deployed.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class PatchImageEndToEndTests
{
    [Fact]
    public async Task A_critical_finding_in_a_registry_image_is_patched_by_the_server_pushed_counted_as_a_ZeroDrift_fix_and_shown_in_the_console()
    {
        using var repo = new AptTestRepo();
        var vulnerable = repo.BuildPackage("zdtest", "1.0");
        repo.BuildPackage("zdtest-common", "1.1");
        repo.BuildPackage("zdtest", "1.1", depends: "zdtest-common (>= 1.1)");
        repo.Publish();
        using var work = new TempDir();
        VulnerableImage.Build(vulnerable).WriteOciLayout(work.Combine("image"));
        var db = VulnerableImage.Database(work);
        await using var registry = await RegistryServer.StartAsync();
        var original = $"{registry.Host}/zd/app-{Guid.NewGuid():N}"[..40] + ":1.0";
        Tools.Tool("skopeo", ["--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{work.Combine("image")}:latest", $"docker://{original}"]);

        var runner = new ServerPatchRunner(new ServerPatchConfig([repo.RepoLine], [repo.Keyring], false, db, [registry.Host], null));
        await using var harness = await ServerHarness.StartAsync(imagePatch: new ImagePatchSettings(runner, PollInterval: TimeSpan.FromSeconds(2)));
        using var admin = await harness.LoginAsync();
        using (var created = await admin.PostAsJsonAsync("/api/v1/playbooks", new { name = "patch critical images", ruleContains = "*", minSeverity = "critical", action = "patch-image" }))
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        // CI scans the registry image and uploads the report, as `zerodrift scan --server` does.
        var ciToken = await harness.CreateTokenAsync(admin, "ci", "ci");
        var ca = work.File("server.crt", harness.CertificatePem);
        var scan = Tools.ZeroDrift(new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = ciToken }, "scan", original, "--db", db, "--insecure-registry", registry.Host,
            "--server", harness.Address.ToString(), "--server-ca", ca, "--workload", "shop/app", "--stage", "registry", "--format", "json");
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains(VulnerableImage.AdvisoryId, scan.Stdout);

        // The playbook made a job; the server's patcher runs it.
        var job = await WaitForJobAsync(admin, TimeSpan.FromMinutes(4));
        Assert.True(job.GetProperty("state").GetString() == "done", job.ToString());
        var patchedImage = job.GetProperty("patchedImage").GetString()!;
        var patchedDigest = job.GetProperty("patchedDigest").GetString()!;
        var originalDigest = job.GetProperty("imageDigest").GetString()!;
        Assert.Equal("playbook:patch critical images", job.GetProperty("requestedBy").GetString());
        Assert.Equal([VulnerableImage.AdvisoryId], job.GetProperty("findings").EnumerateArray().Select(f => f.GetString()));
        Assert.StartsWith(original + "-zdpatched@sha256:", patchedImage, StringComparison.Ordinal);
        Assert.NotEqual(originalDigest, patchedDigest);
        // The registry serves the patched image under the new tag, with the recorded digest; the original tag is untouched.
        using (var inspect = JsonDocument.Parse(Tools.Tool("skopeo", ["inspect", "--tls-verify=false", $"docker://{original}-zdpatched"])))
            Assert.Equal(patchedDigest, inspect.RootElement.GetProperty("Digest").GetString());
        using (var inspect = JsonDocument.Parse(Tools.Tool("skopeo", ["inspect", "--tls-verify=false", $"docker://{original}"])))
            Assert.Equal(originalDigest, inspect.RootElement.GetProperty("Digest").GetString());

        // The rescan of the patched digest closed the critical finding: one fix by ZeroDrift, none seen elsewhere.
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(1, numbers.GetProperty("fixedCritical").GetInt64());
        Assert.Equal(1, numbers.GetProperty("fixedByZeroDrift").GetProperty("critical").GetInt64());
        Assert.Equal(0, numbers.GetProperty("fixedSeenInLaterScans").GetProperty("total").GetInt64());
        Assert.Equal(1, numbers.GetProperty("vulnerabilityResponseByZeroDrift").GetProperty("count").GetInt32());
        Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("/api/v1/risks")).EnumerateArray(), r => r.GetProperty("subject").GetString() == "shop/app");
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("zerodrift_vulnerabilities_fixed_by_source{source=\"zerodrift\",severity=\"critical\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("zerodrift_vulnerabilities_fixed_by_source{source=\"scan\",severity=\"critical\"} 0\n", metrics, StringComparison.Ordinal);

        // Not deployed until an agent reports a container running the patched digest.
        Assert.False(ImageRow(await admin.GetFromJsonAsync<JsonElement>("/api/v1/assets/images"), originalDigest).GetProperty("patchedDeployed").GetBoolean());
        var agentToken = await harness.CreateTokenAsync(admin, "node-1", "agent");
        await using (var agent = new AgentChannel(harness.Connection(agentToken), "node-1"))
        {
            await agent.EnqueueAsync(new HostRecord { Name = "node-1", Kernel = "6.1.0" });
            await agent.EnqueueAsync(new ContainerRecord
            {
                Id = "c0ffee0000000001", Host = "node-1", Workload = "shop/app", Image = original + "-zdpatched", ImageDigest = patchedDigest, State = ContainerState.Running,
                StartedAt = DateTimeOffset.UtcNow,
            });
            await agent.FlushAndStopAsync(TimeSpan.FromSeconds(30));
        }
        var row = ImageRow(await admin.GetFromJsonAsync<JsonElement>("/api/v1/assets/images"), originalDigest);
        Assert.Equal((1, patchedDigest, true), (row.GetProperty("fixableNow").GetInt32(), row.GetProperty("remediation").GetProperty("patchedDigest").GetString(), row.GetProperty("patchedDeployed").GetBoolean()));

        // The console, in Chromium: the image row says fixable now, the patched image and deployed; the dashboard splits the fixes.
        using var profile = new TempDir();
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync(profile);
        using (playwright)
        await using (browser)
        {
            var (context, page) = await ConsoleBrowser.SignedInAsync(browser, harness.Address, "admin", ServerHarness.AdminPassword);
            await page.WaitForFunctionAsync("() => document.getElementById('view').dataset.rendered === 'dashboard'");
            Assert.StartsWith("by ZeroDrift 1 / 0 / 0 · seen in later scans 0 / 0 / 0", await page.InnerTextAsync("[data-testid=fixed-detail]"), StringComparison.Ordinal);
            await page.ClickAsync("nav a[href='#assets']");
            await page.WaitForFunctionAsync("() => document.getElementById('view').dataset.rendered === 'assets'");
            var image = page.Locator($"[data-testid=images] tr[data-digest='{originalDigest}']");
            Assert.Equal("1", await image.Locator("[data-testid=fixable]").InnerTextAsync());
            Assert.Equal($"patched: {patchedImage}", await image.Locator("[data-testid=patched]").InnerTextAsync());
            Assert.Equal("yes: an agent runs the patched digest", await image.Locator("[data-testid=deployed]").InnerTextAsync());
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_patch_the_repository_cannot_vouch_for_fails_the_job_with_one_line_and_pushes_nothing()
    {
        using var repo = new AptTestRepo();
        using var stranger = new AptTestRepo();
        var vulnerable = repo.BuildPackage("zdtest", "1.0");
        repo.BuildPackage("zdtest", "1.1");
        repo.Publish();
        using var work = new TempDir();
        VulnerableImage.Build(vulnerable).WriteOciLayout(work.Combine("image"));
        var db = VulnerableImage.Database(work);
        await using var registry = await RegistryServer.StartAsync();
        var original = $"{registry.Host}/zd/app-{Guid.NewGuid():N}"[..40] + ":1.0";
        Tools.Tool("skopeo", ["--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{work.Combine("image")}:latest", $"docker://{original}"]);

        // The server trusts another key than the one the repository is signed with.
        var runner = new ServerPatchRunner(new ServerPatchConfig([repo.RepoLine], [stranger.Keyring], false, db, [registry.Host], null));
        await using var harness = await ServerHarness.StartAsync(imagePatch: new ImagePatchSettings(runner, PollInterval: TimeSpan.FromSeconds(2)));
        using var admin = await harness.LoginAsync();
        using (var created = await admin.PostAsJsonAsync("/api/v1/playbooks", new { name = "patch", ruleContains = "zdtest", minSeverity = "high", action = "patch-image" }))
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var ciToken = await harness.CreateTokenAsync(admin, "ci", "ci");
        var scan = Tools.ZeroDrift(new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = ciToken }, "scan", original, "--db", db, "--insecure-registry", registry.Host,
            "--server", harness.Address.ToString(), "--server-ca", work.File("server.crt", harness.CertificatePem), "--workload", "shop/app", "--stage", "registry");
        Assert.True(scan.ExitCode == 0, scan.Stderr);

        var job = await WaitForJobAsync(admin, TimeSpan.FromMinutes(4));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var error = job.GetProperty("error").GetString()!;
        Assert.StartsWith("zerodrift fix: ", error, StringComparison.Ordinal);
        Assert.Contains("InRelease: bad signature", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("patchedDigest").ValueKind);
        // Nothing was pushed, nothing counts as fixed, the finding is still an open risk.
        Assert.NotEqual(0, Tools.Run("skopeo", ["inspect", "--tls-verify=false", $"docker://{original}-zdpatched"], null, null).ExitCode);
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal(0, numbers.GetProperty("fixedByZeroDrift").GetProperty("total").GetInt64());
        var risk = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/risks")).EnumerateArray());
        Assert.Equal("failed", risk.GetProperty("remediation").GetProperty("state").GetString());
    }

    private static JsonElement ImageRow(JsonElement images, string digest) => images.EnumerateArray().Single(i => i.GetProperty("imageDigest").GetString() == digest);

    private static async Task<JsonElement> WaitForJobAsync(HttpClient admin, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var jobs = await admin.GetFromJsonAsync<JsonElement>("/api/v1/remediations");
            var job = Assert.Single(jobs.EnumerateArray());
            if (job.GetProperty("state").GetString() is "done" or "failed" || DateTime.UtcNow > deadline) return job;
            await Task.Delay(500);
        }
    }
}
