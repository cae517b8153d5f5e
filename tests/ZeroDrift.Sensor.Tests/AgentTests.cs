using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ZeroDrift.Sensor.Tests;

/// <summary>Agent runs load programs into the one kernel: they run one at a time, so "nothing of ours stays
/// attached" is about the run that just ended.</summary>
[CollectionDefinition("agent", DisableParallelization = true)]
public sealed class AgentCollection;

/// <summary>
/// One agent run around one container doing what the issue's tests name: exec from the image, a binary copied in
/// at run time and executed, a file write, a read of a watched path, a TCP connect to a listener on the host, a
/// DNS question. The busybox image is built locally from Debian's busybox-static (no pulls).
/// </summary>
public sealed class ContainerScenario : IDisposable
{
    public string Image { get; } = $"localhost/zerodrift-sensor-bb-{Guid.NewGuid():N}:1";
    public string ContainerId { get; } = "";

    /// <summary>A container of the same image still running when the status is read (the first one has exited and,
    /// its cgroup gone, been forgotten).</summary>
    public string RunningId { get; } = "";
    public string Gateway { get; } = "";
    public int ListenerPort { get; }
    public IReadOnlyList<JsonElement> Events { get; } = [];
    public int AgentExitCode { get; }
    public string AgentStderr { get; } = "";
    public IReadOnlyList<string> ProgramsWhileRunning { get; } = [];
    public IReadOnlyList<string> ProgramsAfterExit { get; } = [];
    public string CreatPath { get; } = "";
    public string Openat2Path { get; } = "";
    /// <summary>The local address of the TCP DNS responder (a random 127/8 address, port 53).</summary>
    public string TcpDnsServer { get; } = "";
    public (int ExitCode, string Stdout, string Stderr) StatusWhileRunning { get; }
    public (int ExitCode, string Stdout, string Stderr) StatusJsonWhileRunning { get; }
    public (int ExitCode, string Stdout, string Stderr) StatusAfterExit { get; }
    public bool TracefsMountedBefore { get; }
    public bool TracefsMountedAfter { get; }
    private readonly TempDir dir = new();

