using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZeroDrift.Runtime.Profiles;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// What the real agent records and reports with the kernel and podman+runc: a workload run as <c>--user nobody</c> is
/// learned with the user's name from the image's own /etc/passwd, the SHA-256 of its executable (equal to
/// <c>sha256sum</c> of the file in the image) and the files it reads; in Monitor a read outside the profile is
/// alerted; a Falco rule on <c>proc.vpid</c>, <c>proc.vpgid</c>, <c>proc.sid</c> and <c>proc.tty</c> fires with the
/// values the process itself sees in a container started with a terminal.
/// </summary>
public sealed partial class ProfileContentScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private string Image => $"localhost/zdprof-{_suffix}:1";
    private string Reader => $"zdprof-reader-{_suffix}x";
    private string Terminal => $"zdprof-tty-{_suffix}x";
    private string Alerts => _dir.Combine("alerts.jsonl");
    private string Profiles => _dir.Combine("profiles.db");

    [GeneratedRegex(@"VPID (\d+)")]
    private static partial Regex VpidLine();

    [GeneratedRegex(@"/dev/pts/(\d+)")]
    private static partial Regex PtsLine();

    [RootFact]
    public void Profiles_hold_hashes_user_names_and_reads_and_falco_fields_come_from_the_kernel()
    {
        BuildImage();
        var rules = _dir.File("terminal.yaml", $"""
            - rule: ZeroDrift Test Terminal Sleep
              desc: a sleep started on a terminal in the test's container, to check the ids the kernel gives
              condition: evt.type = execve and proc.exe = sleep and proc.tty != 0 and container.name = {Terminal}
              output: terminal sleep (vpid=%proc.vpid vpgid=%proc.vpgid sid=%proc.sid tty=%proc.tty user=%user.name caps=%thread.cap_effective)
              priority: NOTICE
            """);
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, "--output", "none", "--mode", "learn", "--learn-quiet", "4s", "--auto-advance", "monitor",
            "--alerts", "file:" + Alerts, "--profiles", Profiles, "--enforcement", "user-space", "--host-processes", "skip",
            "--no-default-rules", "--rules", rules, "--status-file", _dir.Combine("status.json"));
        string terminalOutput;
        try
        {
            // The reader, as nobody: reads a config file every round; later (in Monitor) a file it never read.
            Podman("run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--user", "nobody", "--name", Reader, Image,
                "sh", "-c", "while :; do cat /srv/data/config.txt > /dev/null; [ -f /tmp/go ] && cat /srv/data/other.txt > /dev/null; sleep 0.3; done");
            // With a terminal: the inner shell prints its pid (as the container sees it) and becomes the sleep the rule matches
            // (by argv[0], Falco's proc.exe: busybox runs the applet through /proc/self/exe, so the task's name, proc.name, is "exe").
            terminalOutput = Podman("run", "-t", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", Terminal, Image,
                "sh", "-c", "readlink /proc/self/fd/0; sh -c 'echo VPID $$; exec sleep 1'; true");
            WaitFor(stderr, l => l.Contains($"{Reader} (", StringComparison.Ordinal) && l.Contains("learn -> monitor", StringComparison.Ordinal), 90, "the reader's learning to end");

            // Monitor: a read outside the profile is alerted (the kernel reports every open of the container's cgroup).
            Podman("exec", "--user", "nobody", Reader, "sh", "-c", ": > /tmp/go");
            var read = WaitForAlert(a => a.GetProperty("rule").GetString() == "ZeroDrift File Access Outside the Profile"
                && a.GetProperty("output").GetString()!.Contains("read of /srv/data/other.txt", StringComparison.Ordinal));
            Assert.Equal("monitor", read.GetProperty("zerodrift").GetProperty("mode").GetString());
            Assert.True(read.GetProperty("output_fields").GetProperty("user.name").GetString() == "nobody", read.ToString());
        }
        finally
        {
            StopAgent(agent);
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal))));
        }

        // The learned profile, as `zerodrift profile export` gives it.
        using var store = ProfileStore.Open(Profiles);
        var stored = Assert.Single(store.List(), p => p.Identity.Workload.Contains("reader", StringComparison.Ordinal));
        var yaml = Zerodrift("profile", "export", stored.Identity.Key, "--profiles", Profiles);
        output.WriteLine(yaml);
        var profile = ProfileYaml.Parse(yaml, "export");
        var inImage = Podman("run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sha256sum", "/bin/busybox").Split(' ')[0];
        // The entrypoint's shell runs cat: one file (busybox), entries told apart by the applet's name.
        var cat = Assert.Single(profile.Processes, p => p.Executable == "/bin/busybox" && p.Name == "cat" && p.Parent == "/bin/busybox");
        Assert.Equal(("nobody", 65534L), (cat.User, cat.Uid!.Value));
        Assert.Equal(inImage, cat.Sha256);
        Assert.Contains(profile.Files, f => f.Path == "/srv/data/config.txt" && f.Access == FileAccessKind.Read);
        Assert.DoesNotContain(profile.Files, f => f.Path == "/srv/data/other.txt");
        Assert.Contains($"sha256: {inImage}", Zerodrift("profile", "show", stored.Identity.Key, "--profiles", Profiles), StringComparison.Ordinal);

        // The Falco rule saw the ids the process saw: its pid in the container, the shell's group and session, the terminal.
        output.WriteLine(terminalOutput);
        var vpid = long.Parse(VpidLine().Match(terminalOutput).Groups[1].Value, CultureInfo.InvariantCulture);
        var pts = long.Parse(PtsLine().Match(terminalOutput).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.NotEqual(1, vpid); // a child of the entrypoint: its own pid, not the session's
        var alert = WaitForAlert(a => a.GetProperty("rule").GetString() == "ZeroDrift Test Terminal Sleep");
        var fields = alert.GetProperty("output_fields");
        Assert.Equal(vpid, fields.GetProperty("proc.vpid").GetInt64());
        Assert.Equal(1, fields.GetProperty("proc.sid").GetInt64()); // runc makes the entrypoint the session leader of the terminal
        Assert.Equal(1, fields.GetProperty("proc.vpgid").GetInt64()); // a shell without job control keeps its children in its group
        Assert.Equal((136 << 8) | pts, fields.GetProperty("proc.tty").GetInt64()); // /dev/pts/N: major 136, minor N
        Assert.Equal("root", fields.GetProperty("user.name").GetString());
        Assert.Contains("CAP_CHOWN", fields.GetProperty("thread.cap_effective").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("CAP_SYS_ADMIN", fields.GetProperty("thread.cap_effective").GetString(), StringComparison.Ordinal);
    }

    private List<JsonElement> ReadAlerts() => !File.Exists(Alerts) ? [] :
        [.. File.ReadAllLines(Alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private JsonElement WaitForAlert(Func<JsonElement, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (ReadAlerts().FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found) return found;
            Thread.Sleep(200);
        }
        throw new TimeoutException("no such alert; alerts:\n" + string.Join("\n", ReadAlerts().Select(a => a.GetProperty("output").GetString())));
    }

    /// <summary>FROM scratch: busybox-static with applets as symlinks, its own passwd and group (nobody is 65534), and data files.</summary>
    private void BuildImage()
    {
        var root = _dir.Combine("ctx/root");
        foreach (var d in new[] { "bin", "tmp", "etc", "srv/data" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "sleep", "cat", "readlink", "sha256sum" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(root, "srv/data/config.txt"), "setting=1\n");
        File.WriteAllText(Path.Combine(root, "srv/data/other.txt"), "other\n");
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\nRUN [\"/bin/busybox\", \"chmod\", \"1777\", \"/tmp\"]\nCMD [\"/bin/sh\"]\n");
        Podman("build", "-q", "--runtime", "runc", "-t", Image, _dir.Combine("ctx"));
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is null)
        {
            Run("podman", ["rm", "-f", "-t", "0", Reader, Terminal]);
            Run("podman", ["rmi", "-f", Image]);
        }
        _dir.Dispose();
    }
}
