using ZeroDrift.Sensor.Attribution;
using ZeroDrift.TestSupport;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// container.privileged and container.mounts from real podman containers: what <see cref="ContainerMetadata"/> reads
/// from podman's OCI spec (the fast path, at the container's first event) and from <c>podman container inspect</c> (the
/// slow path) agrees with how the container was started.
/// </summary>
public class ContainerSecurityTests
{
    [RootFact]
    public void A_privileged_container_with_host_mounts_and_a_plain_one_are_told_apart_from_podmans_records()
    {
        using var dir = new TempDir();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var image = $"localhost/zd-secmeta-{suffix}:1";
        var host = dir.Combine("hostdir");
        Directory.CreateDirectory(host);
        ContainerScenario.BuildImage(dir, image);
        var ids = new List<string>();
        try
        {
            string Run(params string[] options)
            {
                var id = Tool.Run("podman", ["run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", .. options, image, "sleep", "60"]).Trim();
                ids.Add(id);
                return id;
            }
            var privileged = Run("--privileged", "-v", "/proc:/hostproc:ro", "-v", $"{host}:/data");
            var plain = Run();
            var metadata = new ContainerMetadata();

            foreach (var info in new[] { metadata.Describe(new CgroupContainer("podman", privileged, null)), metadata.WithLabels(new ContainerInfo(privileged, "podman")) })
            {
                Assert.True(info.Privileged);
                var mounts = info.Mounts!;
                // Only the user's mounts: podman's own hosts, resolv.conf, hostname, .containerenv and shm are not listed.
                Assert.Equal(2, mounts.Count);
                var proc = Assert.Single(mounts, m => m.Destination == "/hostproc");
                Assert.Equal(("/proc", false), (proc.Source, proc.ReadWrite));
                var data = Assert.Single(mounts, m => m.Destination == "/data");
                Assert.Equal((host, true), (data.Source, data.ReadWrite));
            }
            foreach (var info in new[] { metadata.Describe(new CgroupContainer("podman", plain, null)), metadata.WithLabels(new ContainerInfo(plain, "podman")) })
            {
                Assert.False(info.Privileged);
                Assert.Empty(info.Mounts!);
            }
        }
        finally
        {
            foreach (var id in ids)
                try { Tool.Run("podman", "rm", "--force", "--time", "0", id); } catch (InvalidOperationException) { }
            try { Tool.Run("podman", "rmi", "--force", image); } catch (InvalidOperationException) { }
        }
    }
}
