using System.Collections.Concurrent;
using System.Text.Json;
using Xunit.Abstractions;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// One agent run with Falco's three rule files loaded unchanged (ZeroDrift's defaults off, one test rule of our own
/// first) around real containers that do what Falco's rules need the kernel's event types and fields for: a hard link
/// and a symlink to /etc/shadow, a directory made and a file renamed below /bin, a setuid bit set, a packet socket,
/// userfaultfd as nobody, setuid to another user, unshare, and a <c>#!/bin/sh</c> script. The image is built FROM
/// scratch from busybox-static and a static helper compiled here (no pulls).
/// </summary>
public sealed class FalcoKernelEventsScenario : IDisposable
{
    private readonly TempDir _dir = new();
    public string Suffix { get; } = Guid.NewGuid().ToString("N")[..12];
    public string Image => $"localhost/zdfalcok-{Suffix}:1";
    public string Actor => $"zdfalcok-actor-{Suffix}";
    public string Nobody => $"zdfalcok-nobody-{Suffix}";
    public string Quiet => $"zdfalcok-quiet-{Suffix}";
    public IReadOnlyList<JsonElement> Alerts { get; } = [];
    public string AgentLog { get; } = "";
    public string ActorOutput { get; } = "";

    private const string Helper = """
        #define _GNU_SOURCE
        #include <sched.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        /* One syscall per word, as event-generator's actions make them. */
        int main(int argc, char **argv)
        {
            for (int i = 1; i < argc; i++) {
                long r = -1;
                if (!strcmp(argv[i], "packet")) r = socket(AF_PACKET, SOCK_RAW, 0);
                else if (!strcmp(argv[i], "userfaultfd")) r = syscall(SYS_userfaultfd, 0);
                else if (!strcmp(argv[i], "unshare")) r = unshare(CLONE_NEWUTS);
                else if (!strncmp(argv[i], "setuid=", 7)) r = syscall(SYS_setuid, atoi(argv[i] + 7));
                printf("%s %ld\n", argv[i], r);
            }
            return 0;
        }
        """;

