using ZeroDrift.Sensor.Attribution;

namespace ZeroDrift.Sensor.Tests;

public class ContainerIdParserTests
{
    private const string Id = "701c53ae15f00cceb3ed3d3754d2627ce1fa577a6887d2f1e4f7b280f3d3dd69";

    [Theory]
    [InlineData("/libpod_parent/libpod-" + Id, "podman")]
    [InlineData("/machine.slice/libpod-" + Id + ".scope", "podman")]
    [InlineData("/machine.slice/libpod-" + Id + ".scope/container", "podman")]
    [InlineData("/system.slice/docker-" + Id + ".scope", "docker")]
    [InlineData("/docker/" + Id, "docker")]
    [InlineData("/system.slice/containerd.service/kubepods-besteffort-pod1b2c3d4e_0000_1111_2222_333344445555.slice:cri-containerd:" + Id, "containerd")]
    [InlineData("/kubepods-besteffort-pod1b2c3d4e_0000_1111_2222_333344445555.slice:crio:" + Id, "cri-o")]
    [InlineData("/kubepods/besteffort/pod1b2c3d4e-0000-1111-2222-333344445555/crio-" + Id, "cri-o")]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_1111_2222_333344445555.slice/cri-containerd-" + Id + ".scope", "containerd")]
    [InlineData("/kubepods.slice/kubepods-pod1b2c3d4e_0000_1111_2222_333344445555.slice/crio-" + Id + ".scope", "cri-o")]
    [InlineData("/kubepods/burstable/pod1b2c3d4e-0000-1111-2222-333344445555/" + Id, "containerd")]
    public void Recognises_each_runtime_form(string path, string? runtime)
    {
        var c = ContainerIdParser.Parse(path);
        if (runtime is null)
        {
            Assert.Null(c);
            return;
        }
        Assert.NotNull(c);
        Assert.Equal(runtime, c.Runtime);
        Assert.Equal(Id, c.Id);
    }

    [Fact]
    public void Kubernetes_paths_carry_the_pod_uid_with_dashes()
    {
        var c = ContainerIdParser.Parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_1111_2222_333344445555.slice/cri-containerd-" + Id + ".scope");
        Assert.Equal("1b2c3d4e-0000-1111-2222-333344445555", c!.PodUid);
        Assert.Null(ContainerIdParser.Parse("/libpod_parent/libpod-" + Id)!.PodUid);
        var literal = ContainerIdParser.Parse("/system.slice/containerd.service/kubepods-besteffort-pod1b2c3d4e_0000_1111_2222_333344445555.slice:cri-containerd:" + Id);
        Assert.Equal(("containerd", "1b2c3d4e-0000-1111-2222-333344445555"), (literal!.Runtime, literal.PodUid));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/system.slice/sshd.service")]
    [InlineData("/user.slice/user-0.slice/session-3.scope")]
    [InlineData("/machine.slice/libpod-conmon-" + Id + ".scope")]
    [InlineData("/libpod_parent/libpod-" + "701c53ae")]
    [InlineData("/docker/not-an-id")]
    [InlineData("/" + Id)]
    public void Host_cgroups_and_runtime_helpers_are_not_containers(string path) => Assert.Null(ContainerIdParser.Parse(path));

    [Fact]
    public void The_innermost_container_wins()
    {
        const string inner = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        var c = ContainerIdParser.Parse($"/docker/{Id}/libpod_parent/libpod-{inner}");
        Assert.Equal(("podman", inner), (c!.Runtime, c.Id));
    }
}
