using System.Formats.Tar;
using System.Text;
using ZeroDrift.Runtime.Profiles;
using SensorContainer = ZeroDrift.Sensor.Attribution.ContainerInfo;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>Which workload a container belongs to (<see cref="WorkloadBinding.Identify"/>), as podman names containers.</summary>
public sealed class WorkloadBindingTests
{
    private const string Digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private const string OtherDigest = "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    private static SensorContainer Container(string? name, string image = "localhost/shop/web:1.4", string digest = Digest, string? pod = null) =>
        new(Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), "podman", name, image, digest["sha256:".Length..], digest, pod, pod is null ? null : "shop");

    [Fact]
    public void Containers_with_generated_names_are_one_workload_per_image()
    {
        var first = WorkloadBinding.Identify(Container("focused_mclaren"))!;
        var next = WorkloadBinding.Identify(Container("kind_shamir"))!;
        var clash = WorkloadBinding.Identify(Container("admiring_turing3"))!;
        Assert.Equal("web", first.Workload);
        Assert.Equal(first.Key, next.Key);
        Assert.Equal(first.Key, clash.Key);
        // Another image, or a new version of it, is another profile.
        Assert.Equal("api", WorkloadBinding.Identify(Container("kind_shamir", "localhost/shop/api:2", OtherDigest))!.Workload);
        Assert.NotEqual(first.Key, WorkloadBinding.Identify(Container("kind_shamir", "localhost/shop/web:1.5", OtherDigest))!.Key);
        // Without an image reference the image's digest names it.
        Assert.Equal("9f86d081884c", WorkloadBinding.Identify(Container("kind_shamir", image: ""))!.Workload);
    }

    [Fact]
    public void Named_and_kubernetes_workloads_keep_their_names()
    {
        Assert.Equal("web", WorkloadBinding.Identify(Container("web-1"))!.Workload);
        Assert.Equal("web", WorkloadBinding.Identify(Container("web_2"))!.Workload);
        Assert.Equal("my-app", WorkloadBinding.Identify(Container("my_app"))!.Workload);
        Assert.Equal("happy-path", WorkloadBinding.Identify(Container("happy_path"))!.Workload);
        Assert.Equal("shop/cart", WorkloadBinding.Identify(Container("k8s_cart_cart-7f9c4d8b5-x2k9p", pod: "cart-7f9c4d8b5-x2k9p"))!.Workload);
    }

    /// <summary>
    /// The names podman itself makes up, for containers created here without <c>--name</c>: every one is recognised,
    /// and all of them are the image's one workload.
    /// </summary>
    [RootFact]
    public void Podman_generated_names_group_by_image()
    {
        using var dir = new TempDir();
        var repository = "localhost/zd-names-" + Guid.NewGuid().ToString("N")[..10];
        var tar = dir.Combine("rootfs.tar");
        using (var file = File.Create(tar))
        using (var writer = new TarWriter(file, TarEntryFormat.Pax))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "marker") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Guid.NewGuid().ToString())) });
        Podman("import", "--quiet", tar, repository + ":1");
        var created = new List<string>();
        try
        {
            for (var i = 0; i < 30; i++) created.Add(Podman("create", "--runtime", "runc", repository + ":1", "/marker").Trim());
            var facts = Podman(["inspect", "--format", "{{.Name}} {{.ImageName}} {{.Image}}", .. created]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var identities = facts.Select(line => line.Split(' ')).Select(f => (Name: f[0], Identity: WorkloadBinding.Identify(new SensorContainer(Guid.NewGuid().ToString("N"), "podman", f[0], f[1], f[2], "sha256:" + f[2]))!)).ToList();
            Assert.All(identities, i => Assert.True(GeneratedContainerName.IsGenerated(i.Name), $"podman's name {i.Name} was not recognised as generated"));
            Assert.Single(identities.Select(i => i.Identity.Key).Distinct());
            Assert.Equal(repository["localhost/".Length..], identities[0].Identity.Workload);
        }
        finally
        {
            if (created.Count > 0) Run("podman", ["rm", "-f", .. created]);
            Run("podman", ["rmi", "-f", repository + ":1"]);
        }
    }
}
