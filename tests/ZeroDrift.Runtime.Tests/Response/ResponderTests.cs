using System.Diagnostics;
using ZeroDrift.Runtime.Response;

namespace ZeroDrift.Runtime.Tests.Response;

public sealed class ResponderTests
{
    [Fact]
    public void Kills_a_process_and_records_it_and_says_when_it_was_already_gone()
    {
        using var victim = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        var responder = new Responder();
        var action = responder.KillProcess(victim.Id, automatic: true, by: "rule:reverse shell");
        Assert.True(action.Succeeded, action.Detail);
        Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(128 + 9, victim.ExitCode);

        var again = responder.KillProcess(victim.Id, automatic: true, by: "rule:reverse shell");
        Assert.False(again.Succeeded);
        Assert.Contains("already exited", again.Detail);
        Assert.Equal(2, responder.Log.Count);
        Assert.All(responder.Log, a => Assert.True(a.Automatic));
    }

    [Fact]
    public void A_pidfd_says_when_its_process_exited_and_never_reaches_another_once_it_has()
    {
        using var victim = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        using var handle = PidFd.Open(victim.Id, out var errno);
        Assert.True(handle is not null, PidFd.Describe(errno));
        Assert.False(handle.HasExited);
        var responder = new Responder();
        Assert.True(responder.KillProcess(handle, automatic: true, by: "test").Succeeded);
        Assert.True(victim.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(128 + 9, victim.ExitCode);
        Assert.True(handle.HasExited);
        // Reaped: the handle still names that process, so the signal goes nowhere, whatever now has its pid.
        Assert.False(handle.Signal(9, out errno));
        Assert.Equal(3, errno); // ESRCH
    }

    [Fact]
    public void Pauses_and_stops_a_real_container()
    {
        using var dir = new TempDir();
        var image = $"localhost/zerodrift-responder-test:{Guid.NewGuid():N}";
        File.Copy("/bin/busybox", Path.Combine(dir.Path, "busybox"));
        dir.File("Containerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
        Assert.Equal(0, Podman("build", "--runtime", "runc", "-q", "-t", image, dir.Path).Code);
        var name = $"zerodrift-responder-{Guid.NewGuid():N}";
        try
        {
            var run = Podman("run", "-d", "--name", name, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none", image, "/bin/busybox", "sleep", "300");
            Assert.True(run.Code == 0, run.Output);
            var id = run.Output.Trim();
            var responder = new Responder();

            var pause = responder.PauseContainer(id, automatic: false, by: "alice");
            Assert.True(pause.Succeeded, pause.Detail);
            Assert.Equal("paused", Podman("inspect", "--format", "{{.State.Status}}", id).Output.Trim());

            Podman("unpause", id);
            var stop = responder.StopContainer(id, automatic: true, by: "playbook:contain");
            Assert.True(stop.Succeeded, stop.Detail);
            Assert.Equal("exited", Podman("inspect", "--format", "{{.State.Status}}", id).Output.Trim());

            var bogus = responder.StopContainer("--all", automatic: true, by: "playbook:contain");
            Assert.False(bogus.Succeeded);
            Assert.Equal([ResponseKind.PauseContainer, ResponseKind.StopContainer, ResponseKind.StopContainer], responder.Log.Select(a => a.Kind));
            Assert.False(responder.Log[0].Automatic);
        }
        finally
        {
            Podman("rm", "-f", name);
            Podman("rmi", "-f", image);
        }
    }

    private static (int Code, string Output) Podman(params string[] args) => HostTool.Run("podman", args);
}