    public ContainerScenario()
    {
        if (new RootFactAttribute().Skip is not null) return;
        BuildImage(dir, Image);
        Gateway = Tool.Run("podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}").Trim();
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        ListenerPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepting = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
        });

        TracefsMountedBefore = AgentRun.TracefsMounted();
        var statusFile = dir.Combine("status.json");
        using var agent = AgentRun.Start("--sensitive-path", "/etc/zd-watch/", "--stats-interval", "1", "--status-file", statusFile);
        ProgramsWhileRunning = [.. AgentRun.Loaded().Where(p => agent.ProgramIds.Contains(p.Id)).Select(p => p.Name)];
        var script = string.Join("; ",
            "cp /bin/busybox /tmp/echo && /tmp/echo drifted",
            "echo secret > /tmp/written",
            "cat /etc/zd-watch/token > /dev/null",
            $"nc -w 2 {Gateway} {ListenerPort} < /dev/null",
            $"nslookup zerodrift.test {Gateway} > /dev/null 2>&1",
            "exit 0");
        ContainerId = Tool.Run("podman", "create", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sh", "-c", script).Trim();
        Tool.Run("podman", "start", "--attach", ContainerId);
        accepting.Wait(TimeSpan.FromSeconds(10));
        RunningId = Tool.Run("podman", "run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sleep", "120").Trim();
        // creat(2) and openat2(2) directly (libc routes creat through openat): both are write-opens to report.
        Tool.Run("python3", "-c",
            "import ctypes, os, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            + $"fd = libc.syscall(85, b'{dir.Combine("by-creat")}', 0o600)\nassert fd >= 0, ctypes.get_errno()\nos.close(fd)\n"
            + "how = ctypes.create_string_buffer(struct.pack('QQQ', os.O_WRONLY | os.O_CREAT, 0o600, 0))\n"
            + $"fd = libc.syscall(437, -100, b'{dir.Combine("by-openat2")}', how, 24)\nassert fd >= 0, ctypes.get_errno()\nos.close(fd)");
        // DNS over TCP (RFC 1035 4.2.2): a host client asks a responder on port 53 of a loopback address; the query
        // goes out with its length prefix in one send, the answer is read as length, then message.
        var loopback = new IPAddress([127, 53, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
        TcpDnsServer = loopback.ToString();
        using (var dns = new TcpListener(loopback, 53))
        {
            dns.Start();
            var responder = Task.Run(() => TcpDnsResponder.AnswerOne(dns));
            Tool.Run("python3", "-c", TcpDnsResponder.ClientScript(TcpDnsServer, "zerodrift-tcp.test"));
            if (!responder.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the TCP DNS responder did not answer");
        }
        CreatPath = dir.Combine("by-creat");
        Openat2Path = dir.Combine("by-openat2");
        // Fileless execution on the host: busybox copied into a memfd and executed from it (argv[0] picks the applet).
        Tool.Run("python3", "-c",
            "import os\nfd = os.memfd_create('zd-fileless')\nos.write(fd, open('/bin/busybox', 'rb').read())\nos.execv(f'/proc/self/fd/{fd}', ['true', 'from-memfd'])");
        Thread.Sleep(2500); // the last records reach user space, a stats line and a status update are written
        StatusWhileRunning = AgentRun.Cli("agent", "status", "--status-file", statusFile);
        StatusJsonWhileRunning = AgentRun.Cli("agent", "status", "--status-file", statusFile, "--output", "json");
        Events = agent.Stop();
        StatusAfterExit = AgentRun.Cli("agent", "status", "--status-file", statusFile);
        TracefsMountedAfter = AgentRun.TracefsMounted();
        AgentExitCode = agent.ExitCode;
        AgentStderr = agent.Stderr;
        ProgramsAfterExit = agent.OursStillLoaded();
    }

    /// <summary>FROM scratch: busybox-static with the applets the script uses as symlinks, /tmp, and a watched file.</summary>
    public static void BuildImage(TempDir dir, string name)
    {
        var root = dir.Combine("ctx/root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "cp", "cat", "echo", "nc", "nslookup", "sleep", "ls" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        dir.File("ctx/root/etc/zd-watch/token", "t0ken\n");
        dir.File("ctx/Containerfile", "FROM scratch\nCOPY root/ /\nCMD [\"/bin/sh\"]\n");
        Tool.Run("podman", "build", "--runtime", "runc", "--quiet", "--tag", name, dir.Combine("ctx"));
    }

    public IEnumerable<JsonElement> OfContainer(string type) =>
        Events.Where(e => e.GetProperty("type").GetString() == type
            && e.TryGetProperty("container", out var c) && c.ValueKind == JsonValueKind.Object && c.GetProperty("id").GetString() == ContainerId);

    public void Dispose()
    {
        foreach (var id in new[] { ContainerId, RunningId }.Where(id => id.Length > 0))
        {
            try { Tool.Run("podman", "rm", "--force", "--time", "0", id); } catch (InvalidOperationException) { }
        }
        try { Tool.Run("podman", "rmi", "--force", Image); } catch (InvalidOperationException) { }
        dir.Dispose();
    }
}

[Collection("agent")]
public class AgentTests(ContainerScenario scenario) : IClassFixture<ContainerScenario>
{
    private static string[] Args(JsonElement e) => [.. e.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];

    [RootFact]
    public void An_exec_inside_a_container_is_attributed_to_that_container_and_image()
    {
        Assert.True(scenario.AgentExitCode == 0, scenario.AgentStderr);
        var sh = scenario.OfContainer("exec").First(e => Args(e).SequenceEqual(["sh", "-c"]) || (Args(e).Length > 1 && Args(e)[0] == "sh"));
        var container = sh.GetProperty("container");
        Assert.Equal("podman", container.GetProperty("runtime").GetString());
        Assert.Equal(scenario.Image, container.GetProperty("image").GetString());
        Assert.StartsWith("sha256:", container.GetProperty("imageDigest").GetString());
        Assert.Equal("/bin/busybox", sh.GetProperty("exe").GetString());
        Assert.Equal("image", sh.GetProperty("exeOrigin").GetString());
        Assert.NotEqual(0UL, sh.GetProperty("cgroupId").GetUInt64());
        Assert.Equal("/", sh.GetProperty("cwd").GetString());
        // Layout version 2: the entrypoint is pid 1 of its namespace and leads its group; root in the container has
        // podman's default capabilities (CAP_CHOWN is bit 0, CAP_SYS_ADMIN bit 21 is not among them); the size is the file's.
        Assert.Equal(1, sh.GetProperty("vpid").GetInt32());
        Assert.Equal(1, sh.GetProperty("vpgid").GetInt32());
        Assert.Equal(0, sh.GetProperty("tty").GetInt32());
        var effective = sh.GetProperty("capEffective").GetUInt64();
        Assert.Equal(1UL, effective & 1);
        Assert.Equal(0UL, effective & (1UL << 21));
        Assert.Equal(new FileInfo("/bin/busybox").Length, sh.GetProperty("exeSize").GetInt64());
        Assert.True(sh.GetProperty("envBytes").GetInt32() > 0);
    }

    [RootFact]
    public void A_binary_copied_into_the_container_at_run_time_is_flagged_as_from_the_writable_layer()
    {
        var drift = Assert.Single(scenario.OfContainer("exec"), e => e.GetProperty("exe").GetString() == "/tmp/echo");
        Assert.Equal(["/tmp/echo", "drifted"], Args(drift));
        Assert.Equal("upper-layer", drift.GetProperty("exeOrigin").GetString());
        var parent = drift.GetProperty("ancestors")[0];
        Assert.Equal("/bin/busybox", parent.GetProperty("exe").GetString());
        var exit = Assert.Single(scenario.OfContainer("exit"), e => e.GetProperty("pid").GetInt32() == drift.GetProperty("pid").GetInt32());
        Assert.Equal((0, 0), (exit.GetProperty("code").GetInt32(), exit.GetProperty("signal").GetInt32()));
    }

    [RootFact]
    public void A_program_run_from_a_memfd_is_flagged_and_memfd_create_is_reported()
    {
        var exec = Assert.Single(scenario.Events, e => e.GetProperty("type").GetString() == "exec" && Args(e).SequenceEqual(["true", "from-memfd"]));
        Assert.Equal("memfd", exec.GetProperty("exeOrigin").GetString());
        Assert.StartsWith("/memfd:zd-fileless", exec.GetProperty("exe").GetString());
        Assert.Equal("host", exec.GetProperty("container").GetString());
        var create = Assert.Single(scenario.Events, e => e.GetProperty("type").GetString() == "syscall"
            && e.GetProperty("name").GetString() == "memfd_create" && e.TryGetProperty("string", out var n) && n.GetString() == "zd-fileless");
        Assert.Equal(319, create.GetProperty("nr").GetInt32());
        Assert.Equal(exec.GetProperty("pid").GetInt32(), create.GetProperty("pid").GetInt32());
    }

    [RootFact]
    public void A_file_write_and_a_read_of_a_watched_path_are_seen()
    {
        var write = Assert.Single(scenario.OfContainer("open"), e => e.GetProperty("path").GetString() == "/tmp/written");
        Assert.Equal("write", write.GetProperty("access").GetString());
        Assert.Contains("write", write.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.True(write.GetProperty("result").GetInt32() >= 0);
        var watched = Assert.Single(scenario.OfContainer("open"), e => e.GetProperty("path").GetString() == "/etc/zd-watch/token");
        Assert.Equal("read", watched.GetProperty("access").GetString());
        // A sensitive prefix; and the container's workload is in Learn (the agent's default mode), so the agent asked
        // the kernel for every open of its cgroup (reads profiled). Unwatched cgroups' reads stay filtered (WatchTests).
        Assert.Equal(["sensitive", "watched"], watched.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [RootFact]
    public void Creat_and_openat2_are_seen_like_openat()
    {
        foreach (var path in new[] { scenario.CreatPath, scenario.Openat2Path })
        {
            var open = Assert.Single(scenario.Events, e => e.GetProperty("type").GetString() == "open" && e.GetProperty("path").GetString() == path);
            Assert.Equal("write", open.GetProperty("access").GetString());
            Assert.Equal(0x40, open.GetProperty("flags").GetInt32() & 0x40); // O_CREAT
            Assert.True(open.GetProperty("result").GetInt32() >= 0);
        }
    }

    [RootFact]
    public void A_connect_from_the_container_carries_its_addresses_and_container()
    {
        var connect = Assert.Single(scenario.OfContainer("connect"), e => e.GetProperty("remote").GetProperty("port").GetInt32() == scenario.ListenerPort);
        Assert.Equal("tcp", connect.GetProperty("protocol").GetString());
        Assert.Equal("ipv4", connect.GetProperty("family").GetString());
        Assert.Equal(scenario.Gateway, connect.GetProperty("remote").GetProperty("addr").GetString());
        Assert.Equal(0, connect.GetProperty("result").GetInt32());
        var local = connect.GetProperty("local");
        // In the network's subnet (a /16: with many containers started, addresses run past x.y.0.255).
        var subnet = System.Net.IPNetwork.Parse(Tool.Run("podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Subnet}}{{end}}").Trim());
        Assert.True(subnet.Contains(System.Net.IPAddress.Parse(local.GetProperty("addr").GetString()!)), $"{local} is not in {subnet}");
        Assert.NotEqual(0, local.GetProperty("port").GetInt32());
        // The host side sees the same connection accepted, from the container's address and port.
        var accept = Assert.Single(scenario.Events, e => e.GetProperty("type").GetString() == "accept"
            && e.GetProperty("local").GetProperty("port").GetInt32() == scenario.ListenerPort);
        Assert.Equal(local.GetProperty("addr").GetString(), accept.GetProperty("remote").GetProperty("addr").GetString());
        Assert.Equal(local.GetProperty("port").GetInt32(), accept.GetProperty("remote").GetProperty("port").GetInt32());
    }

    [RootFact]
    public void A_dns_question_from_the_container_is_read_from_its_payload()
    {
        var questions = scenario.OfContainer("dns")
            .Where(e => e.GetProperty("direction").GetString() == "sent")
            .SelectMany(e => e.GetProperty("questions").EnumerateArray())
            .Select(q => (q.GetProperty("name").GetString(), q.GetProperty("type").GetString()))
            .ToList();
        Assert.Contains(("zerodrift.test", "A"), questions);
        var dns = scenario.OfContainer("dns").First();
        Assert.Equal(scenario.Gateway, dns.GetProperty("server").GetProperty("addr").GetString());
        Assert.Equal(53, dns.GetProperty("server").GetProperty("port").GetInt32());
    }

    [RootFact]
    public void A_dns_question_and_answer_over_tcp_are_read_without_their_length_prefix()
    {
        var tcp = scenario.Events.Where(e => e.GetProperty("type").GetString() == "dns"
            && e.GetProperty("server").GetProperty("addr").GetString() == scenario.TcpDnsServer).ToList();
        var sent = Assert.Single(tcp, e => e.GetProperty("direction").GetString() == "sent");
        Assert.Equal("tcp", sent.GetProperty("protocol").GetString());
        Assert.Equal(53, sent.GetProperty("server").GetProperty("port").GetInt32());
        Assert.Equal(TcpDnsResponder.QueryId, sent.GetProperty("id").GetInt32());
        var q = Assert.Single(sent.GetProperty("questions").EnumerateArray());
        Assert.Equal(("zerodrift-tcp.test", "A"), (q.GetProperty("name").GetString(), q.GetProperty("type").GetString()));
        // The answer was read in two calls (length, then message): the length alone is not an event.
        var received = Assert.Single(tcp, e => e.GetProperty("direction").GetString() == "received");
        Assert.Equal("tcp", received.GetProperty("protocol").GetString());
        Assert.Equal(TcpDnsResponder.QueryId, received.GetProperty("id").GetInt32());
        var answer = Assert.Single(received.GetProperty("answers").EnumerateArray());
        Assert.Equal(("zerodrift-tcp.test", "A", TcpDnsResponder.Address), (answer.GetProperty("name").GetString(), answer.GetProperty("type").GetString(), answer.GetProperty("data").GetString()));
        Assert.False(received.TryGetProperty("truncated", out _));
    }

    [RootFact]
    public void Agent_status_shows_programs_rates_drops_ring_use_and_the_container()
    {
        var (code, stdout, stderr) = scenario.StatusWhileRunning;
        Assert.True(code == 0, stderr);
        Assert.Matches(@"(?m)^agent: running, pid \d+", stdout);
        Assert.Matches(@"(?m)^attached: \d+ programs: .*raw_tp/sys_enter", stdout);
        Assert.Matches(@"(?m)^ring buffer: 16384 KiB, peak use", stdout);
        Assert.Matches(@"(?m)^exec\s+[\d.]+\s+[1-9]\d*\s+\d+$", stdout);
        Assert.Matches(@"(?m)^open\s+[\d.]+\s+\d+\s+\d+$", stdout);
        Assert.Contains(scenario.RunningId[..12], stdout);
        Assert.Contains(scenario.Image, stdout);
        Assert.Matches(@"(?m)^agent keeps: containers \d+, workloads \d+, processes [1-9]\d*, ", stdout);

        (code, stdout, stderr) = scenario.StatusJsonWhileRunning;
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var status = doc.RootElement;
        Assert.Equal("running", status.GetProperty("state").GetString());
        Assert.Contains("tp_btf/sched_process_exec", status.GetProperty("attached").EnumerateArray().Select(a => a.GetString()));
        Assert.True(status.GetProperty("received").GetProperty("exec").GetInt64() > 0);
        Assert.Equal(0UL, status.GetProperty("lost").GetProperty("exec").GetUInt64());
        Assert.True(status.GetProperty("ringBufferBytes").GetInt64() == 16 << 20);
        var container = Assert.Single(status.GetProperty("containers").EnumerateArray(), c => c.GetProperty("id").GetString() == scenario.RunningId);
        Assert.True(status.GetProperty("structures").GetProperty("containers").GetInt64() >= 1);
        Assert.Equal("podman", container.GetProperty("runtime").GetString());
        Assert.Equal(scenario.Image, container.GetProperty("image").GetString());

        // Once the agent has stopped, status says so in one line and exits 2.
        (code, stdout, stderr) = scenario.StatusAfterExit;
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("no agent is running", Assert.Single(stderr.Trim().Split('\n')));
    }

    [RootFact]
    public void The_stream_reports_stats_and_the_containers_syscall_set()
    {
        var stats = scenario.Events.Last(e => e.GetProperty("type").GetString() == "stats");
        Assert.True(stats.GetProperty("received").GetProperty("exec").GetInt64() > 0);
        foreach (var lost in stats.GetProperty("lost").EnumerateObject()) Assert.True(lost.Value.GetInt64() >= 0);
        Assert.True(stats.GetProperty("rssBytes").GetInt64() > 0);
        // One line for the exited container: written when the agent forgot it (its cgroup gone), or at the end.
        var syscalls = Assert.Single(scenario.Events, e => e.GetProperty("type").GetString() == "syscalls"
            && e.TryGetProperty("containerId", out var id) && id.GetString() == scenario.ContainerId);
        var numbers = syscalls.GetProperty("syscalls").EnumerateArray().Select(n => n.GetInt32()).ToHashSet();
        Assert.Contains(59, numbers); // execve
        Assert.Contains(42, numbers); // connect
        Assert.Contains(257, numbers); // openat
    }

    [RootFact]
    public void The_agent_leaves_nothing_attached_after_sigterm()
    {
        Assert.Contains("zd_exec", scenario.ProgramsWhileRunning);
        Assert.Contains("zd_sys_enter", scenario.ProgramsWhileRunning);
        Assert.Equal(0, scenario.AgentExitCode);
        Assert.Empty(scenario.ProgramsAfterExit);
        Assert.Contains("detached", scenario.AgentStderr);
        // Syscall results come from per-syscall exit tracepoints; tracefs, if the agent had to mount it for the
        // attach, is unmounted again: the host's mounts are as they were.
        Assert.Contains("syscall results: tracepoint syscalls/sys_exit_*", scenario.AgentStderr);
        using var status = JsonDocument.Parse(scenario.StatusJsonWhileRunning.Stdout);
        var attached = status.RootElement.GetProperty("attached").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains("tracepoint/syscalls/sys_exit_openat", attached);
        Assert.Contains("raw_tp/sys_enter", attached);
        Assert.DoesNotContain("raw_tp/sys_exit", attached); // loaded as the fallback, not attached
        Assert.Equal(scenario.TracefsMountedBefore, scenario.TracefsMountedAfter);
    }
}

[Collection("agent")]
public class AgentFloodTests
{
    [RootFact]
    public void A_flood_into_a_tiny_ring_buffer_is_counted_as_drops_not_a_crash()
    {
        using var dir = new TempDir();
        var target = dir.Combine("flood");
        using var agent = AgentRun.Start("--ringbuf-size", "4096", "--events", "open", "--stats-interval", "1");
        // 200k opens for writing while the agent reads nothing (stopped): a 4 KiB buffer holds a few dozen records,
        // whatever the machine's speed; the rest must be counted as drops, and the agent must go on once it runs again.
        agent.Pause();
        try
        {
            Tool.Run("python3", "-c", $"import os\nfor _ in range(200000):\n    os.close(os.open('{target}', os.O_WRONLY | os.O_CREAT, 0o600))");
        }
        finally
        {
            agent.Resume();
        }
        // Once it runs again it reads on: opens made now arrive (the buffer may have been full of other processes'
        // records before the flood began, so the flood's own may all be drops).
        Thread.Sleep(1000);
        var after = dir.Combine("after");
        Tool.Run("python3", "-c", $"import os, time\nfor _ in range(20):\n    os.close(os.open('{after}', os.O_WRONLY | os.O_CREAT, 0o600)); time.sleep(0.01)");
        Thread.Sleep(2500);
        var events = agent.Stop();
        Assert.True(agent.ExitCode == 0, agent.Stderr);
        var stats = events.Last(e => e.GetProperty("type").GetString() == "stats");
        var lost = stats.GetProperty("lost").GetProperty("open").GetInt64();
        var received = events.Count(e => e.GetProperty("type").GetString() == "open" && e.GetProperty("path").GetString() == target);
        Assert.True(lost > 0, $"no drops counted ({received} received): {agent.Stderr}");
        Assert.True(received + lost >= 200_000, $"received {received} + lost {lost} < 200000 opens");
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "open" && e.GetProperty("path").GetString() == after);
        Assert.Empty(agent.OursStillLoaded());
    }
}

[Collection("agent")]
public class AgentCheckTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    [RootFact]
    public void Check_reports_what_each_program_type_does_on_this_kernel()
    {
        var before = AgentRun.Loaded();
        var (code, stdout, stderr) = Run("dotnet", Dll, "agent", "--check");
        Assert.True(code == 0, stderr);
        foreach (var type in new[] { "tracepoint", "raw_tp", "tp_btf", "cgroup_sock_addr" })
            Assert.Matches($@"(?m)^  {type}\s+loads$", stdout);
        foreach (var type in new[] { "fentry", "lsm" })
            Assert.Matches($@"(?m)^  {type}\s+(loads|refused: E[A-Z]+ \(.+\))$", stdout);
        Assert.Contains("BTF present", stdout);
        Assert.Contains("ring buffer supported", stdout);
        Assert.Matches(@"sensor: loads \(\d+ programs\)", stdout);
        Assert.Contains("plan:", stdout);
        Assert.Empty(AgentRun.NewStillLoaded(before, "zd_", "probe_"));
    }

    [RootFact]
    public void Without_root_the_agent_says_so_in_one_line_and_exits_2()
    {
        var (code, stdout, stderr) = Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Dll, "agent", "--check");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("needs root", line);
    }

    [Fact]
    public void Bad_ring_buffer_sizes_and_event_names_are_usage_errors()
    {
        var (code, _, stderr) = Run("dotnet", Dll, "agent", "--ringbuf-size", "3000");
        Assert.Equal(2, code);
        Assert.Contains("power of two", stderr);
        (code, _, stderr) = Run("dotnet", Dll, "agent", "--events", "exec,bogus");
        Assert.Equal(2, code);
        Assert.Contains("unknown event type 'bogus'", stderr);
    }
}
