using System.Collections.Concurrent;
using System.Text;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// The sensor's exec record says who started a process as the profile knows it (bpf/lineage.h, shared with
/// enforcement): the runtime starting the container's init (entry), the runtime's exec path (podman exec), or a
/// parent in the container. Checked with real containers: the entrypoint's real parent is conmon (its subreaper,
/// after runc exited), a podman exec'd program's is runc; neither is in the container's cgroup.
/// </summary>
[Collection("agent")]
public class ParentClassTests
{
    private sealed class Execs : ISensorSink
    {
        public ConcurrentQueue<(ulong Cgroup, string Args, ExecParentClass Class, uint Vpid)> Seen { get; } = new();

        public void OnEvent(scoped in SensorEvent ev, long receivedNs)
        {
            if (ev.Type != EventType.Exec) return;
            var e = ev.AsExec();
            Seen.Enqueue((e.Header.CgroupId, Encoding.UTF8.GetString(ev.Args).Replace('\0', ' ').TrimEnd(), e.ParentClass, e.Vpid));
        }

        public void OnIdle() { }
    }

    [RootFact]
    public async Task The_entrypoint_is_started_by_the_runtimes_entry_and_podman_exec_by_its_exec_path()
    {
        using var image = new EnforcedImage();
        var marker = Guid.NewGuid().ToString("N")[..12];
        var sink = new Execs();
        ulong cgroup;
        using (KernelSensor.Start(new SensorOptions { Events = new HashSet<EventType> { EventType.Exec } }, sink))
        {
            var name = image.Start($"zde-lineage-{marker}", "/bin/sh", "-c", $"/usr/local/bin/echo child-{marker}; exec /bin/sleep 600");
            Thread.Sleep(1500);
            cgroup = FirstInstructionTests.CgroupIdOf(int.Parse(Tool.Run("podman", "inspect", "--format", "{{.State.Pid}}", name).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            var exec = await EnforcedImage.Podman(TimeSpan.FromSeconds(60), "exec", name, "/bin/sh", "-c", $"/usr/local/bin/echo nested-{marker}; true");
            Assert.Equal(0, exec.Exit);
            Thread.Sleep(500);
        }
        var seen = sink.Seen.Where(s => s.Cgroup == cgroup).ToArray();
        (ExecParentClass, uint) Of(string args) => Assert.Single(seen, s => s.Args == args) is var s ? (s.Class, s.Vpid) : default;

        Assert.Equal((ExecParentClass.Entry, 1u), Of($"/bin/sh -c /usr/local/bin/echo child-{marker}; exec /bin/sleep 600"));
        Assert.Equal(ExecParentClass.Known, Of($"/usr/local/bin/echo child-{marker}").Item1); // started by the entrypoint's shell
        Assert.Equal((ExecParentClass.Entry, 1u), Of("/bin/sleep 600")); // pid 1 exec'ing into its program is still the entry
        var entered = Of($"/bin/sh -c /usr/local/bin/echo nested-{marker}; true");
        Assert.Equal(ExecParentClass.RuntimeExec, entered.Item1);
        Assert.NotEqual(1u, entered.Item2);
        Assert.Equal(ExecParentClass.Known, Of($"/usr/local/bin/echo nested-{marker}").Item1);
    }
}
