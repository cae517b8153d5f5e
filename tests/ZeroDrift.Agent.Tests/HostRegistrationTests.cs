using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent.Tests;

/// <summary>An enforcement whose kind and reason a test changes, as a running agent's may.</summary>
internal sealed class SwitchingEnforcement : IEnforcement
{
    public EnforcementKind Kind { get; set; } = EnforcementKind.Kernel;
    public string? Degraded { get; set; }
    public string Description => "switching";
    public bool InKernel => Kind == EnforcementKind.Kernel;
    public void Apply(EnforcedContainer container, ProfileMode mode, BehaviourProfile? profile, bool driftPrevention = false) { }
    public void Forget(ulong cgroupId) { }
    public bool KilledAtExec(int pid, long execTimeNs) => false;
    public void Dispose() { }
}

/// <summary>The agent's registration says how it enforces Protect, and says it again whenever that changes.</summary>
public sealed class HostRegistrationTests
{
    [Fact]
    public void The_registration_is_sent_at_start_again_when_the_enforcement_changes_and_not_otherwise()
    {
        var enforcement = new SwitchingEnforcement();
        var sent = new List<HostRecord>();
        var queueFull = false;
        var registration = new HostRegistration("node-1", enforcement, r =>
        {
            if (queueFull) return false;
            sent.Add((HostRecord)r);
            return true;
        });
        var now = DateTimeOffset.UtcNow;

        Assert.True(registration.SendIfChanged(now));
        Assert.False(registration.SendIfChanged(now.AddSeconds(1)));
        var first = Assert.Single(sent);
        Assert.Equal(("node-1", EnforcementKind.Kernel, null), (first.Name, first.Enforcement!.Mode, first.Enforcement.Reason));
        Assert.Equal(ServerRecords.AgentVersion, first.Agent);

        // Kernel enforcement is lost: the next round says so, with why; a full queue only delays it.
        enforcement.Kind = EnforcementKind.UserSpace;
        enforcement.Degraded = "kernel enforcement could not load: the pins are gone";
        queueFull = true;
        Assert.False(registration.SendIfChanged(now.AddSeconds(2)));
        queueFull = false;
        Assert.True(registration.SendIfChanged(now.AddSeconds(3)));
        Assert.Equal((EnforcementKind.UserSpace, "kernel enforcement could not load: the pins are gone"), (sent[^1].Enforcement!.Mode, sent[^1].Enforcement!.Reason));
        Assert.True(sent[^1].Enforcement!.Degraded);
        Assert.False(registration.SendIfChanged(now.AddSeconds(4)));
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public void User_space_enforcement_reports_why_it_is_not_the_kernel_and_the_containers_it_protects()
    {
        using var enforcement = new UserSpaceEnforcement("asked for with --enforcement user-space");
        enforcement.Apply(new EnforcedContainer(1, "/a", "a", 10), ProfileMode.Protect, null);
        enforcement.Apply(new EnforcedContainer(2, "/b", "b", 11), ProfileMode.Protect, null);
        enforcement.Apply(new EnforcedContainer(3, "/c", "c", 12), ProfileMode.Monitor, null);
        enforcement.Forget(2);

        var registration = EnforcementReport.Registration(enforcement);
        Assert.Equal(new AgentEnforcement { Mode = EnforcementKind.UserSpace, Reason = "asked for with --enforcement user-space" }, registration);
        var status = EnforcementReport.Status(enforcement, kernelBlocks: 0, userSpaceKills: 4);
        Assert.Equal(("user-space", "asked for with --enforcement user-space", 1, 4L, null), (status.Mode, status.Reason, status.ContainersProtected, status.UserSpaceKills, status.PinRoot));
        Assert.Contains("best effort", enforcement.Description, StringComparison.Ordinal);
    }
}
