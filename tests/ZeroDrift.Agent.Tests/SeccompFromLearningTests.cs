using System.Collections.Concurrent;
using Xunit.Abstractions;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// The hardening check end to end: the real <c>zerodrift agent</c> learns a busybox workload (a web server
/// and a loop fetching from it, one container under podman+runc) from the kernel's per-cgroup system call bitmap;
/// <c>zerodrift profile seccomp</c> turns that profile into a seccomp profile; podman runs the same workload under
/// it — it serves and fetches as before — while a system call the workload never made (mkdir, chmod) fails with
/// "Operation not permitted" in that container. Programs run into the container with <c>podman exec</c> while it
/// learns are the workload's; the runtime's set-up on that path (runc's init, its re-exec with <c>execveat</c>) is not.
/// </summary>
public sealed class SeccompFromLearningTests(ITestOutputHelper output) : IDisposable
{
    private const string Workload = "httpd -p 8080 -h /www; while :; do wget -q -O - http://127.0.0.1:8080/ >> /tmp/got; sleep 0.3; done";

    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private string Image => $"localhost/zdag-seccomp-{_suffix}:1";
    private string Learned => $"zdag-seccomp-learn-{_suffix}";
    private string Hardened => $"zdag-seccomp-run-{_suffix}";
    private string Plain => $"zdag-seccomp-plain-{_suffix}";
    private string Profiles => _dir.Combine("profiles.db");

    [RootFact]
    public void A_seccomp_profile_from_what_the_agent_learned_runs_the_workload_and_refuses_other_calls()
    {
        BuildImage();
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        // Learning ends after 15 s without new behaviour: a loaded machine's podman restart and exec take seconds each,
        // and with a shorter quiet time the exec below came after the switch to monitor, unlearned.
        var agent = StartAgent(stderr, null, "--output", "none", "--mode", "learn", "--learn-quiet", "15s", "--auto-advance", "monitor",
            "--profiles", Profiles, "--enforcement", "user-space", "--host-processes", "skip");
        try
        {
            Podman([.. RunArgs(Learned), Image, "sh", "-c", Workload]);
            // The runtime's ways into the container: its start (a restart each time, runc's init put in the container's
            // cgroup as it starts, racing its re-exec of itself) and its exec path, as a health check takes it.
            for (var i = 0; i < 3; i++)
            {
                Podman("restart", "-t", "0", Learned);
                Podman("exec", Learned, "/bin/true");
            }
            WaitFor(stderr, l => l.Contains($"{Learned} (", StringComparison.Ordinal) && l.Contains("learn -> monitor", StringComparison.Ordinal), 90, "the workload's learning to end");
        }
        finally
        {
            // Stopped as a service manager would: the profile is saved on the way out.
            StopAgent(agent);
            agent.Dispose();
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => l.Contains(Learned, StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase))));
        }
        Podman("rm", "-f", "-t", "0", Learned);

        var seccomp = Zerodrift("profile", "seccomp", Image, "--profiles", Profiles);
        var file = _dir.Combine("seccomp.json");
        File.WriteAllText(file, seccomp);
        var shown = Zerodrift("profile", "show", Image, "--profiles", Profiles);
        // What the workload did came from the kernel's bitmap: its network calls are there, mkdir and chmod are not.
        Assert.Contains("\"accept", seccomp, StringComparison.Ordinal);
        Assert.Contains("\"connect\"", seccomp, StringComparison.Ordinal);
        foreach (var never in new[] { "\"mkdir\"", "\"mkdirat\"", "\"chmod\"", "\"fchmodat\"" })
            Assert.DoesNotContain(never, seccomp, StringComparison.Ordinal);
        // podman exec: the program it ran is learned; runc's own init and its re-exec of itself (execveat of its memfd
        // copy) are not the workload's processes or system calls.
        Assert.Contains("name: true", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("\"execveat\"", seccomp, StringComparison.Ordinal);
        Assert.DoesNotContain("executable: /usr/sbin/runc", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("memfd:", shown, StringComparison.Ordinal);
        output.WriteLine($"seccomp profile: {seccomp.Length} bytes; profile:\n{shown}");

        // The same workload under the generated profile: it starts, serves, and its loop fetches.
        Podman([.. RunArgs(Hardened), "--security-opt", $"seccomp={file}", Image, "sh", "-c", Workload]);
        var ip = Podman("inspect", Hardened, "--format", "{{.NetworkSettings.IPAddress}}").Trim();
        Assert.Contains("hello from the image", Get($"http://{ip}:8080/"));
        Assert.True(FetchedRounds(Hardened) > 0, "the workload's loop fetched nothing under the generated profile:\n" + Podman("logs", Hardened));

        // A call the workload never made fails in that container with EPERM (the profile's default action)...
        var mkdir = Run("podman", ["exec", Hardened, "/bin/mkdir", "/tmp/made-at-run-time"]);
        Assert.NotEqual(0, mkdir.ExitCode);
        Assert.Contains("Operation not permitted", mkdir.Stderr);
        var chmod = Run("podman", ["exec", Hardened, "/bin/chmod", "600", "/www/index.html"]);
        Assert.NotEqual(0, chmod.ExitCode);
        Assert.Contains("Operation not permitted", chmod.Stderr);
        output.WriteLine($"under the profile: {mkdir.Stderr.Trim()} / {chmod.Stderr.Trim()}");

        // ...and works without it: the refusal is the profile's doing.
        Podman([.. RunArgs(Plain), Image, "sh", "-c", "sleep 60"]);
        var plain = Run("podman", ["exec", Plain, "/bin/mkdir", "/tmp/made-at-run-time"]);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
    }

    private static string[] RunArgs(string name) =>
        ["run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", name];

    private int FetchedRounds(string container)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var copy = _dir.Combine("got");
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(copy)) File.Delete(copy);
            if (Run("podman", ["cp", $"{container}:/tmp/got", copy]).ExitCode == 0)
            {
                var rounds = File.ReadAllLines(copy).Count(l => l.Contains("hello from the image", StringComparison.Ordinal));
                if (rounds > 0) return rounds;
            }
            Thread.Sleep(300);
        }
        return 0;
    }

    private static string Get(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try { return client.GetStringAsync(new Uri(url)).GetAwaiter().GetResult(); }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }

    /// <summary>FROM scratch: Debian's busybox-static with its applets as symlinks, and a page.</summary>
    private void BuildImage()
    {
        var root = _dir.Combine("ctx/root");
        foreach (var d in new[] { "bin", "tmp", "www" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "httpd", "wget", "sleep", "mkdir", "chmod", "true" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "www/index.html"), "hello from the image\n");
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\n");
        Podman("build", "-q", "-t", Image, _dir.Combine("ctx"));
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is null)
        {
            Run("podman", ["rm", "-f", "-t", "0", Learned, Hardened, Plain]);
            Run("podman", ["rmi", "-f", Image]);
        }
        _dir.Dispose();
    }
}