    public FalcoKernelEventsScenario()
    {
        if (new RootFactAttribute().Skip is not null) return;
        BuildImage();
        var alerts = _dir.Combine("alerts.jsonl");
        // A rule of our own, first in file order (first match wins): the script's exec, to read proc.name from it.
        var own = _dir.File("script.yaml", """
            - rule: ZeroDrift Test Script Exec
              desc: the test's #! script, to check that proc.name is the kernel's comm (the script's name)
              condition: evt.type = execve and proc.exepath = /bin/busybox and proc.args = /usr/local/bin/zd-kubectl
              output: script (name=%proc.name exepath=%proc.exepath cmdline=%proc.cmdline)
              priority: NOTICE
            """);
        List<string> args = ["--output", "none", "--alerts", "file:" + alerts, "--profiles", _dir.Combine("p.db"), "--enforcement", "user-space",
            "--host-processes", "skip", "--no-default-rules", "--status-file", _dir.Combine("status.json"), "--rules", own];
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.SharedData, "rules", "falco"), "*.yaml").Order(StringComparer.Ordinal))
            args.AddRange(["--rules", f]);
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, [.. args]);
        try
        {
            string[] run = ["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
            ActorOutput = Podman([.. run, "--cap-add", "NET_RAW", "--name", Actor, Image, "sh", "-c", string.Join("; ",
                "ln /etc/shadow /tmp/shadow-link", "ln -s /etc/shadow /tmp/shadow-sym", "mkdir /bin/zd-newdir", "mv /bin/zd-old /bin/zd-new",
                "chmod 4755 /tmp/zd-file", "zd-helper packet setuid=1000", "zd-helper unshare", "zd-kubectl", "true")]);
            Podman([.. run, "--user", "65534", "--name", Nobody, Image, "zd-helper", "userfaultfd"]);
            // A container that does nothing of the above: runc's own set-up (unshare, setns, mount, …) must raise nothing.
            Podman([.. run, "--name", Quiet, Image, "true"]);
            Thread.Sleep(3000);
        }
        finally
        {
            StopAgent(agent);
            AgentLog = string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal)));
        }
        Alerts = !File.Exists(alerts) ? [] : [.. File.ReadAllLines(alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private void BuildImage()
    {
        var root = _dir.Combine("ctx/root");
        foreach (var d in new[] { "bin", "tmp", "etc", "usr/local/bin" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "ln", "mkdir", "mv", "chmod", "true", "cat" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        _dir.File("ctx/root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nzd:x:1000:1000:zd:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        _dir.File("ctx/root/etc/group", "root:x:0:\nzd:x:1000:\nnogroup:x:65534:\n");
        _dir.File("ctx/root/etc/shadow", "root:*:20000:0:99999:7:::\n");
        _dir.File("ctx/root/bin/zd-old", "");
        _dir.File("ctx/root/tmp/zd-file", "");
        _dir.File("ctx/root/usr/local/bin/zd-kubectl", "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(root, "usr/local/bin/zd-kubectl"), (UnixFileMode)0b111_101_101);
        var source = _dir.File("helper.c", Helper);
        var compiled = Run("gcc", ["-static", "-O2", "-o", Path.Combine(root, "usr/local/bin/zd-helper"), source]);
        if (compiled.ExitCode != 0) throw new InvalidOperationException("gcc: " + compiled.Stderr);
        _dir.File("ctx/Containerfile", "FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/bin:/bin\nCMD [\"/bin/sh\"]\n");
        Podman("build", "--runtime", "runc", "--quiet", "--tag", Image, _dir.Combine("ctx"));
    }

    /// <summary>The alerts of one rule raised for one container (by its workload, which carries the container's name).</summary>
    public IEnumerable<JsonElement> Of(string rule, string container) => Alerts.Where(a => a.GetProperty("rule").GetString() == rule
        && a.TryGetProperty("zerodrift", out var z) && z.TryGetProperty("workload", out var w) && w.GetString()!.Contains(container, StringComparison.Ordinal));

    public void Dispose()
    {
        foreach (var name in new[] { Actor, Nobody, Quiet })
            Run("podman", ["rm", "--force", "--time", "0", name]);
        Run("podman", ["rmi", "--force", Image]);
        _dir.Dispose();
    }
}

public sealed class FalcoKernelEventTests(FalcoKernelEventsScenario scenario, ITestOutputHelper output) : IClassFixture<FalcoKernelEventsScenario>
{
    private JsonElement Fired(string rule, string container)
    {
        var found = scenario.Of(rule, container).ToList();
        if (found.Count == 0)
        {
            output.WriteLine(scenario.AgentLog);
            output.WriteLine(scenario.ActorOutput);
            foreach (var a in scenario.Alerts) output.WriteLine(a.GetProperty("rule").GetString() + ": " + a.GetProperty("output").GetString());
        }
        Assert.True(found.Count > 0, $"'{rule}' did not fire for {container}");
        return found[0];
    }

    private static string Field(JsonElement alert, string name) => alert.GetProperty("output_fields").GetProperty(name).ToString();

    [RootFact]
    public void A_hard_link_to_etc_shadow_fires_create_hardlink_over_sensitive_files()
    {
        var alert = Fired("Create Hardlink Over Sensitive Files", scenario.Actor);
        Assert.Equal("/etc/shadow", Field(alert, "evt.arg.oldpath"));
        Assert.Equal("/tmp/shadow-link", Field(alert, "evt.arg.newpath"));
        Assert.Equal("ln", Field(alert, "proc.name"));
    }

    [RootFact]
    public void A_symlink_to_etc_shadow_fires_create_symlink_over_sensitive_files()
    {
        var alert = Fired("Create Symlink Over Sensitive Files", scenario.Actor);
        Assert.Equal("/etc/shadow", Field(alert, "evt.arg.target"));
        Assert.Equal("/tmp/shadow-sym", Field(alert, "evt.arg.linkpath"));
    }

    [RootFact]
    public void Mkdir_and_rename_below_bin_fire_the_binary_dir_rules()
    {
        var mkdir = Fired("Mkdir binary dirs", scenario.Actor);
        Assert.Equal("/bin/zd-newdir", Field(mkdir, "evt.arg.path"));
        var rename = Fired("Modify binary dirs", scenario.Actor);
        Assert.Contains("oldpath=/bin/zd-old newpath=/bin/zd-new", Field(rename, "evt.args"), StringComparison.Ordinal);
        Assert.Equal("/bin/zd-new", Field(rename, "fd.name"));
    }

    [RootFact]
    public void A_setuid_bit_set_with_chmod_fires_with_falcos_mode_names()
    {
        var alert = Fired("Set Setuid or Setgid bit", scenario.Actor);
        var mode = Field(alert, "evt.arg.mode");
        Assert.Contains("S_ISUID", mode, StringComparison.Ordinal);
        Assert.DoesNotContain("S_ISGID", mode, StringComparison.Ordinal);
        Assert.Equal("/tmp/zd-file", Field(alert, "evt.arg.filename"));
    }

    [RootFact]
    public void A_packet_socket_in_a_container_fires()
    {
        var alert = Fired("Packet socket created in container", scenario.Actor);
        Assert.Equal("zd-helper", Field(alert, "proc.name"));
        Assert.Contains("packet 3", scenario.ActorOutput, StringComparison.Ordinal); // the socket was made (NET_RAW added)
    }

    [RootFact]
    public void Userfaultfd_as_nobody_fires_unprivileged_delegation_of_page_faults()
    {
        var alert = Fired("Unprivileged Delegation of Page Faults Handling to a Userspace Process", scenario.Nobody);
        Assert.Equal("65534", Field(alert, "user.uid"));
    }

    [RootFact]
    public void Setuid_carries_the_user_after_the_call_and_fires_non_sudo_setuid()
    {
        Assert.Contains("setuid=1000 0", scenario.ActorOutput, StringComparison.Ordinal);
        var alert = Fired("Non sudo setuid", scenario.Actor);
        Assert.Equal("1000", Field(alert, "user.uid"));
        Assert.Equal("zd", Field(alert, "user.name"));
    }

    [RootFact]
    public void A_script_is_named_by_its_file_as_the_kernel_names_it()
    {
        var alert = Fired("ZeroDrift Test Script Exec", scenario.Actor);
        Assert.Equal("zd-kubectl", Field(alert, "proc.name"));
        Assert.Equal("/bin/busybox", Field(alert, "proc.exepath"));
    }

    [RootFact]
    public void A_real_unshare_fires_while_runcs_own_set_up_does_not()
    {
        var alert = Fired("Change namespace privileges via unshare", scenario.Actor);
        Assert.Equal("zd-helper", Field(alert, "proc.name"));
        // runc's init stages unshare too, with every capability: the rule's own exclusion holds, as in Falco.
        var unshares = scenario.Alerts.Where(a => a.GetProperty("rule").GetString() == "Change namespace privileges via unshare").ToList();
        Assert.All(unshares, a => Assert.Equal("zd-helper", Field(a, "proc.name")));
        Assert.Empty(scenario.Of("Change namespace privileges via unshare", scenario.Quiet));
        Assert.Empty(scenario.Of("Change namespace privileges via unshare", scenario.Nobody));
    }
}
