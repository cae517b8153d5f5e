using System.Collections.Concurrent;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Tests;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Drift prevention with the real <c>zerodrift agent</c>, kernel and podman+runc, every workload in Learn: with
/// <c>--drift-prevention</c> a binary copied to /tmp and run, and a program run from a memfd, are killed at exec
/// (exit 137, nothing printed) — in a container the agent watches and in a fresh one from its first instruction —
/// and the alert says blocked by the kernel, while a program of the image still runs and nothing drifted is learned;
/// a workload whose profile asks for drift prevention is protected while another is not. The agent-wide setting is
/// scoped to a cgroup of the test's own (<c>--drift-prevention-scope</c>, containers started with
/// <c>--cgroup-parent</c>): the agent sees every container on this shared machine and must not kill other sessions'.
/// </summary>
public sealed class DriftPreventionTests(ITestOutputHelper output)
{
    private const int Killed = 137;
    private const string CopyAndRun = "cp /bin/busybox /tmp/busybox && exec /tmp/busybox echo RAN-COPY";

    /// <summary>A mount namespace of the agent's own with /sys/fs/bpf unmounted (a freshly booted machine has none).</summary>
    private static readonly string[] WithoutBpfFs =
        ["unshare", "--mount", "sh", "-c", "while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf || exit 97; done; exec \"$@\"", "sh"];

    [RootFact]
    public void Drift_is_killed_at_exec_in_learn_with_a_bpf_filesystem_mounted() => Scenario(wrapper: null);

    [RootFact]
    public void Drift_is_killed_at_exec_in_learn_where_no_bpf_filesystem_is_mounted() => Scenario(WithoutBpfFs);

