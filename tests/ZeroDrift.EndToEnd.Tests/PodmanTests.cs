using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>A real image built by podman (FROM scratch, two layers), removed after the tests.</summary>
public sealed class PodmanImageFixture : IDisposable
{
    public string Name { get; } = $"localhost/zerodrift-e2e-{Guid.NewGuid():N}:1";
    public TempDir Dir { get; } = new();

    public PodmanImageFixture()
    {
        Dir.File("ctx/base/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        Dir.File("ctx/base/var/lib/dpkg/status", SampleImages.Status0);
        Dir.File("ctx/app/var/lib/dpkg/status", SampleImages.Status1);
        Dir.File("ctx/Containerfile", "FROM scratch\nCOPY base/ /\nCOPY app/ /\nLABEL org.opencontainers.image.title=podman-built\n");
        ZeroDriftRunner.Tool("podman", "build", "--runtime", "runc", "--quiet", "--tag", Name, Dir.Combine("ctx"));
    }

    public void Dispose()
    {
        try { ZeroDriftRunner.Tool("podman", "rmi", "--force", Name); }
        catch (InvalidOperationException) { }
        Dir.Dispose();
    }
}

public class PodmanTests(PodmanImageFixture image) : IClassFixture<PodmanImageFixture>
{
    private static string[] Packages(params string[] args)
    {
        var r = ZeroDriftRunner.Run([.. args, "--format", "json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        return json.RootElement.GetProperty("packages").EnumerateArray()
            .Select(p => $"{p.GetProperty("purl").GetString()} layer={p.GetProperty("locations")[0].GetProperty("layerIndex").GetInt32()}")
            .Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public void A_podman_image_and_its_saved_forms_give_the_same_packages()
    {
        var dockerArchive = image.Dir.Combine("saved-docker.tar");
        var ociArchive = image.Dir.Combine("saved-oci.tar");
        var ociDir = image.Dir.Combine("saved-oci-dir");
        ZeroDriftRunner.Tool("podman", "save", "--format", "docker-archive", "--output", dockerArchive, image.Name);
        ZeroDriftRunner.Tool("podman", "save", "--format", "oci-archive", "--output", ociArchive, image.Name);
        ZeroDriftRunner.Tool("podman", "save", "--format", "oci-dir", "--output", ociDir, image.Name);

        var fromPodman = Packages("sbom", "podman:" + image.Name);
        Assert.Equal(
            ["pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12 layer=1",
             "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12 layer=1",
             "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc layer=1"],
            fromPodman);
        Assert.Equal(fromPodman, Packages("sbom", "docker-archive:" + dockerArchive));
        Assert.Equal(fromPodman, Packages("sbom", "oci-archive:" + ociArchive));
        Assert.Equal(fromPodman, Packages("sbom", "oci-dir:" + ociDir));
    }

    [Fact]
    public async Task The_same_image_pulled_from_a_registry_gives_the_same_packages()
    {
        await using var registry = await RegistryServer.StartAsync();
        var remote = $"{registry.Host}/zerodrift/e2e:1";
        ZeroDriftRunner.Tool("podman", "push", "--tls-verify=false", image.Name, $"docker://{remote}");
        var fromPodman = Packages("sbom", "podman:" + image.Name);
        Assert.Equal(fromPodman, Packages("sbom", "registry:" + remote, "--insecure-registry", registry.Host));
        Assert.Equal(fromPodman, Packages("sbom", remote, "--insecure-registry", registry.Host));
    }

    [Fact]
    public void A_missing_podman_image_is_one_clear_line()
    {
        var r = ZeroDriftRunner.Run("sbom", "podman:localhost/zerodrift-no-such-image:0");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("zerodrift: error: podman:localhost/zerodrift-no-such-image:0: podman save failed", r.Stderr.Trim());
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
