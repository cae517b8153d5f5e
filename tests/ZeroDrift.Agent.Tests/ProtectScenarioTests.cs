using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// The issue's scenario with the real <c>zerodrift agent</c>, kernel and podman+runc: a busybox httpd and a client
/// polling it are learned (short quiet period, auto-advance to monitor), switched to Protect with
/// <c>zerodrift profile mode</c>, then: the learned behaviour replays with zero alerts; a binary copied in at run
/// time is killed before it prints; a shell — the same busybox file as the web server, spawned by the server (CGI) or
/// exec'd into its container, as <c>sh</c>, <c>busybox sh</c> or through a symlink named otherwise — is killed by the
/// kernel at exec; a connect outside the model fails with EPERM; reading /etc/shadow raises the default rules' alert.
/// </summary>
public sealed class ProtectScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private string Image => $"localhost/zdag-scenario-{_suffix}:1";
    private string Web => $"zdag-web-{_suffix}";
    private string Client => $"zdag-client-{_suffix}";
    private string Pins => $"/sys/fs/bpf/zdag-test-{_suffix}";
    private string Alerts => _dir.Combine("alerts.jsonl");
    private string Profiles => _dir.Combine("profiles.db");

    [RootFact]
    public void Learn_then_protect_blocks_drift_shells_and_connects_in_the_kernel_and_replays_quietly()
    {
        BuildImage();
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, "--output", "none", "--mode", "learn", "--learn-quiet", "4s", "--auto-advance", "monitor",
            "--alerts", "file:" + Alerts, "--profiles", Profiles, "--enforcement", "kernel", "--pin-root", Pins, "--host-processes", "skip");
        try
        {
            Assert.Contains(stderr, l => l.Line.Contains("enforcement: in the kernel", StringComparison.Ordinal));

            // Learn: the web server, and a client that reads its target from a file each round (no new process when it changes).
            Podman("run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", Web, Image);
            var ip = Podman("inspect", Web, "--format", "{{.NetworkSettings.IPAddress}}").Trim();
            File.WriteAllText(_dir.Combine("target"), $"{ip}:8080\n");
            Podman("create", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", Client, Image, "sh", "-c",
                "while :; do read T < /tmp/target; wget -q -O /dev/null http://$T/ 2>>/tmp/log && echo ok >> /tmp/rounds; [ -f /tmp/shadow-now ] && read X < /etc/shadow; sleep 0.5; done");
            Podman("cp", _dir.Combine("target"), $"{Client}:/tmp/target");
            Podman("start", Client);
            WaitFor(stderr, l => l.Contains($"{Web} (", StringComparison.Ordinal) && l.Contains("learn -> monitor", StringComparison.Ordinal), 60, "the web server's learning to end");
            WaitFor(stderr, l => l.Contains($"{Client} (", StringComparison.Ordinal) && l.Contains("learn -> monitor", StringComparison.Ordinal), 60, "the client's learning to end");

            // Protect, by a user: applied by the running agent within 2 seconds of the command's return (the
            // command's own start-up, a second of a loaded machine, is not the agent's time).
            var mode = Zerodrift("profile", "mode", Image, "protect", "--profiles", Profiles);
            var switched = DateTime.UtcNow;
            Assert.Contains("-> protect", mode);
            var applied = WaitFor(stderr, l => l.Contains($"{Web} (", StringComparison.Ordinal) && l.Contains("monitor -> protect (switched by a user)", StringComparison.Ordinal), 10, "the switch");
            output.WriteLine($"mode switch applied {(applied - switched).TotalMilliseconds:0} ms after the command returned");
            Assert.True(applied - switched < TimeSpan.FromSeconds(2), $"the switch took {(applied - switched).TotalMilliseconds:0} ms");
            WaitFor(stderr, l => l.Contains("kernel enforcement for container", StringComparison.Ordinal) && l.Contains("protect", StringComparison.Ordinal), 10, "the kernel sets");
            Thread.Sleep(1500);

            // Replay (an unexplained kernel block would be an alert too, so zero alerts is zero blocks): the client keeps polling (sh running wget and sleep: applets of one multi-call file, each
            // allowed in the kernel by its name and parent), the server keeps serving; nothing is alerted, nothing blocked.
            var before = ReadAlerts().Count;
            var roundsBefore = Rounds();
            Thread.Sleep(4000);
            var replay = ReadAlerts().Skip(before).Where(a => Mentions(a, Web) || Mentions(a, Client)).ToList();
            Assert.True(replay.Count == 0, "replaying the learned behaviour alerted: " + string.Join("\n", replay.Select(a => a.GetProperty("output").GetString())));
            Assert.True(Rounds() >= roundsBefore + 4, $"the client's learned loop (sh, wget, sleep) stopped under Protect: {roundsBefore} -> {Rounds()} rounds");

            // Drift: a binary copied in at run time is killed at exec, before it prints.
            Podman("cp", "/bin/busybox", $"{Web}:/tmp/echo");
            var drift = PodmanResult("exec", Web, "/tmp/echo", "DRIFTED");
            Assert.DoesNotContain("DRIFTED", drift.Stdout);
            Assert.Equal(137, drift.ExitCode); // SIGKILL
            var driftAlert = WaitForAlert(a => Rule(a) == "ZeroDrift Drift: Executable Not From the Image" && Mentions(a, Web));
            Assert.Equal("blocked", Zd(driftAlert, "action"));
            Assert.Equal("kernel", Zd(driftAlert, "enforcement"));

            // A shell spawned by the service: httpd runs a CGI script (shipped in the image) through /bin/sh, the same
            // busybox file as httpd itself. Killed by the kernel at exec (parent httpd, name sh: never learned).
            var cgi = Http($"http://{ip}:8080/cgi-bin/run");
            Assert.DoesNotContain("CGI-RAN", cgi);
            var cgiAlert = WaitForAlert(a => Rule(a) == "ZeroDrift Process Outside the Profile" && Mentions(a, Web) && Output(a).Contains("(as sh) started by /bin/busybox", StringComparison.Ordinal));
            AssertKernelBlock(cgiAlert);

            // The same shell exec'd into the container, under each of its names: sh, `busybox sh`, the image's symlink
            // named ash, and a symlink made at run time (from the host, in the container's merged root: a symlink in
            // the writable layer to a file of the image is no drift by itself). Each is the one file the kernel
            // allows (as httpd), each killed before it prints.
            var merged = Podman("mount", Web).Trim();
            File.CreateSymbolicLink(Path.Combine(merged, "tmp/ash"), "/bin/busybox");
            foreach (var (argv, name) in new[] { (new[] { "/bin/sh" }, "sh"), (["/bin/busybox", "sh"], "sh"), (["/bin/ash"], "ash"), (["/tmp/ash"], "ash") })
            {
                var before2 = ReadAlerts().Count;
                var shell = PodmanResult(["exec", Web, .. argv, "-c", "echo SHELL"]);
                Assert.DoesNotContain("SHELL", shell.Stdout);
                Assert.Equal(137, shell.ExitCode); // SIGKILL at exec
                var shellAlert = WaitForAlert(a => Rule(a) == "ZeroDrift Process Outside the Profile" && Mentions(a, Web) && Output(a).Contains($"(as {name})", StringComparison.Ordinal), before2);
                AssertKernelBlock(shellAlert);
                output.WriteLine($"{string.Join(' ', argv)}: exit {shell.ExitCode}, {Output(shellAlert)}");
            }
            // The server still serves: nothing it learned was taken from it.
            Assert.Contains("hello", Http($"http://{ip}:8080/"));

            // A connect outside the model fails with EPERM in the client; reading /etc/shadow raises the rules' alert.
            File.WriteAllText(_dir.Combine("target"), $"{ip}:9999\n");
            File.WriteAllText(_dir.Combine("shadow-now"), "");
            Podman("cp", _dir.Combine("shadow-now"), $"{Client}:/tmp/shadow-now");
            Podman("cp", _dir.Combine("target"), $"{Client}:/tmp/target");
            var connectAlert = WaitForAlert(a => Rule(a) == "ZeroDrift Connection Outside the Profile" && Mentions(a, Client));
            Assert.Equal("blocked", Zd(connectAlert, "action"));
            var log = Podman("cp", $"{Client}:/tmp/log", _dir.Combine("client.log")) is var _ ? File.ReadAllText(_dir.Combine("client.log")) : "";
            Assert.Contains("Operation not permitted", log);
            var shadow = WaitForAlert(a => Rule(a) == "ZeroDrift Sensitive File Read" && Mentions(a, Client));
            Assert.Equal("/etc/shadow", shadow.GetProperty("output_fields").GetProperty("fd.name").GetString());

            // A new start of the protected service is not refused: runc's init exec'ing the entrypoint (started by
            // the runtime, from outside the container) is the profile's first process.
            var restartAlerts = ReadAlerts().Count;
            Podman("restart", "-t", "0", Web);
            var restartedIp = Podman("inspect", Web, "--format", "{{.NetworkSettings.IPAddress}}").Trim();
            var served = "";
            for (var i = 0; i < 50 && !served.Contains("hello", StringComparison.Ordinal); i++, Thread.Sleep(200)) served = Http($"http://{restartedIp}:8080/");
            Assert.Contains("hello", served);
            // The new cgroup is protected too: the same shell is killed there.
            var webId = Podman("inspect", Web, "--format", "{{.Id}}").Trim()[..12];
            var enforced = stderr.Count(l => l.Line.Contains($"kernel enforcement for container {webId}", StringComparison.Ordinal));
            WaitFor(stderr, _ => stderr.Count(l => l.Line.Contains($"kernel enforcement for container {webId}", StringComparison.Ordinal)) > enforced
                || stderr.Count(l => l.Line.Contains($"kernel enforcement for container {webId}", StringComparison.Ordinal)) >= 2, 15, "the restarted service's enforcement");
            var again = PodmanResult("exec", Web, "/bin/sh", "-c", "echo SHELL");
            Assert.Equal((137, ""), (again.ExitCode, again.Stdout));
            Thread.Sleep(1000);
            var restartBlocks = ReadAlerts().Skip(restartAlerts).Where(a => Mentions(a, Web) && Zd(a, "action") is "blocked" or "killed" && !Output(a).Contains("(as sh)", StringComparison.Ordinal)).ToList();
            Assert.True(restartBlocks.Count == 0, "restarting the protected service was blocked: " + string.Join("\n", restartBlocks.Select(Output)));

            // The seed's numbers from this run.
            var all = ReadAlerts().Where(a => Mentions(a, Web) || Mentions(a, Client)).ToList();
            var detect = all.Select(a => a.GetProperty("zerodrift").GetProperty("detectLatencyMs").GetDouble()).Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{all.Count} alerts; detect latency (kernel event -> alert written) p50 {detect[detect.Count / 2]:0.###} ms, max {detect[^1]:0.###} ms"));
            output.WriteLine($"detect: drift {Zd(driftAlert, "detectLatencyMs")} ms, CGI shell {Zd(cgiAlert, "detectLatencyMs")} ms, connect {Zd(connectAlert, "detectLatencyMs")} ms; "
                + "blocks: drift and shell killed at exec (exit 137, nothing printed), connect refused with EPERM");
            Assert.All(all, a => Assert.True(a.GetProperty("zerodrift").GetProperty("detectLatencyMs").GetDouble() < 1000));
        }
        finally
        {
            StopAgent(agent);
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal))));
        }
    }

    private readonly Dictionary<string, string> _ids = [];

    /// <summary>The alert is about this container: by name in the output, or by id in the output fields (rules print what their output names).</summary>
    private bool Mentions(JsonElement alert, string containerName)
    {
        if (alert.GetProperty("output").GetString()!.Contains(containerName, StringComparison.Ordinal)) return true;
        if (!_ids.TryGetValue(containerName, out var id)) _ids[containerName] = id = Podman("inspect", containerName, "--format", "{{.Id}}").Trim();
        return alert.GetProperty("output_fields").TryGetProperty("container.id", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() == id;
    }

    private static string? Rule(JsonElement a) => a.GetProperty("rule").GetString();

    /// <summary>The body of a GET (status and errors included as text: a killed CGI answers with an error or nothing).</summary>
    private static string Http(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = client.GetAsync(new Uri(url)).GetAwaiter().GetResult();
            return $"{(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}";
        }
        catch (HttpRequestException e) { return e.Message; }
    }

    private static string Output(JsonElement a) => a.GetProperty("output").GetString()!;

    /// <summary>Blocked by the kernel at exec: before the program's first instruction, so no time between the exec and the block.</summary>
    private static void AssertKernelBlock(JsonElement alert)
    {
        Assert.Equal("blocked", Zd(alert, "action"));
        Assert.Equal("kernel", Zd(alert, "enforcement"));
        Assert.Equal(0, alert.GetProperty("zerodrift").GetProperty("blockLatencyMs").GetDouble());
    }

    /// <summary>Rounds the client completed (a successful wget each), copied out (an exec in the container would be new behaviour).</summary>
    private int Rounds()
    {
        var copy = _dir.Combine("rounds");
        if (File.Exists(copy)) File.Delete(copy);
        return PodmanResult("cp", $"{Client}:/tmp/rounds", copy).ExitCode == 0 ? File.ReadAllLines(copy).Count(l => l.Length > 0) : 0;
    }


    private static string Zd(JsonElement a, string key) => a.GetProperty("zerodrift").GetProperty(key).ToString();

    private List<JsonElement> ReadAlerts() => !File.Exists(Alerts) ? [] :
        [.. File.ReadAllLines(Alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private JsonElement WaitForAlert(Func<JsonElement, bool> match, int skip = 0)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (ReadAlerts().Skip(skip).FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found) return found;
            Thread.Sleep(200);
        }
        throw new TimeoutException("no such alert; alerts:\n" + string.Join("\n", ReadAlerts().Select(a => a.GetProperty("output").GetString())));
    }

    /// <summary>FROM scratch: busybox-static with applets as symlinks, a page, a CGI script run by /bin/sh (which only the test asks for) and /etc/shadow.</summary>
    private void BuildImage()
    {
        var root = _dir.Combine("ctx/root");
        foreach (var d in new[] { "bin", "tmp", "www/cgi-bin", "etc" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        File.WriteAllText(Path.Combine(root, "www/cgi-bin/run"), "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho CGI-RAN\n");
        File.SetUnixFileMode(Path.Combine(root, "www/cgi-bin/run"), (UnixFileMode)0x1ED); // 0755
        foreach (var applet in new[] { "sh", "ash", "httpd", "wget", "sleep", "cat", "echo" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "www/index.html"), "hello\n");
        File.WriteAllText(Path.Combine(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\nCMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        Podman("build", "-q", "-t", Image, _dir.Combine("ctx"));
    }

    private static (int ExitCode, string Stdout, string Stderr) PodmanResult(params string[] args) => Run("podman", args);

    private string Zerodrift(params string[] args)
    {
        var r = Run("dotnet", [Dll, .. args]);
        if (r.ExitCode != 0) throw new InvalidOperationException($"zerodrift {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is null)
        {
            Run("podman", ["rm", "-f", "-t", "0", Web, Client]);
            Run("podman", ["rmi", "-f", Image]);
            if (Directory.Exists(Pins)) Run("dotnet", [Dll, "agent", "--release-enforcement", "--pin-root", Pins]);
        }
        _dir.Dispose();
    }
}