    private void Scenario(string[]? wrapper)
    {
        using var image = new EnforcedImage();
        using var dir = new TempDir();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var scope = $"/zdag-drift-{suffix}";
        var pins = $"/sys/fs/bpf/zdag-drift-{suffix}";
        var alerts = dir.Combine("alerts.jsonl");
        var profiles = dir.Combine("profiles.db");
        var (watched, fresh, flagged, unflagged) = ($"zdag-drift-w-{suffix}", $"zdag-drift-f-{suffix}", $"zdag-drift-p-{suffix}", $"zdag-drift-q-{suffix}");
        Directory.CreateDirectory(Path.Join(CgroupPaths.FindV2Root(), scope));
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        var statusFile = dir.Combine("status.json");
        using var agent = StartAgent(stderr, null, wrapper, "--output", "none", "--status-file", statusFile, "--mode", "learn", "--drift-prevention", "--drift-prevention-scope", scope,
            "--alerts", "file:" + alerts, "--profiles", profiles, "--enforcement", "kernel", "--pin-root", pins, "--host-processes", "skip");
        try
        {
            var start = stderr.First(l => l.Line.Contains("programs attached", StringComparison.Ordinal)).Line;
            Assert.Contains("enforcement: in the kernel", start, StringComparison.Ordinal);
            Assert.Contains($"drift prevention: on for every container under cgroup {scope}, in every mode", start, StringComparison.Ordinal);
            if (wrapper is not null) Assert.Contains("mounted a BPF filesystem at /sys/fs/bpf", start, StringComparison.Ordinal);
            Thread.Sleep(2500); // the status is written every 2 s
            var status = Zerodrift("agent", "status", "--status-file", statusFile);
            Assert.Contains($"drift prevention: on for every container under cgroup {scope}", status, StringComparison.Ordinal);

            // Agent-wide, in a container the agent has met (Learn): each drift exec'd into it is killed before it prints.
            Podman(image, watched, ["--detach", "--cgroup-parent", scope], "/bin/sh", "-c", "/usr/local/bin/echo LEARNED-RAN; exec /bin/sleep 600");
            WaitFor(stderr, _ => LearnedAnything(profiles, watched), 30, $"{watched}'s first learning");
            AssertKilled(Exec(watched, "/bin/sh", "-c", CopyAndRun), "a copied binary");
            AssertKilled(Exec(watched, "/usr/local/bin/memfdexec"), "a memfd exec");
            AssertBlockedByKernel(alerts, watched, "/tmp/busybox");
            AssertBlockedByKernel(alerts, watched, "memfd:");
            // A program of the image (a second copy of busybox, in the lower layers) still runs, in Learn, and is learned.
            Assert.Equal((0, "IMAGE-RAN\n"), Exec(watched, "/usr/local/bin/echo", "IMAGE-RAN") is var r ? (r.ExitCode, r.Stdout) : default);

            // A fresh container whose entrypoint is drift: killed by the kernel at its first exec, before the agent knew it.
            var first = Podman(image, fresh, ["--cgroup-parent", scope], "/bin/sh", "-c", CopyAndRun);
            AssertKilled(first, "a fresh container's copied binary");
            var firstMemfd = Podman(image, fresh + "-m", ["--cgroup-parent", scope], "/usr/local/bin/memfdexec");
            AssertKilled(firstMemfd, "a fresh container's memfd exec");

            // Per workload: outside the agent's scope only the profile decides. Both start in Learn; one is switched on.
            Podman(image, flagged, ["--detach"], "/bin/sh", "-c", "exec /bin/sleep 600");
            Podman(image, unflagged, ["--detach"], "/bin/sh", "-c", "exec /bin/sleep 600");
            WaitFor(stderr, _ => LearnedAnything(profiles, flagged) && LearnedAnything(profiles, unflagged), 30, "both workloads' profiles");
            var switched = Zerodrift("profile", "drift-prevention", flagged, "on", "--profiles", profiles);
            Assert.Contains("drift prevention off -> on", switched, StringComparison.Ordinal);
            WaitFor(stderr, l => l.Contains($"{flagged} (", StringComparison.Ordinal) && l.Contains("drift prevention turned on by a user", StringComparison.Ordinal), 10, "the switch");
            Thread.Sleep(500);
            AssertKilled(Exec(flagged, "/bin/sh", "-c", CopyAndRun), "the flagged workload's copied binary");
            AssertKilled(Exec(flagged, "/usr/local/bin/memfdexec"), "the flagged workload's memfd exec");
            AssertBlockedByKernel(alerts, flagged, "/tmp/busybox");
            var free = Exec(unflagged, "/bin/sh", "-c", CopyAndRun);
            Assert.True(free.ExitCode == 0 && free.Stdout.Contains("RAN-COPY", StringComparison.Ordinal), $"drift ran in the workload without drift prevention: exit {free.ExitCode}, {free.Stdout}{free.Stderr}");
            var detected = WaitForAlert(alerts, a => Mentions(a, unflagged) && Output(a).Contains("/tmp/busybox", StringComparison.Ordinal));
            Assert.Equal("detected", Zd(detected, "action"));
            var shown = Zerodrift("profile", "show", flagged, "--profiles", profiles);
            Assert.Contains("driftPrevention: true", shown, StringComparison.Ordinal);

            // Nothing drifted was learned, by any workload.
            Thread.Sleep(1500); // the next housekeeping round saves what was learned
            foreach (var name in new[] { watched, flagged, unflagged })
            {
                var profile = Zerodrift("profile", "show", name, "--profiles", profiles);
                // (The copy's write to /tmp is a file access, learned as any: the program is what is never learned.)
                Assert.DoesNotContain("executable: /tmp/busybox", profile, StringComparison.Ordinal);
                Assert.DoesNotContain("executable: /memfd:", profile, StringComparison.Ordinal);
            }
            Assert.Contains("executable: /usr/local/bin/echo", Zerodrift("profile", "show", watched, "--profiles", profiles), StringComparison.Ordinal);
        }
        finally
        {
            StopAgent(agent);
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal))));
            foreach (var c in new[] { watched, fresh, fresh + "-m", flagged, unflagged }) Run("podman", ["rm", "-f", "-t", "0", c]);
            if (wrapper is null && Directory.Exists(pins)) Run("dotnet", [Dll, "agent", "--release-enforcement", "--pin-root", pins]);
            EnforcedImage.RemoveCgroupEverywhere(scope);
        }
    }

    private static void AssertKilled((int ExitCode, string Stdout, string Stderr) run, string what)
    {
        Assert.True(run.ExitCode == Killed && !run.Stdout.Contains("RAN-", StringComparison.Ordinal),
            $"{what} was not killed at exec: exit {run.ExitCode}, stdout '{run.Stdout}', stderr '{run.Stderr}'");
    }

    /// <summary>The drift alert for this container says the kernel blocked it (its own record confirmed it), at the exec itself.</summary>
    private static void AssertBlockedByKernel(string alerts, string container, string executable)
    {
        var alert = WaitForAlert(alerts, a => Mentions(a, container) && Rule(a) == "ZeroDrift Drift: Executable Not From the Image"
            && Output(a).Contains(executable, StringComparison.Ordinal));
        Assert.Equal(("blocked", "kernel", "learn"), (Zd(alert, "action"), Zd(alert, "enforcement"), Zd(alert, "mode")));
        Assert.Equal(0, alert.GetProperty("zerodrift").GetProperty("blockLatencyMs").GetDouble());
    }

    private static bool LearnedAnything(string profiles, string workload) =>
        Run("dotnet", [Dll, "profile", "show", workload, "--profiles", profiles]) is { ExitCode: 0 } r && r.Stdout.Contains("/bin/", StringComparison.Ordinal);

    private static (int ExitCode, string Stdout, string Stderr) Podman(EnforcedImage image, string name, string[] options, params string[] command)
    {
        var (exit, stdout, stderr) = image.RunAsync(name, options, command).GetAwaiter().GetResult();
        return (exit, stdout, stderr);
    }

    private static (int ExitCode, string Stdout, string Stderr) Exec(string container, params string[] command) => Run("podman", ["exec", container, .. command]);

    private static bool Mentions(JsonElement alert, string container) =>
        Output(alert).Contains(container, StringComparison.Ordinal)
        || (alert.GetProperty("output_fields").TryGetProperty("container.name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == container);

    private static string? Rule(JsonElement a) => a.GetProperty("rule").GetString();
    private static string Output(JsonElement a) => a.GetProperty("output").GetString()!;
    private static string Zd(JsonElement a, string key) => a.GetProperty("zerodrift").GetProperty(key).ToString();

    private static List<JsonElement> ReadAlerts(string alerts) => !File.Exists(alerts) ? [] :
        [.. File.ReadAllLines(alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static JsonElement WaitForAlert(string alerts, Func<JsonElement, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (ReadAlerts(alerts).FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found) return found;
            Thread.Sleep(200);
        }
        throw new TimeoutException("no such alert; alerts:\n" + string.Join("\n", ReadAlerts(alerts).Select(Output)));
    }
}
