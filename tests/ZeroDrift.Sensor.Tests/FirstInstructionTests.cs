using System.Net;
using System.Net.Sockets;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// Enforcement that is in place before a container exists: a policy published from the image alone, new containers
/// put under it by the kernel at their first exec, the runtime's two ways in told apart, drift prevention without a
/// profile, and the cleanup of cgroups that are gone. Real kernel, podman + runc; every image unique to its test.
/// </summary>
[Collection("enforce")]
public sealed class FirstInstructionTests
{
    private const int Killed = 137;

    /// <summary>The attack every new container makes in its entrypoint, at once: a binary copied in and run (as
    /// <c>busybox echo</c>: busybox dispatches on its own name), a memfd exec, a connect to a port nobody allowed;
    /// then a program the policy allows.</summary>
    private static string Attack(int port) =>
        $"cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN-COPY; /usr/local/bin/memfdexec; nc -w 2 {EnforcedImage.Gateway} {port} </dev/null && echo RAN-CONNECT; /usr/local/bin/echo LEARNED-RAN; true";

    [RootFact]
    public Task A_new_container_is_enforced_from_its_first_instruction_with_a_bpf_filesystem_mounted_beforehand()
    {
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        BpfFileSystem.Ensure(root);
        return FromTheFirstInstruction(root, expectMount: null);
    }

    [RootFact]
    public Task A_new_container_is_enforced_from_its_first_instruction_where_no_bpf_filesystem_was_mounted()
    {
        // Outside any BPF filesystem: Open mounts one on the pin root itself (the test never touches /sys/fs/bpf,
        // which other engineers' agents use; the private mount namespace test covers that one).
        var root = $"/run/zerodrift-test-{Guid.NewGuid():N}";
        Assert.False(BpfFileSystem.IsBpfFs(root[..root.LastIndexOf('/')]));
        return FromTheFirstInstruction(root, expectMount: root);
    }

    private static async Task FromTheFirstInstruction(string root, string? expectMount)
    {
        using var image = new EnforcedImage();
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var e = KernelEnforcer.Open(root);
        try
        {
            Assert.Equal(expectMount, e.MountedBpfFs);
            Assert.True(BpfFileSystem.IsBpfFs(root));
            var policy = e.PolicyFor($"test/first-instruction/{Guid.NewGuid():N}");
            // From the image alone, before any container of it exists: the entrypoint (sh, started by the runtime as
            // the container's init), and what it runs.
            var key = image.Publish(e, policy,
                ("/bin/busybox", "sh", ExecParent.Entry),
                ("/bin/busybox", "cp", "/bin/busybox"),
                ("/bin/busybox", "nc", "/bin/busybox"),
                ("/usr/local/bin/memfdexec", null, "/bin/busybox"),
                ("/usr/local/bin/echo", null, "/bin/busybox"));
            e.SetPolicy(policy, EnforcementMode.Protect, PolicyFlags.None);
            e.MapImage(key, policy);
            Assert.Equal(policy, e.Images()[key]);
            await using var blocked = new BlockedReader(e);

            const int Containers = 6;
            var suffix = Guid.NewGuid().ToString("N")[..12];
            var runs = await Task.WhenAll(Enumerable.Range(0, Containers).Select(i =>
                image.RunAsync($"zde-first-{suffix}-{i}", ["--rm"], "/bin/sh", "-c", Attack(port))));

            foreach (var run in runs)
            {
                Assert.DoesNotContain("RAN-COPY", run.Stdout, StringComparison.Ordinal);
                Assert.DoesNotContain("RAN-MEMFD", run.Stdout, StringComparison.Ordinal);
                Assert.DoesNotContain("RAN-CONNECT", run.Stdout, StringComparison.Ordinal);
                Assert.Contains("Operation not permitted", run.Stderr, StringComparison.Ordinal);
                Assert.Contains("LEARNED-RAN", run.Stdout, StringComparison.Ordinal); // a learned exec still runs
            }
            Assert.False(listener.Pending());

            // Each block is the kernel's: one record of each attack per container, each exec kill sent.
            var copies = await Records(blocked, Containers, b => b.Policy == policy && b.Executable == "/tmp/busybox");
            Assert.All(copies, b => Assert.Equal((true, 0), (b.Reasons.HasFlag(BlockReasons.WritableLayer), b.SignalResult)));
            var memfds = await Records(blocked, Containers, b => b.Policy == policy && b.Kind == "exec" && b.Reasons.HasFlag(BlockReasons.Memfd));
            Assert.All(memfds, b => Assert.True(b.Stopped));
            var connects = await Records(blocked, Containers, b => b.Policy == policy && b.Kind == "connect" && b.Destination?.Port == port);
            var cgroups = copies.Select(b => b.CgroupId).ToHashSet();
            Assert.Equal(Containers, cgroups.Count);
            Assert.Equal(cgroups, memfds.Select(b => b.CgroupId).ToHashSet());
            Assert.Equal(cgroups, connects.Select(b => b.CgroupId).ToHashSet());

            // The kernel put each container under the policy itself; they are gone now, and the sweep removes them.
            Assert.All(cgroups, c => Assert.Equal(new CgroupAssignment(policy, CgroupOrigin.Kernel), e.CgroupOf(c)));
            Assert.True(e.SweepGoneCgroups() >= Containers);
            Assert.All(cgroups, c => Assert.Null(e.CgroupOf(c)));

            // Removing the policy removes its image mapping and allow sets.
            e.RemovePolicy(policy);
            Assert.False(e.Images().ContainsKey(key));
            Assert.Null(e.Policy(policy));
        }
        finally
        {
            e.Dispose();
            KernelEnforcer.Release(root);
        }
        if (expectMount is not null) Assert.False(Directory.Exists(root)); // its own BPF filesystem unmounted, and removed
    }

