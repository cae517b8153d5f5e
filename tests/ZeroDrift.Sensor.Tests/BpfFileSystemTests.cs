using System.Text.Json;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// A machine with no BPF filesystem (a fresh boot: nothing mounts one at /sys/fs/bpf) gets one from the agent. The
/// case is made in a mount namespace of the test's own (<c>unshare --mount</c>, then /sys/fs/bpf unmounted there
/// alone): other engineers' agents rely on the host's, which is never unmounted. The real <c>zerodrift agent</c>
/// runs there (a multithreaded test host cannot unshare its own mount namespace).
/// </summary>
[Collection("agent")]
public sealed class BpfFileSystemTests
{
    private static readonly string[] WithoutBpfFs =
        ["unshare", "--mount", "sh", "-c", "while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf || exit 97; done; exec \"$@\"", "sh"];

    [RootFact]
    public async Task Without_a_bpf_filesystem_the_agent_mounts_one_and_blocks_in_the_kernel()
    {
        using var image = new EnforcedImage();
        using var dir = new TempDir();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var pins = $"/sys/fs/bpf/zerodrift-test-{suffix}";
        var alerts = dir.Combine("alerts.jsonl");
        var hostHadOne = BpfFileSystem.IsBpfFs("/sys/fs/bpf");
        var profiles = dir.Combine("profiles.db");
        // Learning advances to monitor only, and only this test's image is switched to protect: the agent sees every
        // container on the machine, other sessions' too, and must not protect those.
        using var agent = AgentRun.StartWrapped(WithoutBpfFs, "--mode", "learn", "--learn-quiet", "3s", "--auto-advance", "monitor",
            "--enforcement", "kernel", "--pin-root", pins, "--profiles", profiles, "--alerts", "file:" + alerts, "--host-processes", "skip");
        try
        {
            Assert.Contains("mounted a BPF filesystem at /sys/fs/bpf", agent.Stderr, StringComparison.Ordinal);
            // In the agent's mount namespace only: the host's /sys/fs/bpf is as it was, and holds none of its pins.
            Assert.Equal(hostHadOne, BpfFileSystem.IsBpfFs("/sys/fs/bpf"));
            Assert.False(Directory.Exists(pins));

            var name = image.Start($"zde-nobpffs-{suffix}", "/bin/sh", "-c", "while true; do /bin/sleep 1; done");
            WaitFor(agent, "learn -> monitor", 90, image.Name);
            var switched = AgentRun.Cli("profile", "mode", image.Name, "protect", "--profiles", profiles);
            Assert.Equal(0, switched.ExitCode);
            WaitFor(agent, "monitor -> protect", 30, image.Name);
            WaitFor(agent, "kernel enforcement for container", 30);

            Tool.Run("podman", "cp", "/bin/busybox", $"{name}:/tmp/busybox");
            var drift = await EnforcedImage.Podman(TimeSpan.FromSeconds(60), "exec", name, "/tmp/busybox", "echo", "DRIFTED");
            Assert.Equal((137, ""), (drift.Exit, drift.Stdout)); // killed at exec, before its first instruction
            // The profile's drift alert (the default rules may alert on the same exec too, without acting).
            var alert = WaitForAlert(alerts, a => a.TryGetProperty("rule", out var r) && r.GetString() == "ZeroDrift Drift: Executable Not From the Image"
                && a.GetProperty("output").GetString()!.Contains("/tmp/busybox", StringComparison.Ordinal));
            Assert.Equal("blocked kernel", $"{Field(alert, "action")} {Field(alert, "enforcement")}");
            // The protected shell goes on with what it learned.
            Thread.Sleep(1500);
            Assert.Equal("true", Tool.Run("podman", "inspect", "--format", "{{.State.Running}}", name).Trim());
        }
        finally
        {
            agent.Stop();
        }
        Assert.Equal(0, agent.ExitCode);
    }

    private static void WaitFor(AgentRun agent, string text, int seconds, string? about = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!agent.Stderr.Split('\n').Any(l => l.Contains(text, StringComparison.Ordinal) && (about is null || l.Contains(about, StringComparison.Ordinal))))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the agent did not say \"{text}\" within {seconds} s: {agent.Stderr}");
            Thread.Sleep(200);
        }
    }

    private static string? Field(JsonElement alert, string key) =>
        alert.GetProperty("zerodrift").TryGetProperty(key, out var v) ? v.ToString() : null;

    private static JsonElement WaitForAlert(string file, Func<JsonElement, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (File.Exists(file))
                foreach (var line in File.ReadAllLines(file).Where(l => l.Length > 0))
                {
                    JsonElement a;
                    try { a = JsonDocument.Parse(line).RootElement.Clone(); }
                    catch (JsonException) { continue; } // the line the agent is writing now
                    if (match(a)) return a;
                }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no matching alert in {file}");
            Thread.Sleep(200);
        }
    }
}
