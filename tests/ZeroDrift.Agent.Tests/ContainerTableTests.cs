using System.Net;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Server.Client;
using static ZeroDrift.Agent.Tests.Harness;

namespace ZeroDrift.Agent.Tests;

/// <summary>One owner of per-container state: the container table's lifecycle, forgetting as one removal that reaches
/// everything, and the loop's single thread.</summary>
public sealed class ContainerTableTests
{
    [Fact]
    public void A_container_is_discovered_awaits_its_process_is_enforced_in_a_mode_and_when_gone_everything_returns_to_its_size_before()
    {
        var records = new List<AgentRecord>();
        using var h = new Harness(ProfileMode.Protect, uplink: records.Add);
        h.Loop.AttachSensor(h.Sensor);
        h.Loop.Drain();

        // A first container of the workload comes and goes: the sizes it leaves are the baseline (the cgroup tree's
        // parents the attributor walked stay, as they stay on a node).
        Lifecycle(h, h.OtherCgroup, h.OtherCgroupDir, P + 900, "web-2");
        var baseline = h.Loop.Sizes();
        Assert.Equal((0, 0, 0, 0, 0, 0), (baseline.Containers, baseline.Workloads, baseline.Processes, baseline.Executables, baseline.UserTables, baseline.AttributedCgroups));

        // The same for the next one, step by step.
        var entry = Lifecycle(h, h.Cgroup, h.CgroupDir, P + 100, "web-1");
        Assert.Equal(ContainerState.Gone, entry.State);
        Assert.Null(h.Loop.Container(h.Cgroup));
        Assert.Contains(h.Cgroup, h.Enforcement.Forgotten);
        Assert.Contains(h.Cgroup, h.Sensor.Forgotten);
        Assert.DoesNotContain(h.Cgroup, h.Sensor.Watched.Keys);
        // The cgroup paths a walk of the tree found stay until the next walk, which starts over from the tree.
        var after = h.Loop.Sizes();
        Assert.Equal(baseline with { CgroupPaths = 0 }, after with { CgroupPaths = 0 });
        Assert.True(after.CgroupPaths < baseline.CgroupPaths, $"{after.CgroupPaths} cgroup paths, {baseline.CgroupPaths} before");
        // The workload's last container is gone: the server gets its profile then.
        Assert.IsType<ProfileRecord>(records[^1]);
    }

    /// <summary>Discovered → awaiting its process → enforced (protect, then monitor) → gone, checked at each step.</summary>
    private static ContainerEntry Lifecycle(Harness h, ulong cgroup, string cgroupDir, int pid, string name)
    {
        // The runtime's init is the only process the cgroup lists: files cannot be resolved through it yet.
        h.Members(cgroupDir, (pid, "runc:[2:INIT]"));
        h.Feed(h.Exec(pid, 1, "/", ["runc", "init"], ExeFlags.None, cgroup: cgroup));
        var entry = h.Loop.Container(cgroup)!;
        Assert.Equal((ContainerState.AwaitingProcess, ProfileMode.Protect), (entry.State, entry.Mode));
        Assert.Contains(h.Log, l => l == $"enforcement for container {name} waits for the container's first program");
        // runc init executes the entrypoint: the container's own process, through which the profile is resolved.
        h.Members(cgroupDir, (pid, "httpd"));
        h.Feed(h.Exec(pid, 1, "/bin/busybox", ["/bin/httpd"], cgroup: cgroup));
        Assert.Equal((ContainerState.Enforced, ProfileMode.Protect), (entry.State, entry.Mode));
        Assert.Equal((cgroup, ProfileMode.Protect, pid), (h.Enforcement.Applied[^1].Container.CgroupId, h.Enforcement.Applied[^1].Mode, h.Enforcement.Applied[^1].Container.PidInContainer));
        Assert.DoesNotContain(cgroup, h.Sensor.Watched.Keys); // Protect: reads are not reported
        // A worker it forks, a user name read, a connection: what the agent keeps grows.
        h.ProcEntry(pid + 1, "httpd", ppid: pid);
        h.Feed(h.Open(pid + 1, "/etc/shadow", cgroup: cgroup));
        var during = h.Loop.Sizes();
        Assert.True(during is { Containers: 1, Workloads: 1, UserTables: 1, AttributedCgroups: 1 } && during.Processes >= 2, during.ToString());
        // The user switches the workload to Monitor: the same container, enforced in that mode, its reads watched.
        h.SwitchTo(ProfileMode.Monitor);
        Assert.Equal((ContainerState.Enforced, ProfileMode.Monitor), (entry.State, entry.Mode));
        Assert.Equal(WatchFlags.AllOpens, h.Sensor.Watched[cgroup]);
        h.SwitchTo(ProfileMode.Protect);
        // The container stops: its processes exit, its cgroup goes; the next housekeeping round forgets it.
        h.Feed(h.Exit(pid + 1, 0, cgroup));
        h.Feed(h.Exit(pid, 0, cgroup));
        h.Stop(cgroupDir);
        Assert.Same(entry, h.Loop.Container(cgroup)); // not before the round
        h.Tick();
        Assert.Equal(ContainerState.Gone, entry.State);
        return entry;
    }