    /// <summary>Waits for <paramref name="count"/> records from distinct cgroups matching <paramref name="match"/>.</summary>
    private static async Task<IReadOnlyList<BlockedAction>> Records(BlockedReader blocked, int count, Func<BlockedAction, bool> match)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var found = blocked.Seen.Where(match).GroupBy(b => b.CgroupId).Select(g => g.First()).ToList();
            if (found.Count >= count || Environment.TickCount64 > deadline) return found;
            await Task.Delay(50);
        }
    }

    [RootFact]
    public async Task A_shell_entering_through_podman_exec_is_not_the_entrypoints_shell()
    {
        using var image = new EnforcedImage();
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        var e = KernelEnforcer.Open(root);
        try
        {
            var policy = e.PolicyFor($"test/runtime-exec/{Guid.NewGuid():N}");
            // The entrypoint is a shell looping over sleep; the health check through `podman exec` is echo.
            var key = image.Publish(e, policy,
                ("/bin/busybox", "sh", ExecParent.Entry),
                ("/bin/busybox", "sleep", "/bin/busybox"),
                ("/usr/local/bin/echo", null, ExecParent.RuntimeExec));
            e.MapImage(key, policy);
            e.SetPolicy(policy, EnforcementMode.Protect, PolicyFlags.None);
            await using var blocked = new BlockedReader(e);
            var name = image.Start($"zde-exec-{Guid.NewGuid():N}", "/bin/sh", "-c", "while true; do sleep 1; done");
            Thread.Sleep(2500);
            Assert.Equal("true", Tool.Run("podman", "inspect", "--format", "{{.State.Running}}", name).Trim()); // its own shell and sleeps run

            var shell = await EnforcedImage.Podman(TimeSpan.FromSeconds(60), "exec", name, "/bin/sh", "-c", "echo written > /etc/entered; echo SHELL-RAN");
            Assert.Equal((Killed, ""), (shell.Exit, shell.Stdout));
            var check = await EnforcedImage.Podman(TimeSpan.FromSeconds(60), "exec", name, "/usr/local/bin/echo", "EXEC-RAN");
            Assert.Equal((0, "EXEC-RAN\n"), (check.Exit, check.Stdout));
            // podman exec of the entrypoint's own program as a shell: killed too (sh is allowed as the entry only).
            Assert.Equal(Killed, (await EnforcedImage.Podman(TimeSpan.FromSeconds(60), "exec", name, "/bin/busybox", "sh", "-c", "true")).Exit);

            var merged = Tool.Run("podman", "mount", name).Trim();
            Assert.False(File.Exists(Path.Combine(merged, "etc/entered")));
            var record = await blocked.WaitFor(b => b.Policy == policy && b.Executable == "/bin/sh");
            Assert.Equal((BlockReasons.NotAllowed, 0), (record.Reasons, record.SignalResult));
            var pid = int.Parse(Tool.Run("podman", "inspect", "--format", "{{.State.Pid}}", name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var cgroup = CgroupIdOf(pid);
            Assert.Equal(new CgroupAssignment(policy, CgroupOrigin.Kernel), e.CgroupOf(cgroup));
            Assert.Equal(record.CgroupId, cgroup);
            // The running container's root mount gives the key the image mount gave, which is what the kernel read.
            Assert.Equal(key, KernelEnforcer.ImageKeyOfProcess(pid));
            Assert.Null(KernelEnforcer.ImageKeyOfProcess(Environment.ProcessId)); // the host's root is no overlay
        }
        finally
        {
            e.Dispose();
            KernelEnforcer.Release(root);
        }
    }

    /// <summary>The cgroup v2 id of a process (the inode of its cgroup's directory).</summary>
    internal static ulong CgroupIdOf(int pid)
    {
        var path = File.ReadLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        return EnforcementFixture.StatInode(Path.Join(CgroupPaths.FindV2Root(), path));
    }

    [RootFact]
    public async Task Drift_prevention_without_a_profile_kills_what_was_written_at_run_time_and_runs_the_image()
    {
        using var image = new EnforcedImage();
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        // The default container policy applies to every container nobody mapped: scoped to a cgroup of this test's
        // own, so that no other engineer's container on the machine is touched.
        var scope = $"/zde-scope-{Guid.NewGuid():N}";
        var scopeDir = Path.Join(CgroupPaths.FindV2Root(), scope);
        Directory.CreateDirectory(scopeDir);
        var e = KernelEnforcer.Open(root);
        try
        {
            var drift = e.PolicyFor($"test/drift-prevention/{Guid.NewGuid():N}");
            e.SetPolicy(drift, EnforcementMode.Off, PolicyFlags.DriftPrevention);
            e.SetClassificationScope(scope);
            e.SetDefaultContainerPolicy(drift);
            Assert.Equal(drift, e.DefaultContainerPolicy());
            await using var blocked = new BlockedReader(e);

            const string Script = "cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN-COPY; /usr/local/bin/memfdexec; /bin/echo IMAGE-RAN; /usr/local/bin/echo IMAGE-RAN-TOO";
            var inside = await image.RunAsync($"zde-drift-{Guid.NewGuid():N}", ["--rm", "--cgroup-parent", scope], "/bin/sh", "-c", Script);
            Assert.DoesNotContain("RAN-COPY", inside.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("RAN-MEMFD", inside.Stdout, StringComparison.Ordinal);
            Assert.Contains("IMAGE-RAN\n", inside.Stdout, StringComparison.Ordinal);
            Assert.Contains("IMAGE-RAN-TOO", inside.Stdout, StringComparison.Ordinal);
            var copy = await blocked.WaitFor(b => b.Policy == drift && b.Executable == "/tmp/busybox");
            Assert.Equal((BlockReasons.WritableLayer | BlockReasons.DriftPrevention, 0), (copy.Reasons, copy.SignalResult));
            var memfd = await blocked.WaitFor(b => b.Policy == drift && b.Reasons.HasFlag(BlockReasons.Memfd));
            Assert.True(memfd.Reasons.HasFlag(BlockReasons.DriftPrevention));
            // Not recorded: a mapping published later would still apply to the container's next exec.
            Assert.DoesNotContain(e.Cgroups().Values, c => c.Policy == drift);

            // Outside the scope the default does not apply.
            var outside = await image.RunAsync($"zde-drift-{Guid.NewGuid():N}", ["--rm"], "/bin/sh", "-c", "cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN-OUTSIDE");
            Assert.True(outside.Stdout.Contains("RAN-OUTSIDE", StringComparison.Ordinal), $"exit {outside.Exit}: {outside.Stderr}");
        }
        finally
        {
            e.SetDefaultContainerPolicy(null);
            e.SetClassificationScope(null);
            e.Dispose();
            KernelEnforcer.Release(root);
            EnforcedImage.RemoveCgroupEverywhere(scope);
        }
    }

    [RootFact]
    public void A_cgroup_that_is_gone_leaves_no_entry_after_forget_or_the_sweep()
    {
        var root = $"/sys/fs/bpf/zerodrift-test-{Guid.NewGuid():N}";
        using var alive = new ScratchCgroup();
        try
        {
            using var e = KernelEnforcer.Open(root);
            var policy = e.PolicyFor("test/sweep");
            var forgotten = new ScratchCgroup();
            var gone = new ScratchCgroup();
            e.AssignCgroup(alive.Id, policy);
            e.AssignCgroup(forgotten.Id, policy);
            e.AssignCgroup(gone.Id, policy);
            Assert.Equal(3, e.Cgroups().Count);

            e.Forget(forgotten.Id);
            Assert.Null(e.CgroupOf(forgotten.Id));
            forgotten.Dispose();
            gone.Dispose(); // a container that ended while nobody watched
            Assert.NotNull(e.CgroupOf(gone.Id));
            Assert.Equal(1, e.SweepGoneCgroups());
            Assert.Equal(new Dictionary<ulong, CgroupAssignment> { [alive.Id] = new(policy, CgroupOrigin.Agent) }, e.Cgroups());
            Assert.Equal(0, e.SweepGoneCgroups());
        }
        finally
        {
            KernelEnforcer.Release(root);
        }
    }
}
