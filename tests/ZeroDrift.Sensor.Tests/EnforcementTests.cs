using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

[CollectionDefinition("enforce", DisableParallelization = true)]
public sealed class EnforceCollection;

/// <summary>
/// One busybox container (built locally, run with podman + runc) kept running for the enforcement tests, and a pin
/// root of their own under /sys/fs/bpf so that an agent another engineer runs on the machine is never disturbed.
/// The image holds /bin/busybox (with applet symlinks) and /usr/local/bin/echo, a second copy: same program, another file.
/// </summary>
public sealed class EnforcementFixture : IDisposable
{
    public string Image { get; } = $"localhost/zerodrift-enforce-bb-{Guid.NewGuid():N}:1";
    public string Name { get; } = $"zde-test-{Guid.NewGuid():N}";
    public string PinRoot { get; } = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
    public int Pid { get; }
    public string CgroupPath { get; } = "";
    public ulong CgroupId { get; }
    public IPAddress Gateway { get; } = IPAddress.None;
    private readonly TempDir dir = new();

    public EnforcementFixture()
    {
        if (new RootFactAttribute().Skip is not null) return;
        var root = dir.Combine("ctx/root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        Directory.CreateDirectory(Path.Combine(root, "usr/local/bin"));
        // Named after an applet so that busybox runs it as "echo" (it picks the applet from argv[0]).
        File.Copy("/bin/busybox", Path.Combine(root, "usr/local/bin/echo"));
        File.Copy("/bin/busybox", Path.Combine(root, "usr/local/bin/ls")); // the one test that modifies a file uses this one
        foreach (var applet in new[] { "sh", "cp", "cat", "echo", "nc", "sleep", "ls", "true" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        // A layer of its own: podman shares identical layers between images, and with them the files' identities, by
        // which other tests' enforcement (running at the same time) classifies new containers of their workloads.
        File.WriteAllText(Path.Combine(root, "image-id"), Guid.NewGuid().ToString());
        dir.File("ctx/Containerfile", "FROM scratch\nCOPY root/ /\nCMD [\"/bin/sh\"]\n");
        Tool.Run("podman", "build", "--runtime", "runc", "--quiet", "--tag", Image, dir.Combine("ctx"));
        Tool.Run("podman", "run", "--detach", "--name", Name, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Image, "sleep", "3600");
        Pid = int.Parse(Tool.Run("podman", "inspect", "--format", "{{.State.Pid}}", Name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        CgroupPath = File.ReadLines($"/proc/{Pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        CgroupId = StatInode(Path.Join(CgroupPaths.FindV2Root(), CgroupPath));
        Gateway = IPAddress.Parse(Tool.Run("podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}").Trim());
    }

    public static ulong StatInode(string path) => ulong.Parse(Tool.Run("stat", "-L", "-c", "%i", path).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>podman exec, returning what the command did (a killed command is a result, not an error).</summary>
    public (int Exit, string Stdout, string Stderr) Exec(params string[] command)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", "-i", Name }.Concat(command)) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"podman exec {string.Join(' ', command)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is not null)
        {
            dir.Dispose();
            return;
        }
        try { KernelEnforcer.Release(PinRoot); } catch (SensorException) { }
        try { Tool.Run("podman", "rm", "--force", "--time", "0", Name); } catch (InvalidOperationException) { }
        try { Tool.Run("podman", "rmi", "--force", Image); } catch (InvalidOperationException) { }
        dir.Dispose();
    }
}

/// <summary>Collects what the kernel blocked while a test acts, to assert on the records.</summary>
public sealed class BlockedReader : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;
    private readonly System.Collections.Concurrent.ConcurrentQueue<BlockedAction> seen = new();

    public BlockedReader(KernelEnforcer enforcer)
    {
        reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var a in enforcer.ReadBlockedAsync(stop.Token)) seen.Enqueue(a);
            }
            catch (OperationCanceledException) { }
        });
    }

    public async Task<BlockedAction> WaitFor(Func<BlockedAction, bool> match, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (seen.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(20);
        }
        throw new TimeoutException($"no matching blocked record within {timeoutMs} ms; seen: {string.Join("; ", seen)}");
    }

    public IReadOnlyList<BlockedAction> Seen => [.. seen];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await reading;
        stop.Dispose();
    }
}

[Collection("enforce")]
public sealed class EnforcementTests(EnforcementFixture box) : IClassFixture<EnforcementFixture>, IDisposable
{
    private const string Other = "/usr/local/bin/echo";
    private const int Killed = 137; // 128 + SIGKILL, as podman exec and .NET report a signalled process

    private KernelEnforcer? enforcer;
    private string policyKey = "";
    private uint policy;

