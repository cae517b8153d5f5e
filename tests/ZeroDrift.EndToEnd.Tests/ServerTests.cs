using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift server</c> as a process, and <c>zerodrift scan … --server</c> uploading to it over HTTPS with the
/// server's own certificate pinned: the server holds what the scan found.
/// </summary>
public sealed class ServerTests(OsvDatabaseFixture osv) : IClassFixture<OsvDatabaseFixture>
{

    [Fact]
    public async Task A_scan_uploaded_with_server_lands_in_the_servers_ranked_risks()
    {
        using var server = new ServerProcess();
        using var client = server.Client();
        Assert.Contains("listening on", server.Log, StringComparison.Ordinal);
        var login = await (await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = ServerProcess.Password })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", login.GetProperty("csrf").GetString());
        var created = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = "ci", role = "ci" })).Content.ReadFromJsonAsync<JsonElement>();
        var token = created.GetProperty("token").GetString()!;

        using var dir = new TempDir();
        var image = new TestImage()
            .Layer(new TestLayer()
                .File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nID=debian\nVERSION_ID=\"10\"\n")
                .File("var/lib/dpkg/status", "Package: libxml2\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.9.4+dfsg1-7+deb10u9\n"))
            .WriteOciLayout(dir.Combine("img"));
        var env = new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = token };
        var scan = ZeroDriftRunner.Run(env, null, "scan", "oci-dir:" + image, "--db", osv.Db, "--format", "json", "--server", server.Url, "--server-ca", server.Certificate, "--workload", "shop/web");
        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.Contains("uploaded scan", scan.Stderr, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(scan.Stdout);
        var found = report.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToHashSet();
        Assert.NotEmpty(found);

        var risks = await client.GetFromJsonAsync<JsonElement>("/api/v1/risks?limit=5000");
        Assert.Equal(found, risks.EnumerateArray().Select(r => r.GetProperty("vulnId").GetString()).ToHashSet());
        Assert.All(risks.EnumerateArray(), r => Assert.Equal("shop/web", r.GetProperty("subject").GetString()));

        // A wrong token: one line, exit 2, and the report was still written.
        var refused = ZeroDriftRunner.Run(new Dictionary<string, string> { ["ZERODRIFT_TOKEN"] = "zdt_wrong" }, null, "scan", "oci-dir:" + image, "--db", osv.Db, "--format", "json",
            "--server", server.Url, "--server-ca", server.Certificate);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("401", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.NotEmpty(refused.Stdout);
    }

    [Fact]
    public void The_server_refuses_to_start_without_an_admin_and_says_how()
    {
        using var dir = new TempDir();
        var r = ZeroDriftRunner.Run(new Dictionary<string, string> { ["ZERODRIFT_ADMIN_PASSWORD"] = "" }, null, "server", "--listen", $"https://127.0.0.1:{RegistryServer.FreePort()}", "--data-dir", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("zerodrift: error: no admin exists yet: set ZERODRIFT_ADMIN_PASSWORD (at least 12 characters) for the first start", r.Stderr.Trim());
        var bad = ZeroDriftRunner.Run("server", "--listen", "ftp://x", "--data-dir", dir.Path);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--listen ftp://x", bad.Stderr, StringComparison.Ordinal);
    }
}
