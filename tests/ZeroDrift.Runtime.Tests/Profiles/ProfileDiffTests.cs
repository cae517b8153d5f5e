using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class ProfileDiffTests
{
    [Fact]
    public void Shows_what_a_new_image_version_adds_and_drops()
    {
        var v1 = ProfileFixtures.Web();
        var v2 = ProfileFixtures.Web(ProfileFixtures.DigestV2) with
        {
            Processes = [.. v1.Processes, new ProcessEntry("/usr/bin/curl", Parent: "/bin/sh")],
            Syscalls = [.. v1.Syscalls.Where(s => s != "accept4"), "connect"],
        };
        var diff = ProfileDiff.Between(v1, v2);
        Assert.False(diff.Empty);
        var processes = diff.Sections.Single(s => s.Section == "processes");
        Assert.Equal(["/usr/bin/curl (parent /bin/sh)"], processes.Added);
        Assert.Empty(processes.Removed);
        var syscalls = diff.Sections.Single(s => s.Section == "syscalls");
        Assert.Equal(["connect"], syscalls.Added);
        Assert.Equal(["accept4"], syscalls.Removed);
        Assert.True(ProfileDiff.Between(v1, v1).Empty);
    }
}