    /// <summary>The test's enforcer with a fresh policy of its own, the box's cgroup under it (mode off until the test says).</summary>
    private KernelEnforcer Enforcer()
    {
        enforcer ??= KernelEnforcer.Open(box.PinRoot);
        Take(enforcer);
        return enforcer;
    }

    /// <summary>A fresh policy in <paramref name="e"/>, with the box's cgroup under it.</summary>
    private void Take(KernelEnforcer e)
    {
        policyKey = $"test/{Guid.NewGuid():N}";
        policy = e.PolicyFor(policyKey);
        e.AssignCgroup(box.CgroupId, policy);
    }

    private void Protect(KernelEnforcer e) => e.SetPolicy(policy, EnforcementMode.Protect, PolicyFlags.None);

    private string Root => RootedPath.RootOf(box.Pid);

    /// <summary>Allows files of the box by path, whatever their parent; returns how many resolved to a regular file.</summary>
    private int AllowExecutables(KernelEnforcer e, params string[] paths)
    {
        var resolved = 0;
        foreach (var path in paths)
        {
            if (KernelEnforcer.ResolveInRoot(Root, path) is not { } file) continue;
            e.AllowProcess(policy, file, ExecParent.Any, 0);
            resolved++;
        }
        return resolved;
    }

    private void TrustImage(KernelEnforcer e) => Assert.Equal(2, AllowExecutables(e, "/bin/sh", "/bin/busybox", "/bin/missing"));

    [RootFact]
    public async Task A_multi_call_file_is_allowed_by_parent_and_applet_name_and_killed_under_others()
    {
        var e = Enforcer();
        var busybox = KernelEnforcer.ResolveInRoot(Root, "/bin/busybox") ?? throw new InvalidOperationException("no /bin/busybox in the box");
        Assert.True(busybox.OnOverlay);
        Assert.Equal(busybox, KernelEnforcer.ResolveInRoot(Root, "/bin/sh")); // one file, several names
        Assert.Contains(KernelEnforcer.ListInRoot(Root, "/bin"), n => n.Name == "cat" && n.File == busybox);
        e.MarkMultiCall(policy, busybox, ProgramName.Hash("busybox"));
        // What a profile would say: sh started through the runtime's exec path (podman exec), echo started by sh.
        e.AllowProcess(policy, busybox, ExecParent.RuntimeExec, ProgramName.Hash("sh"));
        e.AllowProcess(policy, busybox, ExecParent.Of(busybox), ProgramName.Hash("echo"));
        Protect(e);
        await using var blocked = new BlockedReader(e);

        // `true` after the command keeps sh from exec'ing it in place: /bin/echo is sh's child.
        Assert.Equal((0, "by sh\n"), Pick(box.Exec("/bin/sh", "-c", "/bin/echo by sh; true")));
        Assert.Equal((0, "argv form\n"), Pick(box.Exec("/bin/busybox", "sh", "-c", "/bin/echo argv form; true")));
        // The same file under names the profile does not have, or with another parent (podman exec is not sh): killed.
        Assert.Equal((Killed, ""), Pick(box.Exec("/bin/cat", "/etc/hostname")));
        Assert.Equal((Killed, ""), Pick(box.Exec("/bin/echo", "echo from outside")));
        Assert.Equal((Killed, ""), Pick(box.Exec("/bin/busybox", "cat", "/etc/hostname")));
        var child = box.Exec("/bin/sh", "-c", "/bin/cat /etc/hostname; echo after");
        Assert.Equal("after\n", child.Stdout); // cat was killed, the shell went on
        // The kernel remembers whom it killed, for the agent to tell its own kills from the kernel's.
        var record = await blocked.WaitFor(b => b.Kind == "exec" && b.Inode == busybox.Inode);
        Assert.True(e.KilledAtExec(record.Pid, record.KernelTimeNs));
        Assert.False(e.KilledAtExec(record.Pid, record.KernelTimeNs + 5_000_000_000));
        Assert.Equal((policy, 0), (record.Policy, record.SignalResult));
        Assert.True(record.Stopped);
    }

    private static (int, string) Pick((int Exit, string Stdout, string Stderr) r) => (r.Exit, r.Stdout);

