using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static ZeroDrift.Server.Tests.Api.Fixtures;

namespace ZeroDrift.Server.Tests.Api;

/// <summary>The CI path of a patch-image job, over HTTPS: a ci token claims it, reports the patched digest with its rescan, or the failure.</summary>
public sealed class RemediationApiTests
{
    private static readonly string Original = "sha256:" + new string('a', 64);
    private static readonly string Patched = "sha256:" + new string('b', 64);

    private static string RegistryReport(string digest, params (string Id, string Purl, string Severity, double? Score, string? Fix, string Path)[] findings)
    {
        var report = JsonNode.Parse(ScanReport("registry.local/shop/web:1", findings))!;
        report["target"]!["kind"] = "Registry";
        report["target"]!["manifestDigest"] = digest;
        return report.ToJsonString();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task CI_claims_a_patch_image_job_and_reports_the_patched_digest_with_its_rescan_which_counts_as_a_ZeroDrift_fix()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var admin = await harness.LoginAsync();
        using (var r = await admin.PostAsJsonAsync("/api/v1/playbooks", new { name = "patch", ruleContains = "openssl", minSeverity = "high", action = "patch-image" }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var ci = harness.TokenClient(await harness.CreateTokenAsync(admin, "ci-bot", "ci"));
        using var viewer = harness.TokenClient(await harness.CreateTokenAsync(admin, "grafana", "viewer"));

        var critical = ("CVE-2099-1", "pkg:deb/debian/openssl@3.0.1", "critical", (double?)9.8, (string?)"3.0.2", "/var/lib/dpkg/status");
        using var upload = await ci.PostAsync("/api/v1/scans?workload=shop/web&stage=registry", Json(RegistryReport(Original, critical)));
        var id = Assert.Single((await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("remediations").EnumerateArray()).GetInt64();
        // The open risk names its pending job.
        var risk = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/risks")).EnumerateArray());
        Assert.Equal((id, "pending"), (risk.GetProperty("remediation").GetProperty("id").GetInt64(), risk.GetProperty("remediation").GetProperty("state").GetString()));

        using (var r = await viewer.PostAsync("/api/v1/remediations/claim", null)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await ci.PostAsync("/api/v1/remediations/claim", null))
        {
            var job = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((id, "registry.local/shop/web:1", Original, "claimed"), (job.GetProperty("id").GetInt64(), job.GetProperty("image").GetString(), job.GetProperty("imageDigest").GetString(), job.GetProperty("state").GetString()));
        }
        using (var r = await ci.PostAsync("/api/v1/remediations/claim", null)) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);

        // Refused: a reference without a digest; a rescan of another image. The job stays claimed.
        using (var r = await ci.PostAsJsonAsync($"/api/v1/remediations/{id}/done", new { patchedImage = "registry.local/shop/web:1-zdpatched" }))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await ci.PostAsync($"/api/v1/remediations/{id}/done", Json($$"""{"patchedImage":"registry.local/shop/web:1-zdpatched@{{Patched}}","report":{{RegistryReport(Original, critical)}}}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("not of the patched image", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var other = harness.TokenClient(await harness.CreateTokenAsync(admin, "ci-other", "ci")))
        using (var r = await other.PostAsJsonAsync($"/api/v1/remediations/{id}/failed", new { error = "not mine" }))
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);

        using (var r = await ci.PostAsync($"/api/v1/remediations/{id}/done", Json($$"""{"patchedImage":"registry.local/shop/web:1-zdpatched@{{Patched}}","report":{{RegistryReport(Patched)}}}""")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var job = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("done", Patched), (job.GetProperty("state").GetString(), job.GetProperty("patchedDigest").GetString()));
        }
        var numbers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/numbers");
        Assert.Equal((1, 0), (numbers.GetProperty("fixedByZeroDrift").GetProperty("critical").GetInt64(), numbers.GetProperty("fixedSeenInLaterScans").GetProperty("total").GetInt64()));
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/risks")).EnumerateArray());

        // A dependency fix CI applied is reported with the advisories it closes.
        using (var r = await ci.PostAsJsonAsync("/api/v1/remediations/dependencies", new { workload = "shop/web", advisories = Array.Empty<string>() }))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await ci.PostAsJsonAsync("/api/v1/remediations/dependencies", new { workload = "shop/web", advisories = new[] { "CVE-2099-2" } }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        // An admin asks for a patch of a workload the server has no registry scan of: 404 saying so.
        using (var r = await admin.PostAsJsonAsync("/api/v1/remediations", new { workload = "shop/none" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Contains("no registry image scan of shop/none", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
