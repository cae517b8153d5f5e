using System.Collections.Concurrent;
using System.Text;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Tests;

/// <summary>The engine's per-cgroup watch (KernelSensor.Watch): read-only opens of a watched cgroup are reported, and
/// only while it is watched (the kernel skips the watch lookup altogether while nothing is watched).</summary>
[Collection("agent")]
public class WatchTests
{
    private sealed class Opens : ISensorSink
    {
        public ConcurrentQueue<(string Path, OpenReason Reason)> Seen { get; } = new();

        public void OnEvent(scoped in SensorEvent ev, long receivedNs)
        {
            if (ev.Type == EventType.Open) Seen.Enqueue((Encoding.UTF8.GetString(ev.OpenPath), ev.AsOpen().Reason));
        }

        public void OnIdle() { }
    }

    private static ulong OwnCgroupId()
    {
        var line = File.ReadLines("/proc/self/cgroup").First(l => l.StartsWith("0::", StringComparison.Ordinal));
        return Native.LibC.Inode(CgroupPaths.FindV2Root() + line[3..].TrimEnd());
    }

    [RootFact]
    public void Read_only_opens_of_a_watched_cgroup_are_reported_while_it_is_watched()
    {
        using var dir = new TempDir();
        string[] files = [dir.File("before", "x"), dir.File("during", "x"), dir.File("after", "x")];
        var sink = new Opens();
        using var sensor = KernelSensor.Start(new SensorOptions { Events = new HashSet<EventType> { EventType.Open }, ExcludeSelf = false }, sink);
        var cgroup = OwnCgroupId();
        Assert.NotEqual(0UL, cgroup);

        File.ReadAllBytes(files[0]);
        sensor.Watch(cgroup, WatchFlags.AllOpens);
        File.ReadAllBytes(files[1]);
        sensor.Watch(cgroup, WatchFlags.None);
        File.ReadAllBytes(files[2]);
        Thread.Sleep(500); // the reader collects every few milliseconds

        var seen = sink.Seen.ToArray();
        Assert.DoesNotContain(seen, s => s.Path == files[0]);
        var during = Assert.Single(seen, s => s.Path == files[1]);
        Assert.Equal(OpenReason.Watched, during.Reason); // only that: a read of a path that is not sensitive
        Assert.DoesNotContain(seen, s => s.Path == files[2]);
    }
}

/// <summary>The raw sys_exit fallback (used where syscall tracepoints cannot be attached) still reports results.</summary>
[Collection("agent")]
public class SyscallExitFallbackTests
{
    private sealed class Opens : ISensorSink
    {
        public ConcurrentQueue<(string Path, int Result)> Seen { get; } = new();

        public void OnEvent(scoped in SensorEvent ev, long receivedNs)
        {
            if (ev.Type == EventType.Open) Seen.Enqueue((Encoding.UTF8.GetString(ev.OpenPath), ev.AsOpen().Result));
        }

        public void OnIdle() { }
    }

    [RootFact]
    public void Without_syscall_tracepoints_open_results_come_from_the_raw_sys_exit_hook()
    {
        using var dir = new TempDir();
        var target = dir.Combine("written");
        var missing = dir.Combine("no-such-dir/file");
        var sink = new Opens();
        using (var sensor = KernelSensor.Start(new SensorOptions { Events = new HashSet<EventType> { EventType.Open }, ExcludeSelf = false, PerSyscallExitTracepoints = false }, sink))
        {
            Assert.Contains("raw_tp/sys_exit", sensor.AttachedPrograms);
            Assert.DoesNotContain(sensor.AttachedPrograms, p => p.StartsWith("tracepoint/syscalls/", StringComparison.Ordinal));
            Assert.StartsWith("raw_tp/sys_exit for every syscall", sensor.SyscallExitHook);
            File.WriteAllText(target, "x");
            Assert.Throws<DirectoryNotFoundException>(() => File.WriteAllText(missing, "x"));
            Thread.Sleep(500);
        }
        Assert.True(Assert.Single(sink.Seen, s => s.Path == target).Result >= 0);
        Assert.Equal(-2, Assert.Single(sink.Seen, s => s.Path == missing).Result); // -ENOENT
    }
}