    [RootFact]
    public async Task Protect_runs_allowed_executables_and_kills_others_before_they_print()
    {
        var e = Enforcer();
        TrustImage(e);
        Protect(e);
        await using var blocked = new BlockedReader(e);

        var allowed = box.Exec("/bin/sh", "-c", "echo allowed");
        Assert.Equal((0, "allowed\n"), (allowed.Exit, allowed.Stdout));

        var denied = box.Exec(Other, "must-not-print");
        Assert.Equal(Killed, denied.Exit);
        Assert.Equal("", denied.Stdout);

        var record = await blocked.WaitFor(b => b.Kind == "exec" && b.Executable == Other);
        Assert.Equal(box.CgroupId, record.CgroupId);
        Assert.Equal(BlockReasons.NotAllowed, record.Reasons);
        Assert.Equal((FileId.OverlayDevice, EnforcementFixture.StatInode($"/proc/{box.Pid}/root{Other}")), (record.Device, record.Inode));
        Assert.True(record.Pid > 0);
        Assert.InRange(record.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [RootFact]
    public async Task A_binary_copied_in_at_run_time_is_killed_even_when_allowed_by_path()
    {
        var e = Enforcer();
        TrustImage(e);
        Assert.Equal(0, box.Exec("/bin/cp", "/bin/busybox", "/tmp/dropped").Exit);
        // The allow set would name it (same path resolution as for image files): the writable layer still wins.
        Assert.Equal(1, AllowExecutables(e, "/tmp/dropped"));
        Protect(e);
        await using var blocked = new BlockedReader(e);

        var run = box.Exec("/tmp/dropped", "echo", "drifted");
        Assert.Equal(Killed, run.Exit);
        Assert.Equal("", run.Stdout);
        var record = await blocked.WaitFor(b => b.Executable == "/tmp/dropped");
        Assert.True(record.Reasons.HasFlag(BlockReasons.WritableLayer), record.ToString());
        Assert.False(record.Reasons.HasFlag(BlockReasons.NotAllowed), "the identity stat gave must be what the kernel sees at exec");
    }

    [RootFact]
    public async Task An_image_file_modified_at_run_time_is_drift_though_it_keeps_its_inode()
    {
        var e = Enforcer();
        TrustImage(e);
        const string Tampered = "/usr/local/bin/ls";
        var before = EnforcementFixture.StatInode($"/proc/{box.Pid}/root{Tampered}");
        Assert.Equal(1, AllowExecutables(e, Tampered));
        // A write copies the file up to the writable layer; overlayfs keeps the inode number.
        Assert.Equal(0, box.Exec("/bin/sh", "-c", $"echo >> {Tampered}").Exit);
        Assert.Equal(before, EnforcementFixture.StatInode($"/proc/{box.Pid}/root{Tampered}"));
        Protect(e);
        await using var blocked = new BlockedReader(e);

        var run = box.Exec(Tampered, "/");
        Assert.Equal((Killed, ""), (run.Exit, run.Stdout));
        var record = await blocked.WaitFor(b => b.Executable == Tampered);
        Assert.Equal(BlockReasons.WritableLayer, record.Reasons);
    }

    [RootFact]
    public async Task Connect_outside_the_allowed_destinations_fails_with_EPERM_and_allowed_ones_work()
    {
        var e = Enforcer();
        TrustImage(e);
        using var allowedListener = new TcpListener(IPAddress.Any, 0);
        using var deniedListener = new TcpListener(IPAddress.Any, 0);
        allowedListener.Start();
        deniedListener.Start();
        var allowedPort = ((IPEndPoint)allowedListener.LocalEndpoint).Port;
        var deniedPort = ((IPEndPoint)deniedListener.LocalEndpoint).Port;
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var udpPort = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        e.AllowDestination(policy, box.Gateway, 32, allowedPort);
        e.AllowDestination(policy, box.Gateway, 32, udpPort);
        Protect(e);
        await using var blocked = new BlockedReader(e);

        var accept = AcceptAndClose(allowedListener);
        var ok = box.Exec("/bin/sh", "-c", $"echo hello | nc -w 2 {box.Gateway} {allowedPort}");
        Assert.Equal(0, ok.Exit);
        await accept.WaitAsync(TimeSpan.FromSeconds(10));

        var denied = box.Exec("/bin/sh", "-c", $"nc -w 2 {box.Gateway} {deniedPort} < /dev/null");
        Assert.NotEqual(0, denied.Exit);
        Assert.Contains("Operation not permitted", denied.Stderr, StringComparison.Ordinal);
        Assert.False(deniedListener.Pending());
        var record = await blocked.WaitFor(b => b.Kind == "connect" && b.Destination?.Port == deniedPort);
        Assert.Equal((box.Gateway, "tcp", box.CgroupId, policy), (record.Destination!.Address, record.Protocol, record.CgroupId, record.Policy));

        // UDP to an allowed peer still flows (busybox tftp sends its request with sendto, no connect); to another
        // port it is refused.
        var receive = udp.ReceiveAsync();
        box.Exec("/bin/busybox", "timeout", "2", "/bin/busybox", "tftp", "-g", "-r", "probe", "-l", "/dev/null", box.Gateway.ToString(), udpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var got = await receive.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("probe", Encoding.ASCII.GetString(got.Buffer), StringComparison.Ordinal);
        var udpDenied = box.Exec("/bin/busybox", "timeout", "2", "/bin/busybox", "tftp", "-g", "-r", "probe", "-l", "/dev/null", box.Gateway.ToString(), (udpPort + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("Operation not permitted", udpDenied.Stderr, StringComparison.Ordinal);
        var udpRecord = await blocked.WaitFor(b => b.Kind == "connect" && b.Destination?.Port == udpPort + 1);
        Assert.Equal("udp", udpRecord.Protocol);
    }

    /// <summary>Accepts one connection and closes it at once (busybox nc exits when the peer closes).</summary>
    private static Task AcceptAndClose(TcpListener listener) => Task.Run(async () =>
    {
        using var client = await listener.AcceptTcpClientAsync();
    });

    [RootFact]
    public async Task Dns_to_the_resolver_works_once_allowed_and_is_refused_before()
    {
        var e = Enforcer();
        TrustImage(e);
        using var resolver = new TinyResolver(box.Gateway, IPAddress.Parse("192.0.2.7"));
        Protect(e);
        await using var blocked = new BlockedReader(e);

        var refused = box.Exec("/bin/busybox", "timeout", "5", "/bin/busybox", "nslookup", "zerodrift.test", box.Gateway.ToString());
        Assert.DoesNotContain("192.0.2.7", refused.Stdout, StringComparison.Ordinal);
        var record = await blocked.WaitFor(b => b.Kind == "connect" && b.Destination?.Port == 53 && b.CgroupId == box.CgroupId);
        Assert.Equal((box.Gateway, "udp"), (record.Destination!.Address, record.Protocol));

        // Allowing the resolver while the container stays in protect takes effect at once.
        e.AllowDestination(policy, box.Gateway, 32, 53);
        var answered = box.Exec("/bin/busybox", "timeout", "5", "/bin/busybox", "nslookup", "zerodrift.test", box.Gateway.ToString());
        Assert.Contains("192.0.2.7", answered.Stdout, StringComparison.Ordinal);
    }

    [RootFact]
    public void Mistakes_are_one_clear_error_and_change_nothing()
    {
        var e = Enforcer();
        var unknown = Assert.Throws<SensorException>(() => e.SetPolicy(policy + 7_777, EnforcementMode.Protect, PolicyFlags.None));
        Assert.Contains("does not exist", unknown.Message, StringComparison.Ordinal);
        Assert.Null(e.Policy(policy + 7_777));
        Assert.Equal(EnforcementMode.Off, e.Policy(policy)!.Value.Mode);
        Assert.Throws<ArgumentOutOfRangeException>(() => e.AllowDestination(policy, IPAddress.Loopback, 33, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => e.AllowDestination(policy, IPAddress.IPv6Loopback, 64, 70000));
        Assert.Throws<SensorException>(() => e.SetClassificationScope("/no-such-cgroup-zde"));
        // No BPF filesystem can be mounted inside /proc: one line, nothing left.
        var cannot = Assert.Throws<SensorException>(() => KernelEnforcer.Open("/proc/zde-no-bpffs"));
        Assert.Contains("not on a BPF filesystem", cannot.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', cannot.Message);
        // Relative and dotted paths inside the container stay inside it; missing ones are not counted.
        Assert.Equal(1, AllowExecutables(e, "/../../bin/busybox", "relative/sh", "/nope"));
        Assert.Null(KernelEnforcer.ResolveInRoot(Root, "/bin")); // a directory is no executable
    }

    [RootFact]
    public async Task Monitor_blocks_nothing()
    {
        var e = Enforcer();
        TrustImage(e);
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        e.SetPolicy(policy, EnforcementMode.Monitor, PolicyFlags.None);
        await using var blocked = new BlockedReader(e);

        var other = box.Exec(Other, "runs");
        Assert.Equal((0, "runs\n"), (other.Exit, other.Stdout));
        var accept = AcceptAndClose(listener);
        Assert.Equal(0, box.Exec("/bin/sh", "-c", $"nc -w 2 {box.Gateway} {port} < /dev/null").Exit);
        await accept.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        Assert.DoesNotContain(blocked.Seen, b => b.CgroupId == box.CgroupId);
        Assert.Equal(EnforcementMode.Monitor, e.Policy(policy)!.Value.Mode);
    }

    [RootFact]
    public async Task Fileless_execution_from_a_memfd_is_killed_in_protect()
    {
        using var cgroup = new ScratchCgroup();
        var e = Enforcer();
        e.AssignCgroup(cgroup.Id, policy);
        // The host's busybox is allowed by path: the memfd holding the same bytes is still drift.
        e.AllowProcess(policy, KernelEnforcer.ResolveInRoot("/", "/bin/busybox")!.Value, ExecParent.Any, 0);
        Protect(e);
        await using var blocked = new BlockedReader(e);
        try
        {
            var run = cgroup.RunPython(
                "import os\nfd = os.memfd_create('zde-fileless')\nos.write(fd, open('/bin/busybox', 'rb').read())\n"
                + "os.execv(f'/proc/self/fd/{fd}', ['echo', 'fileless-ran'])");
            Assert.Equal((Killed, ""), (run.Exit, run.Stdout));
            var record = await blocked.WaitFor(b => b.CgroupId == cgroup.Id && b.Kind == "exec");
            Assert.True(record.Reasons.HasFlag(BlockReasons.Memfd), record.ToString());
        }
        finally
        {
            e.Forget(cgroup.Id);
        }
    }

    [RootFact]
    public void A_pinned_root_still_resolves_after_its_process_exited()
    {
        // A short-lived container's process may exit while its files are resolved: the pinned root keeps them. (A
        // mount namespace and a root of its own, as a container's process has: a process on the host's is no
        // container's, see below.)
        using var rootfs = new TempDir();
        Directory.CreateDirectory(rootfs.Combine("bin"));
        File.Copy("/bin/busybox", rootfs.Combine("bin/busybox"));
        using var sleeper = Process.Start("unshare", $"--mount --root={rootfs.Path} /bin/busybox sleep 30")!;
        Thread.Sleep(300); // unshare has exec'd sleep, in its own mount namespace and root
        using var pinned = PinnedRoot.Of(sleeper.Id);
        var before = KernelEnforcer.ResolveInRoot(pinned.Path, "/bin/busybox");
        Assert.NotNull(before);
        sleeper.Kill();
        sleeper.WaitForExit();
        Assert.Null(KernelEnforcer.ResolveInRoot(RootedPath.RootOf(sleeper.Id), "/bin/busybox"));
        Assert.Equal(before, KernelEnforcer.ResolveInRoot(pinned.Path, "/bin/busybox"));
        Assert.Contains(KernelEnforcer.ListInRoot(pinned.Path, "/bin"), n => n.Name == "busybox");
        Assert.Throws<ContainerProcessGoneException>(() => PinnedRoot.Of(sleeper.Id));
        // The runtime's init before it enters the container (in its cgroup, still in the host's mount namespace):
        // its root is the host's, never a container's.
        var host = Assert.Throws<ContainerProcessGoneException>(() => PinnedRoot.Of(Environment.ProcessId));
        Assert.Contains("host's mount namespace", host.Message, StringComparison.Ordinal);
        // Then in a mount namespace of its own, before it pivots to the container's root: still the host's root.
        using var unpivoted = Process.Start("unshare", "--mount sleep 30")!;
        try
        {
            Thread.Sleep(300);
            var early = Assert.Throws<ContainerProcessGoneException>(() => PinnedRoot.Of(unpivoted.Id));
            Assert.Contains("host's root", early.Message, StringComparison.Ordinal);
        }
        finally
        {
            unpivoted.Kill();
            unpivoted.WaitForExit();
        }
    }

    [RootFact]
    public void The_host_mount_namespace_is_never_enforced()
    {
        // A cgroup under a policy in protect with nothing allowed: the same exec is killed from a mount namespace of
        // its own (a container's) and runs from the host's (where runtimes start their helpers into the cgroup).
        using var cgroup = new ScratchCgroup();
        var e = Enforcer();
        e.AssignCgroup(cgroup.Id, policy);
        Protect(e);
        try
        {
            const string Spawn = "pid = os.posix_spawn('/bin/true', ['/bin/true'], {})\n_, status = os.waitpid(pid, 0)\nprint(os.WIFSIGNALED(status) and os.WTERMSIG(status))";
            Assert.Equal("9", cgroup.RunPython(Spawn).Stdout.Trim());
            Assert.Equal("False", cgroup.RunPython(Spawn, ownMountNamespace: false).Stdout.Trim());
        }
        finally
        {
            e.Forget(cgroup.Id);
        }
    }

    [RootFact]
    public void A_flood_of_denied_execs_is_all_killed_and_records_that_do_not_fit_are_counted()
    {
        using var cgroup = new ScratchCgroup();
        // A fresh root: its ring is empty and nobody reads it, so 5,000 records cannot all fit in 1 MiB.
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        try
        {
            using var e = KernelEnforcer.Open(root);
            var flood = e.PolicyFor("test/flood");
            e.SetPolicy(flood, EnforcementMode.Protect, PolicyFlags.None);
            e.AssignCgroup(cgroup.Id, flood);
            var run = cgroup.RunPython(
                "killed = 0\nfor _ in range(5000):\n    pid = os.posix_spawn('/bin/true', ['/bin/true'], {})\n"
                + "    _, status = os.waitpid(pid, 0)\n    killed += os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9\nprint(killed)");
            Assert.Equal((0, "5000"), (run.Exit, run.Stdout.Trim()));
            Assert.InRange(e.LostRecords(), 1UL, 5000UL);
            e.Forget(cgroup.Id);
        }
        finally
        {
            KernelEnforcer.Release(root);
        }
    }

    [RootFact]
    public void Udp_sendto_without_connect_is_refused_outside_the_model()
    {
        using var cgroup = new ScratchCgroup();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        var e = Enforcer();
        e.AssignCgroup(cgroup.Id, policy);
        e.AllowDestination(policy, IPAddress.Loopback, 8, port);
        e.AllowDestination(policy, IPAddress.IPv6Loopback, 128, port);
        Protect(e);
        try
        {
            var run = cgroup.RunPython(
                "import socket, errno\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                + $"s.sendto(b'ok', ('127.0.0.1', {port}))\nprint('allowed sent')\n"
                + $"try:\n    s.sendto(b'no', ('127.0.0.1', {port + 1}))\n    print('denied sent')\nexcept PermissionError:\n    print('EPERM')\n"
                + $"s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
                + $"try:\n    s6.sendto(b'no', ('::ffff:127.0.0.1', {port + 1}))\n    print('mapped sent')\nexcept PermissionError:\n    print('mapped EPERM')\n"
                + $"s6.sendto(b'ok', ('::1', {port}))\nprint('v6 sent')\n"
                + $"try:\n    s6.sendto(b'no', ('::1', {port + 1}))\n    print('v6 denied sent')\nexcept PermissionError:\n    print('v6 EPERM')\n");
            Assert.Equal((0, "allowed sent\nEPERM\nmapped EPERM\nv6 sent\nv6 EPERM\n"), (run.Exit, run.Stdout));
            // Removing the policy takes the cgroup out from under it: nothing is refused any more.
            e.RemovePolicy(policy);
            Assert.Null(e.CgroupOf(cgroup.Id));
            var after = cgroup.RunPython($"import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'ok', ('127.0.0.1', {port + 1}))\nprint('sent')");
            Assert.Equal((0, "sent\n"), (after.Exit, after.Stdout));
        }
        finally
        {
            e.Forget(cgroup.Id);
        }
    }

    [RootFact]
    public async Task Enforcement_outlives_the_enforcer_and_a_new_Open_reuses_the_pins()
    {
        var first = Enforcer();
        enforcer = null;
        var ids = first.ProgramIds();
        TrustImage(first);
        Protect(first);
        Assert.NotEmpty(OwnBpfProgramIds().Intersect(ids)); // the check below can see our descriptors
        first.Dispose();
        // This process holds no descriptor on the programs any more, as if it had exited: only the pins keep them.
        Assert.Empty(OwnBpfProgramIds().Intersect(ids));

        var afterExit = box.Exec(Other, "x");
        Assert.Equal((Killed, ""), (afterExit.Exit, afterExit.Stdout));
        Assert.Equal(0, box.Exec("/bin/sh", "-c", "true").Exit);

        using var second = KernelEnforcer.Open(box.PinRoot);
        Assert.True(second.Reused);
        Assert.Equal(ids, second.ProgramIds());
        Assert.Equal(new CgroupAssignment(policy, CgroupOrigin.Agent), second.CgroupOf(box.CgroupId));
        Assert.Equal(EnforcementMode.Protect, second.Policy(policy)!.Value.Mode);
        Assert.Equal(EnforcementMode.Protect, second.Modes()[box.CgroupId]);
        // The workload finds its policy again by its key, as a restarted agent would.
        Assert.Equal(policy, second.PolicyFor(policyKey));
        Assert.Equal(1, AgentRun.LoadedPrograms().Count(n => n == "zde_exec") - OtherExecPrograms(ids[0]));
        // What was blocked while nobody read is still in the pinned ring.
        await using var blocked = new BlockedReader(second);
        await blocked.WaitFor(b => b.Executable == Other && b.CgroupId == box.CgroupId);
        second.Forget(box.CgroupId);
    }

    /// <summary>Ids of the BPF programs this process holds a descriptor on (/proc/self/fdinfo "prog_id:").</summary>
    private static IEnumerable<uint> OwnBpfProgramIds()
    {
        var ids = new List<uint>();
        foreach (var info in Directory.EnumerateFiles("/proc/self/fdinfo"))
        {
            try
            {
                foreach (var line in File.ReadLines(info))
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        ids.Add(uint.Parse(line[8..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException) { } // a descriptor closed while we read
        }
        return ids;
    }

    /// <summary>zde_exec programs loaded by others on this machine (another engineer's agent), not ours.</summary>
    private static int OtherExecPrograms(uint ours) =>
        BpfToolIds("zde_exec").Count(id => id != ours);

    private static IReadOnlyList<uint> BpfToolIds(string name)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(Tool.Run("bpftool", "--json", "prog", "show"));
        return [.. doc.RootElement.EnumerateArray()
            .Where(p => p.TryGetProperty("name", out var n) && n.GetString() == name)
            .Select(p => p.GetProperty("id").GetUInt32())];
    }

    [RootFact]
    public void Leftovers_of_an_interrupted_load_are_replaced_and_foreign_pins_refused()
    {
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        try
        {
            // Only a map pinned (a load that died half-way): Open starts clean.
            BpfFileSystem.Ensure(root);
            Directory.CreateDirectory(root);
            Tool.Run("bpftool", "map", "create", $"{root}/zde_policy", "type", "hash", "key", "4", "value", "16", "entries", "4", "name", "zde_policy");
            using (var e = KernelEnforcer.Open(root))
            {
                Assert.False(e.Reused);
                Assert.Empty(e.Policies());
                Assert.Null(e.CgroupOf(box.CgroupId));
            }

            // A complete set pinned by another build (same shapes, another object): refused, never misread.
            Tool.Run("bpftool", "map", "update", "pinned", $"{root}/zde_version", "key", "0", "0", "0", "0", "value", "1", "2", "3", "4", "5", "6", "7", "8");
            var otherBuild = Assert.Throws<SensorException>(() => KernelEnforcer.Open(root));
            Assert.Contains("another ZeroDrift build", otherBuild.Message, StringComparison.Ordinal);

            // A complete set whose map has another shape (another build): refused with one line, nothing misread.
            File.Delete($"{root}/zde_cgroup");
            Tool.Run("bpftool", "map", "create", $"{root}/zde_cgroup", "type", "hash", "key", "4", "value", "4", "entries", "4", "name", "zde_cgroup");
            var foreign = Assert.Throws<SensorException>(() => KernelEnforcer.Open(root));
            Assert.Contains("another ZeroDrift version", foreign.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', foreign.Message);

            // A complete load missing a pin this build has (an older layout): refused too, and left as it is.
            File.Delete($"{root}/zde_lost");
            var older = Assert.Throws<SensorException>(() => KernelEnforcer.Open(root));
            Assert.Contains("missing zde_lost", older.Message, StringComparison.Ordinal);
            Assert.True(File.Exists($"{root}/zde_exec_link"));
        }
        finally
        {
            KernelEnforcer.Release(root);
        }
        Assert.False(Directory.Exists(root));
    }

    [RootFact]
    public async Task Disposing_the_enforcer_ends_a_running_reader_and_a_second_reader_is_refused()
    {
        var e = KernelEnforcer.Open(box.PinRoot);
        var read = Task.Run(async () =>
        {
            await foreach (var _ in e.ReadBlockedAsync(CancellationToken.None)) { }
        });
        await Task.Delay(300);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in e.ReadBlockedAsync(CancellationToken.None)) { }
        });
        e.Dispose();
        await read.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Throws<ObjectDisposedException>(() => e.SetPolicy(1, EnforcementMode.Protect, PolicyFlags.None));
    }

    [RootFact]
    public void Release_leaves_no_program_link_or_pin()
    {
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        IReadOnlyList<uint> ids;
        using (var e = KernelEnforcer.Open(root))
        {
            Assert.False(e.Reused);
            ids = e.ProgramIds();
            Assert.All(ids, id => Assert.NotEqual(0u, id));
            Assert.Equal(5, ids.Count); // exec, and connect and sendmsg for both families at the hierarchy's root
            Take(e);
            TrustImage(e);
            Protect(e);
            Assert.Equal(Killed, box.Exec(Other, "ok").Exit);
        }
        KernelEnforcer.Release(root);

        Assert.False(Directory.Exists(root));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<uint> left;
        do
        {
            using var doc = System.Text.Json.JsonDocument.Parse(Tool.Run("bpftool", "--json", "prog", "show"));
            left = [.. doc.RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetUInt32()).Where(ids.Contains)];
            if (left.Count == 0) break;
            Thread.Sleep(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Empty(left);
        using (var links = System.Text.Json.JsonDocument.Parse(Tool.Run("bpftool", "--json", "link", "show")))
            Assert.DoesNotContain(links.RootElement.EnumerateArray(), l => ids.Contains(l.GetProperty("prog_id").GetUInt32()));
        Assert.Equal(0, box.Exec(Other, "ok").Exit);
        KernelEnforcer.Release(root); // releasing twice is harmless
    }

    [RootFact]
    public void Zerodrift_agent_release_enforcement_removes_what_a_stopped_agent_left()
    {
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        using (var e = KernelEnforcer.Open(root))
        {
            Take(e);
            TrustImage(e);
            Protect(e);
        }
        Assert.Equal(Killed, box.Exec(Other, "ok").Exit);

        var (exit, stderr) = Zerodrift("agent", "--release-enforcement", "--pin-root", root);
        Assert.Equal(0, exit);
        Assert.Contains("released", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var run = box.Exec(Other, "ok");
        while (run.Exit != 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100); // the kernel frees an unpinned link after an RCU grace period
            run = box.Exec(Other, "ok");
        }
        Assert.Equal((0, "ok\n"), (run.Exit, run.Stdout));

        // A pin root that is not on bpffs: one line, exit 2.
        var (badExit, badErr) = Zerodrift("agent", "--release-enforcement", "--pin-root", "/tmp");
        Assert.Equal(2, badExit);
        Assert.Single(badErr.Trim().Split('\n'));
        Assert.Contains("not on a BPF filesystem", badErr, StringComparison.Ordinal);
    }

    private static (int Exit, string Stderr) Zerodrift(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr.Result);
    }

    public void Dispose()
    {
        // Leave the container unenforced whatever the test did, so the next test starts from a known state.
        if (box.CgroupId != 0)
            using (var e = KernelEnforcer.Open(box.PinRoot))
            {
                e.Forget(box.CgroupId);
                if (policyKey.Length > 0 && e.Policy(policy)?.Owner == KernelEnforcer.Owner(policyKey)) e.RemovePolicy(policy);
            }
        enforcer?.Dispose();
    }
}

/// <summary>A cgroup v2 directory of the test's own (no container needed) to run host processes under enforcement.</summary>
public sealed class ScratchCgroup : IDisposable
{
    public string Path { get; } = $"/zerodrift-enforce-test-{Guid.NewGuid():N}";
    public string FullPath { get; }
    public ulong Id { get; }

    public ScratchCgroup()
    {
        FullPath = System.IO.Path.Join(CgroupPaths.FindV2Root(), Path);
        Directory.CreateDirectory(FullPath);
        Id = EnforcementFixture.StatInode(FullPath);
    }

    /// <summary>Runs a Python script whose process has moved itself into this cgroup first, in a mount namespace of
    /// its own: enforcement never acts on processes of the host's (a container's runtime helpers run there).</summary>
    public (int Exit, string Stdout, string Stderr) RunPython(string script, bool ownMountNamespace = true)
    {
        var start = new ProcessStartInfo(ownMountNamespace ? "unshare" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ownMountNamespace)
        {
            start.ArgumentList.Add("--mount");
            start.ArgumentList.Add("python3");
        }
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"import os\nopen('{FullPath}/cgroup.procs', 'w').write(str(os.getpid()))\n{script}");
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the python script did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        // The processes have exited; the kernel lets an empty cgroup go with rmdir.
        for (var i = 0; i < 50; i++)
        {
            try { Directory.Delete(FullPath); return; }
            catch (IOException) { Thread.Sleep(100); }
        }
    }
}

/// <summary>A DNS server of a few lines on UDP port 53 of one address: answers every A question with one address
/// and every other question with no answer.</summary>
public sealed class TinyResolver : IDisposable
{
    private readonly UdpClient socket;
    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;

    public TinyResolver(IPAddress listen, IPAddress answer)
    {
        socket = Bind(new IPEndPoint(listen, 53));
        serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult query;
                try { query = await socket.ReceiveAsync(stop.Token); }
                catch (OperationCanceledException) { return; }
                catch (SocketException) { return; }
                if (Answer(query.Buffer, answer) is { } reply) await socket.SendAsync(reply, query.RemoteEndPoint);
            }
        });
    }

    /// <summary>Port 53 may be held for a moment by another session's test on this machine: wait for it.</summary>
    private static UdpClient Bind(IPEndPoint endpoint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try { return new UdpClient(endpoint); }
            catch (SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(250); }
        }
    }

    private static byte[]? Answer(byte[] q, IPAddress address)
    {
        var end = 12;
        while (end < q.Length && q[end] != 0) end += q[end] + 1;
        end += 5; // the root label, QTYPE, QCLASS
        if (q.Length < end) return null;
        var isA = q[end - 4] == 0 && q[end - 3] == 1;
        var reply = new List<byte>(q[..end]);
        reply[2] = 0x81; // response, recursion desired
        reply[3] = 0x80; // recursion available, NOERROR
        reply[6] = 0;
        reply[7] = (byte)(isA ? 1 : 0);
        reply[8] = reply[9] = reply[10] = reply[11] = 0;
        if (isA) reply.AddRange([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. address.GetAddressBytes()]);
        return [.. reply];
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        stop.Dispose();
    }
}
