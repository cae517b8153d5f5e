using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// <c>zerodrift up</c>, the README's first command: the whole platform on one machine on SQLite, started and
/// stopped as a user (or a service manager) would.
/// </summary>
public sealed class UpTests
{
    [Fact]
    public async Task Up_serves_the_console_with_a_printed_password_stops_on_SIGTERM_and_a_second_up_reuses_the_data()
    {
        using var dir = new TempDir();
        var data = dir.Combine("data");
        string password;
        using (var up = new UpProcess(data, RegistryServer.FreePort(), ["--no-agent"]))
        {
            up.WaitRunning();
            password = up.GeneratedPassword ?? throw new InvalidOperationException($"no generated password printed: {up.Log}");
            Assert.Contains($"console at {up.Url}/", up.Log, StringComparison.Ordinal);
            Assert.Contains($"data in {data}", up.Log, StringComparison.Ordinal);
            // The password is printed, never stored: the data directory holds only its hash.
            foreach (var file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
                Assert.DoesNotContain(password, File.ReadAllText(file), StringComparison.Ordinal);

            using var client = up.Client();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
            var page = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password = password + "x" })).StatusCode);
            var login = await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            client.DefaultRequestHeaders.Add("X-CSRF-Token", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrf").GetString());
            // Something to find again after the restart.
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/users", new { name = "auditor", password = "auditor-password-1", role = "viewer" })).StatusCode);

            Assert.Equal(0, up.Terminate());
            Assert.Contains("zerodrift: up: stopped", up.Log, StringComparison.Ordinal);
            Assert.Empty(ProcessesMentioning(data));
        }

        using (var again = new UpProcess(data, RegistryServer.FreePort(), ["--no-agent"]))
        {
            again.WaitRunning();
            Assert.Null(again.GeneratedPassword);
            Assert.Contains("log in as an existing admin", again.Log, StringComparison.Ordinal);
            using var client = again.Client();
            var login = await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var users = await client.GetFromJsonAsync<JsonElement>("/api/v1/users");
            Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "auditor");
            Assert.Equal(0, again.Terminate());
        }
        Assert.Empty(ProcessesMentioning(data));
    }

    [Fact]
    public void A_port_in_use_a_bad_listen_address_or_an_unwritable_data_directory_is_one_line_and_exit_2()
    {
        using var dir = new TempDir();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var busy = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var env = new Dictionary<string, string> { ["ZERODRIFT_ADMIN_PASSWORD"] = "" };

        var inUse = ZeroDriftRunner.Run(env, null, "up", "--data", dir.Combine("busy"), "--listen", $"127.0.0.1:{busy}", "--no-agent");
        Assert.Equal(2, inUse.ExitCode);
        Assert.Equal($"zerodrift: error: cannot listen on https://127.0.0.1:{busy}: the port is in use (another zerodrift up or server?)", inUse.Stderr.Trim());
        // Refused before anything is made, the first admin above all: a later start still generates and shows its password.
        Assert.False(Directory.Exists(dir.Combine("busy")));

        var badListen = ZeroDriftRunner.Run(env, null, "up", "--data", dir.Combine("bad"), "--listen", "ftp://127.0.0.1:1", "--no-agent");
        Assert.Equal(2, badListen.ExitCode);
        Assert.Single(badListen.Stderr.Trim().Split('\n'));
        Assert.Contains("--listen ftp://127.0.0.1:1", badListen.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("bad")));

        var hostName = ZeroDriftRunner.Run(env, null, "up", "--data", dir.Combine("bad"), "--listen", "example.com:8443", "--no-agent");
        Assert.Equal(2, hostName.ExitCode);
        Assert.Single(hostName.Stderr.Trim().Split('\n'));

        // A data directory that cannot be made: its parent is a regular file (root can write anywhere else).
        var file = dir.File("plain-file", "not a directory");
        var unwritable = ZeroDriftRunner.Run(env, null, "up", "--data", Path.Combine(file, "data"), "--listen", $"127.0.0.1:{RegistryServer.FreePort()}", "--no-agent");
        Assert.Equal(2, unwritable.ExitCode);
        Assert.Single(unwritable.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"zerodrift: error: --data {Path.Combine(file, "data")}: not a writable directory", unwritable.Stderr, StringComparison.Ordinal);

        var noOsv = ZeroDriftRunner.Run(env, null, "up", "--data", dir.Combine("osv"), "--osv", dir.Combine("missing"), "--no-agent", "--listen", $"127.0.0.1:{RegistryServer.FreePort()}");
        Assert.Equal(2, noOsv.ExitCode);
        Assert.Equal($"zerodrift: error: --osv {dir.Combine("missing")}: no such folder", noOsv.Stderr.Trim());
    }

    [Fact]
    public async Task Up_imports_the_vulnerability_database_from_an_osv_folder_once()
    {
        using var dir = new TempDir();
        var data = dir.Combine("data");
        var osv = Path.Combine(RepoPaths.SharedData, "osv");
        using (var up = new UpProcess(data, RegistryServer.FreePort(), ["--no-agent", "--osv", osv]))
        {
            up.WaitRunning();
            Assert.Contains($"importing {osv} into {Path.Combine(data, "vulnerabilities.db")}", up.Log, StringComparison.Ordinal);
            Assert.Equal(0, up.Terminate());
        }
        var info = ZeroDriftRunner.Run("db", "info", "--db", Path.Combine(data, "vulnerabilities.db"));
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("Debian", info.Stdout, StringComparison.Ordinal);

        using var again = new UpProcess(data, RegistryServer.FreePort(), ["--no-agent", "--osv", osv]);
        again.WaitRunning();
        Assert.DoesNotContain("importing", again.Log, StringComparison.Ordinal);
        Assert.Contains("already exists: --osv ignored", again.Log, StringComparison.Ordinal);
        using var client = again.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(0, again.Terminate());
    }

    [RootFact]
    public void Without_root_up_says_the_agent_needs_root_in_one_line_and_runs_the_server_alone()
    {
        using var dir = new TempDir();
        var data = dir.Combine("data");
        Directory.CreateDirectory(data);
        ZeroDriftRunner.Tool("chown", "65534:65534", data);
        ZeroDriftRunner.Tool("chmod", "755", dir.Path);
        using var up = new UpProcess(data, RegistryServer.FreePort(), prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--reset-env", "env", "DOTNET_CLI_HOME=/tmp", $"PATH={Environment.GetEnvironmentVariable("PATH")}"]);
        up.WaitRunning();
        Assert.Single(up.Log.Split('\n'), l => l.Contains("agent", StringComparison.Ordinal));
        Assert.Contains("zerodrift: up: agent: not started: the eBPF agent needs root (sudo zerodrift up); the server runs alone", up.Log, StringComparison.Ordinal);
        Assert.NotNull(up.GeneratedPassword);
        Assert.Equal(0, up.Terminate());
    }

    [RootFact]
    public async Task As_root_up_runs_the_agent_which_registers_its_host_and_detaches_all_its_programs_on_stop()
    {
        using var dir = new TempDir();
        var data = dir.Combine("data");
        // A pin root of our own: other agents on this machine use the default one.
        var pins = $"/sys/fs/bpf/zd-up-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48];
        var unique = Guid.NewGuid().ToString("N")[..12];
        var image = $"localhost/zd-up-test-{unique}:1";
        var container = $"zd-up-test-{unique}";
        dir.File("ctx/Containerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
        File.Copy("/bin/busybox", dir.Combine("ctx/busybox"));
        ZeroDriftRunner.Tool("podman", "build", "--runtime", "runc", "--quiet", "--tag", image, dir.Combine("ctx"));
        try
        {
            using var up = new UpProcess(data, RegistryServer.FreePort(), ["--pin-root", pins]);
            up.WaitRunning();
            var password = up.GeneratedPassword!;
            using var client = up.Client();
            var login = await client.PostAsJsonAsync("/api/v1/login", new { name = "admin", password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);

            // The agent's host record arrives over the agent channel, with the token up made for it.
            var hostname = Environment.MachineName;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonElement hosts;
            do
            {
                await Task.Delay(500);
                hosts = await client.GetFromJsonAsync<JsonElement>("/api/v1/assets/hosts");
            }
            while (!hosts.EnumerateArray().Any(h => h.GetProperty("name").GetString() == hostname) && DateTime.UtcNow < deadline);
            Assert.True(hosts.EnumerateArray().Any(h => h.GetProperty("name").GetString() == hostname), $"host {hostname} never registered: {hosts} {up.Log}");
            // A container started under it: the agent attributes its processes and the server lists it.
            var containerId = ZeroDriftRunner.Tool("podman", "run", "-d", "--name", container, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--network", "none", image, "/bin/busybox", "sh", "-c", "while true; do /bin/busybox sleep 1; done").Trim();
            JsonElement containers;
            do
            {
                await Task.Delay(500);
                containers = await client.GetFromJsonAsync<JsonElement>("/api/v1/assets/containers");
            }
            while (!containers.EnumerateArray().Any(c => c.GetProperty("id").GetString() == containerId) && DateTime.UtcNow < deadline.AddSeconds(60));
            Assert.True(containers.EnumerateArray().Any(c => c.GetProperty("id").GetString() == containerId && c.GetProperty("host").GetString() == hostname),
                $"container {containerId} never listed: {containers} {up.Log}");

            var tokens = await client.GetFromJsonAsync<JsonElement>("/api/v1/tokens");
            Assert.Contains(tokens.EnumerateArray(), t => t.GetProperty("name").GetString() == hostname && t.GetProperty("role").GetString() == "agent"
                && t.GetProperty("createdBy").GetString() == "zerodrift up" && t.GetProperty("revokedAt").ValueKind == JsonValueKind.Null);

            // Our programs: the ones this very process holds (others' agents load programs with the same names).
            var ours = BpfProgramIdsHeldBy(up.Pid);
            Assert.True(ours.Count >= 5, $"the up process holds {ours.Count} BPF programs: {up.Log}");
            Assert.Contains("in learn mode", up.Log, StringComparison.Ordinal);

            Assert.Equal(0, up.Terminate());
            Assert.Contains("zerodrift: agent: detached", up.Log, StringComparison.Ordinal);
            var loaded = LoadedProgramIds();
            Assert.DoesNotContain(ours, loaded.Contains);
            Assert.False(Directory.Exists(pins) && Directory.EnumerateFileSystemEntries(pins).Any(), $"{pins} still holds pins");
            Assert.Empty(ProcessesMentioning(data));

            // The agent's token lived as long as the agent.
            using var after = new UpProcess(data, RegistryServer.FreePort(), ["--no-agent"]);
            after.WaitRunning();
            using var afterClient = after.Client();
            Assert.Equal(HttpStatusCode.OK, (await afterClient.PostAsJsonAsync("/api/v1/login", new { name = "admin", password })).StatusCode);
            var revoked = await afterClient.GetFromJsonAsync<JsonElement>("/api/v1/tokens");
            Assert.All(revoked.EnumerateArray().Where(t => t.GetProperty("createdBy").GetString() == "zerodrift up"),
                t => Assert.NotEqual(JsonValueKind.Null, t.GetProperty("revokedAt").ValueKind));
            Assert.Equal(0, after.Terminate());
        }
        finally
        {
            foreach (var cleanup in new[] { new[] { "rm", "--force", "--time", "0", container }, ["rmi", "--force", image] })
            {
                try { ZeroDriftRunner.Tool("podman", cleanup); }
                catch (InvalidOperationException) { }
            }
            if (Directory.Exists(pins)) ZeroDriftRunner.Run("agent", "--release-enforcement", "--pin-root", pins);
        }
    }

    /// <summary>BPF program ids a process holds descriptors on (/proc/PID/fdinfo "prog_id:").</summary>
    private static HashSet<uint> BpfProgramIdsHeldBy(int pid)
    {
        var ids = new HashSet<uint>();
        foreach (var info in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                foreach (var line in File.ReadLines(info))
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        ids.Add(uint.Parse(line[8..].Trim(), CultureInfo.InvariantCulture));
            }
            catch (IOException) { } // a descriptor closed while we read
        }
        return ids;
    }

    private static HashSet<uint> LoadedProgramIds()
    {
        using var doc = JsonDocument.Parse(ZeroDriftRunner.Tool("bpftool", "--json", "prog", "show"));
        return [.. doc.RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetUInt32())];
    }

    /// <summary>Live processes whose command line names this data directory: none once <c>up</c> has stopped.</summary>
    private static List<int> ProcessesMentioning(string data)
    {
        var found = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ').Contains(data, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