    [Fact]
    public void Forgetting_a_container_takes_the_processes_and_executables_whose_exit_was_never_read()
    {
        using var h = new Harness();
        h.Loop.Drain();
        var before = h.Loop.Sizes();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"], extra: new ExecExtra { Inode = 42, Device = 77 }));
        h.Feed(h.Exec(P + 101, P + 100, "/bin/sh", ["sh"], extra: new ExecExtra { Inode = 43, Device = 77 }));
        Assert.Equal((2, 2), (h.Loop.Sizes().Processes, h.Loop.Sizes().Executables));
        // The exits were lost (a full ring): the container's cgroup goes all the same.
        h.Stop();
        h.Tick();
        Assert.Equal(before with { CgroupPaths = 0 }, h.Loop.Sizes() with { CgroupPaths = 0 });
    }

    [Fact]
    public async Task A_gone_containers_executable_hashes_leave_the_cache_and_the_hosts_stay()
    {
        using var dir = new TempDir();
        var content = dir.File("busybox", "not really busybox");
        FileFacts facts;
        using (var handle = File.OpenHandle(content)) facts = RootedPath.Stat(handle)!.Value;
        using var hashes = new ExecutableHashes((_, _) => File.OpenHandle(content));
        using var h = new Harness(hashes: hashes);
        h.Loop.Drain();
        // The same file run in the container (on its overlay: a device of the container's own) and on the host.
        var file = new ExecExtra { Inode = facts.Inode, Size = (ulong)facts.Size, MtimeNs = facts.MtimeNs };
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"], extra: file with { Device = 77 }));
        h.Feed(h.Exec(P + 200, 1, "/bin/busybox", ["busybox"], ExeFlags.None, extra: file with { Device = 41 }, cgroup: h.HostCgroup));
        await hashes.IdleAsync(TimeSpan.FromSeconds(10));
        h.Loop.Adopt();
        h.Loop.Drain();
        Assert.Equal(2, h.Loop.Sizes().ExecutableHashes);
        // The container goes: its overlay's hashes with it (a new container's overlay is a new device: they would
        // only pile up); the host's stays.
        h.Stop();
        h.Tick();
        Assert.Equal(1, h.Loop.Sizes().ExecutableHashes);
        Assert.NotNull(hashes.Get(new ExecutableKey(41, facts.Inode, (ulong)facts.Size, facts.MtimeNs)));
    }

