using System.Collections.Concurrent;
using System.Text.Json;
using ZeroDrift.TestSupport;
using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Falco's container rules under the real agent and real podman containers: "Launch Privileged Container" fires for the
/// container started with --privileged only, and "Launch Sensitive Mount Container" only for the one that mounts the
/// host's /proc, from what podman's own records say about each container.
/// </summary>
public sealed class FalcoContainerRulesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _containers = [];
    private string Image => $"localhost/zd-falco-ct-{_suffix}:1";

    [RootFact]
    public void Privileged_and_sensitive_mount_rules_fire_for_the_containers_that_are_and_for_no_other()
    {
        var root = _dir.Combine("ctx/root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "sleep" }) File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\n");
        Podman("build", "--runtime", "runc", "--quiet", "--tag", Image, _dir.Combine("ctx"));

        var falco = Path.Combine(RepoPaths.SharedData, "rules", "falco");
        var alertsFile = _dir.Combine("alerts.jsonl");
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, "--output", "none", "--no-default-rules", "--mode", "monitor", "--auto-advance", "none",
            "--alerts", "file:" + alertsFile, "--profiles", _dir.Combine("p.db"), "--enforcement", "user-space", "--host-processes", "skip",
            "--rules", Path.Combine(falco, "falco_rules.yaml"), "--rules", Path.Combine(falco, "falco-incubating_rules.yaml"),
            "--rules", Path.Combine(falco, "falco-sandbox_rules.yaml"));
        // Each container sleeps its own time: Falco's outputs name the command line, not the container.
        string Run(string seconds, params string[] options)
        {
            var id = Podman(["run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", .. options, Image, "/bin/sleep", seconds]).Trim();
            _containers.Add(id);
            return "sleep " + seconds; // proc.cmdline: the name, then the arguments
        }
        string privileged, mounted, plain;
        try
        {
            // Odd durations: other tests' containers may run on this machine meanwhile, under this agent too.
            privileged = Run("31", "--privileged");
            mounted = Run("32", "-v", "/proc:/hostproc:ro");
            plain = Run("33");
            Thread.Sleep(2000); // the records reach the agent
        }
        finally
        {
            StopAgent(agent);
        }
        var alerts = File.Exists(alertsFile) ? File.ReadAllLines(alertsFile).Select(l => JsonDocument.Parse(l).RootElement).ToList() : [];
        static string Container(JsonElement a) => a.GetProperty("output_fields").TryGetProperty("proc.cmdline", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()! : "";
        IEnumerable<string> Fired(string rule) => alerts.Where(a => a.GetProperty("rule").GetString() == rule).Select(Container);
        var seen = string.Join('\n', alerts.Select(a => a.GetProperty("output").GetString()));
        Assert.True(Fired("Launch Privileged Container").Distinct().SequenceEqual([privileged]), seen);
        Assert.True(Fired("Launch Sensitive Mount Container").Distinct().SequenceEqual([mounted]), seen);
        Assert.DoesNotContain(plain, Fired("Launch Privileged Container").Concat(Fired("Launch Sensitive Mount Container")));
        var mount = alerts.First(a => a.GetProperty("rule").GetString() == "Launch Sensitive Mount Container");
        Assert.Contains("/proc:/hostproc::false:", mount.GetProperty("output").GetString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var id in _containers) Run("podman", ["rm", "-f", "-t", "0", id]);
        Run("podman", ["rmi", "-f", Image]);
        _dir.Dispose();
    }
}
