using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// The agent's uplink against the real <c>zerodrift server</c>: with <c>--server</c> and an agent token, the
/// container, its alerts and its profile arrive through the server's agent channel.
/// </summary>
public sealed partial class ServerUplinkTests : IDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private ServerProcess? _server;
    private string Image => $"localhost/zdag-uplink-{_suffix}:1";
    private string Name => $"zdag-uplink-{_suffix}";

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [RootFact]
    public async Task Containers_alerts_and_profiles_reach_the_server_through_the_agent_channel()
    {
        _server = ServerProcess.Start(Dll, _dir.Combine("server"));
        var url = _server.Url;
        var certificate = _server.Certificate;
        using var client = await _server.AdminAsync();
        var token = await ServerProcess.CreateTokenAsync(client, "agent-" + _suffix, "agent");

        // One container in Monitor with an empty profile: its processes are deviations, alerted.
        var root = _dir.Combine("ctx/root/bin");
        Directory.CreateDirectory(root);
        File.Copy("/bin/busybox", Path.Combine(root, "busybox"));
        File.CreateSymbolicLink(Path.Combine(root, "sh"), "busybox");
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\n");
        Run("podman", "build", "-q", "-t", Image, _dir.Combine("ctx"));

        var agentStart = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Dll, "agent", "--server", url, "--server-cert", certificate, "--mode", "monitor", "--output", "none", "--alerts", "file:" + _dir.Combine("alerts.jsonl"),
            "--profiles", _dir.Combine("profiles.db"), "--enforcement", "user-space", "--host-processes", "skip" })
            agentStart.ArgumentList.Add(a);
        agentStart.Environment["ZERODRIFT_TOKEN"] = token;
        using var agent = Process.Start(agentStart)!;
        var agentErr = new StringBuilder();
        agent.ErrorDataReceived += (_, e) => { lock (agentErr) agentErr.AppendLine(e.Data); };
        agent.BeginErrorReadLine();
        _ = agent.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!agentErr.ToString().Contains("programs attached", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !agent.HasExited) Thread.Sleep(100);
        Assert.False(agent.HasExited, agentErr.ToString());

        Run("podman", "run", "--name", Name, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sh", "-c", "/bin/busybox true; /bin/busybox true");
        var id = Run("podman", "inspect", Name, "--format", "{{.Id}}").Trim();
        Thread.Sleep(2000);

        // A mode switch made on the server reaches the agent as a set-mode command with a batch answer; the agent
        // switches the stored profile (as `zerodrift profile mode` does) and reports the command done.
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await client.GetStringAsync("/api/v1/profiles")).Contains(Name, StringComparison.Ordinal) && DateTime.UtcNow < deadline) Thread.Sleep(200);
        var switched = await client.PostAsJsonAsync("/api/v1/workloads/mode", new { workload = Name, mode = "protect" });
        Assert.True(switched.IsSuccessStatusCode, await switched.Content.ReadAsStringAsync());
        var done = false;
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done && DateTime.UtcNow < deadline)
        {
            // Records, so a batch goes out. A container without --name is of the same workload (grouped by its image,
            // whose name is the workload's), so once the switch has landed Protect kills its unlearned shell: 137.
            var trigger = Exec("podman", "run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sh", "-c", "/bin/busybox true");
            Assert.True(trigger.ExitCode is 0 or 137, $"podman run: exit {trigger.ExitCode}: {trigger.Stderr}");
            Thread.Sleep(1000);
            done = agentErr.ToString().Contains($"{Name}: protect", StringComparison.Ordinal);
        }
        Assert.True(done, agentErr.ToString());
        Assert.Contains("protect", Run("dotnet", Dll, "profile", "list", "--profiles", _dir.Combine("profiles.db")).Split('\n').Single(l => l.StartsWith(Name, StringComparison.Ordinal)));
        Kill(agent.Id, 15);
        Assert.True(agent.WaitForExit(TimeSpan.FromSeconds(60)), "the agent did not stop");
        Assert.True(agent.ExitCode == 0, agentErr.ToString());
        Assert.Contains(File.ReadAllLines(_dir.Combine("alerts.jsonl")), l => l.Contains(id, StringComparison.Ordinal));

        var containers = await client.GetStringAsync("/api/v1/assets/containers");
        Assert.Contains(id, containers);
        var profiles = await client.GetStringAsync("/api/v1/profiles");
        Assert.Contains(Name, profiles);
        var incidents = await client.GetStringAsync("/api/v1/incidents");
        Assert.Contains($"\"workload\":\"{Name}\"", incidents); // the alerts opened an incident for the workload

        // The agent registered how it enforces Protect: from user space, best effort, and why.
        var host = (await client.GetFromJsonAsync<JsonElement[]>("/api/v1/assets/hosts"))!.Single(h => h.GetProperty("agent").GetString() == "agent-" + _suffix);
        var enforcement = host.GetProperty("enforcement");
        Assert.Equal(("user-space", "asked for with --enforcement user-space"), (enforcement.GetProperty("mode").GetString(), enforcement.GetProperty("reason").GetString()));
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains($"zerodrift_agent_enforcement{{node=\"{host.GetProperty("name").GetString()}\",mode=\"user-space\"}} 1\n", metrics, StringComparison.Ordinal);
    }

    private static string Run(string file, params string[] args)
    {
        var (exitCode, stdout, stderr) = Exec(file, args);
        if (exitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with exit {exitCode}: {stderr}");
        return stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(true); throw new TimeoutException($"{file} timed out"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        _server?.Dispose();
        if (new RootFactAttribute().Skip is null)
        {
            try { Run("podman", "rm", "-f", "-t", "0", Name); } catch (InvalidOperationException) { }
            try { Run("podman", "rmi", "-f", Image); } catch (InvalidOperationException) { }
        }
        _dir.Dispose();
    }
}