    [Fact]
    public void Labels_fetched_later_move_the_container_to_its_pods_workload_and_the_old_one_goes_with_it()
    {
        using var h = new Harness(ProfileMode.Learn);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Assert.Equal("web", h.Loop.Container(h.Cgroup)!.Identity!.Workload);
        // The runtime's labels name a Kubernetes pod: fetched in the background, handed to the loop.
        h.Loop.Post(new LabelsFetched(h.Cgroup, new ContainerInfo(ContainerId, "podman", "web-1", "localhost/web:1", ImageId, Digest, "web-5d9f7", "shop", "0c1e")));
        h.Loop.Drain();
        var entry = h.Loop.Container(h.Cgroup)!;
        Assert.StartsWith("shop/", entry.Identity!.Workload, StringComparison.Ordinal);
        Assert.Equal("shop", entry.Binding.Kubernetes!.Namespace);
        Assert.Equal(1, h.Loop.Sizes().Workloads); // the name-based workload had no other container: gone
    }

#if DEBUG
    [Fact]
    public void Per_container_state_used_from_another_thread_than_the_loops_is_refused()
    {
        using var h = new Harness();
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        Exception? refused = null;
        var other = new Thread(() =>
        {
            try { h.Loop.Housekeeping(DateTimeOffset.UtcNow); }
            catch (InvalidOperationException e) { refused = e; }
        });
        other.Start();
        other.Join();
        Assert.NotNull(refused);
        Assert.Contains("belongs to the loop's thread", refused.Message);
    }
#endif

    [Fact]
    public void Inputs_posted_from_many_threads_are_handled_on_the_loops_thread_alone()
    {
        using var h = new Harness(ProfileMode.Monitor);
        h.Loop.AttachSensor(h.Sensor);
        h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        const int perThread = 200;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            try
            {
                for (var i = 0; i < perThread; i++)
                {
                    // Each kind of input another thread hands the loop: the timer's tick, the enforcer's records, the
                    // background work's results, the kernel's syscall sets.
                    h.Loop.Post((i % 4) switch
                    {
                        0 => new Tick(h.Clock.GetUtcNow()),
                        1 => new KernelBlocked(new BlockedAction("connect", h.Cgroup, P + 1000 + t * perThread + i, null, 0, 0, new IPEndPoint(IPAddress.Parse("203.0.113.9"), 4444), DateTimeOffset.UtcNow) { KernelTimeNs = (long)h.Now }),
                        2 => new LabelsFetched(h.Cgroup, new ContainerInfo(ContainerId, "podman", "web-1", "localhost/web:1", ImageId, Digest)),
                        _ => new SyscallSetsRead(new Dictionary<ulong, int[]> { [h.Cgroup] = [0, 1, 3, 59, 83 + t] }, h.Clock.GetUtcNow()),
                    });
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        foreach (var thread in threads) thread.Start();
        // Meanwhile the loop's thread reads records and drains, as the sensor's polling thread does.
        for (var i = 0; threads.Any(t => t.IsAlive) || i < 10; i++)
        {
            h.Feed(h.Exec(P + 100, 1, "/bin/busybox", ["/bin/httpd"]));
        }
        foreach (var thread in threads) thread.Join();
        h.Loop.Drain();
        Assert.Empty(errors);
        Assert.Equal(0, h.Loop.Errors.Total);
        Assert.Equal(4 * perThread + 1, h.Sensor.Wakes); // every post woke the sensor's thread (the attach's own too)
        Assert.Equal(4 * perThread / 4, h.Loop.KernelBlocks);
        // Each thread's syscall set was observed: one alert for the first, then one per thread's new number (mkdir, rmdir, creat, link).
        var syscallAlerts = h.Sink.Alerts.Count(a => a.GetProperty("zerodrift").TryGetProperty("deviation", out var d) && d.GetString() == "syscall");
        Assert.Equal(4, syscallAlerts);
        // The kernel's blocks that no event explained are alerted on their own, once the wait is over.
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        h.Loop.Drain();
        Assert.Equal(4 * perThread / 4, h.Sink.Alerts.Count(a => a.GetProperty("zerodrift").GetProperty("kind").GetString() == "kernel"));
        Assert.Equal(0, h.Loop.Sizes().QueuedInputs);
    }
}
