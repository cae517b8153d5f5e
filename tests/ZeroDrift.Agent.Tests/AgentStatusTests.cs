using System.Collections.Concurrent;
using System.Text.Json;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// <c>zerodrift agent status</c> says how the running agent enforces Protect — mode, why it is not the kernel, the BPF
/// filesystem and pins, what it protected and blocked — from the status file the real agent writes whenever it runs,
/// event stream or not.
/// </summary>
public sealed class AgentStatusTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];

    /// <summary>An agent with no event stream (<c>--output none</c>) and its own status file; the status it shows while running, as text and JSON.</summary>
    private (string Text, JsonElement Json, string Stderr) StatusOf(params string[] args)
    {
        var statusFile = _dir.Combine($"status-{Guid.NewGuid():N}.json");
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, ["--output", "none", "--status-file", statusFile, "--profiles", _dir.Combine("profiles.db"),
            "--alerts", "file:" + _dir.Combine("alerts.jsonl"), "--host-processes", "skip", .. args]);
        try
        {
            WaitFor(stderr, l => l.Contains($"status in {statusFile}", StringComparison.Ordinal), 5, "the start-up line naming the status file");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!File.Exists(statusFile) && DateTime.UtcNow < deadline) Thread.Sleep(100);
            var text = Run("dotnet", [Dll, "agent", "status", "--status-file", statusFile]);
            Assert.True(text.ExitCode == 0, text.Stderr);
            var json = Run("dotnet", [Dll, "agent", "status", "--status-file", statusFile, "--output", "json"]);
            Assert.True(json.ExitCode == 0, json.Stderr);
            using var doc = JsonDocument.Parse(json.Stdout);
            return (text.Stdout, doc.RootElement.GetProperty("enforcement").Clone(), string.Join('\n', stderr.Select(l => l.Line)));
        }
        finally
        {
            StopAgent(agent);
            // Stopped: the file stays, saying so, and status says no agent runs.
            var after = Run("dotnet", [Dll, "agent", "status", "--status-file", statusFile]);
            Assert.Equal(2, after.ExitCode);
            Assert.Contains("no agent is running", after.Stderr, StringComparison.Ordinal);
        }
    }

    [RootFact]
    public void User_space_enforcement_is_shown_as_best_effort_with_why_without_an_event_stream()
    {
        var (text, json, _) = StatusOf("--enforcement", "user-space");
        Assert.Contains("enforcement: user-space response, best effort: the process may run before it is killed\n", text, StringComparison.Ordinal);
        Assert.Contains("  why: asked for with --enforcement user-space\n", text, StringComparison.Ordinal);
        Assert.Contains("  BPF filesystem: not used\n", text, StringComparison.Ordinal);
        Assert.Contains("  containers protected: 0, kernel blocks: 0, user-space kills: 0\n", text, StringComparison.Ordinal);
        Assert.Equal(("user-space", "asked for with --enforcement user-space", false), (json.GetProperty("mode").GetString(), json.GetProperty("reason").GetString(), json.GetProperty("mountedBpfFs").GetBoolean()));
    }

    [RootFact]
    public void Kernel_enforcement_is_shown_with_its_pins()
    {
        var pins = $"/sys/fs/bpf/zdag-status-{_suffix}";
        try
        {
            var (text, json, _) = StatusOf("--enforcement", "kernel", "--pin-root", pins);
            Assert.Contains("enforcement: kernel (an exec outside the profile is killed before its first instruction, a connect refused)\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain("why:", text, StringComparison.Ordinal);
            Assert.Matches($@"(?m)^  pin root: {pins} \(BPF filesystem mounted (by|before) the agent\)$", text);
            Assert.Contains("  containers protected: 0, kernel blocks: 0, user-space kills: 0\n", text, StringComparison.Ordinal);
            Assert.Equal(("kernel", pins), (json.GetProperty("mode").GetString(), json.GetProperty("pinRoot").GetString()));
            Assert.False(json.TryGetProperty("reason", out _));
        }
        finally
        {
            if (Directory.Exists(pins)) Run("dotnet", [Dll, "agent", "--release-enforcement", "--pin-root", pins]);
        }
    }

    [RootFact]
    public void With_auto_the_status_says_which_enforcement_the_start_up_line_chose_and_why_it_degraded()
    {
        // Pins somewhere that is no BPF filesystem: kernel enforcement cannot load there, unless the agent mounts one of its own.
        var pins = _dir.Combine("pins");
        try
        {
            var (text, json, stderr) = StatusOf("--enforcement", "auto", "--pin-root", pins);
            if (stderr.Contains("enforcement: user-space response", StringComparison.Ordinal))
            {
                Assert.Contains("enforcement: user-space response, best effort", text, StringComparison.Ordinal);
                Assert.Matches(@"(?m)^  why: kernel enforcement could not load: .*is not on a BPF filesystem", text);
                Assert.StartsWith("kernel enforcement could not load: ", json.GetProperty("reason").GetString(), StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("enforcement: kernel", text, StringComparison.Ordinal);
                Assert.True(json.GetProperty("mountedBpfFs").GetBoolean(), "kernel enforcement under a directory that was no BPF filesystem: the agent mounted one");
            }
        }
        finally
        {
            if (Directory.Exists(pins)) Run("dotnet", [Dll, "agent", "--release-enforcement", "--pin-root", pins]);
        }
    }

    public void Dispose() => _dir.Dispose();
}
