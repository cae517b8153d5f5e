using System.Net.Sockets;
using System.Text;
using ZeroDrift.Sensor.Attribution;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// Metadata of docker, containerd (CRI) and CRI-O containers from their own records. Those runtimes do not run
/// here, so the records are written in each runtime's documented format (abridged to the fields read, plus a few
/// others, as the runtimes write them); podman is tested for real in <see cref="AgentTests"/>.
/// </summary>
public class RuntimeMetadataTests
{
    private const string Id = "7d3f5c2e9a1b4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
    private const string ImageId = "sha256:4f67c83422ec747235357c04556616234e66fc3fa39cb4f40b2d4441ddd8f100";
    private const string Digest = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
    private const string PodUid = "5f1c0a7e-2b9d-4e3a-8c61-0f2d9b7a4e15";

    private static RuntimeRoots Roots(TempDir dir) => new(
        Storage: dir.Combine("storage"), RunStorage: dir.Combine("run-storage"), Docker: dir.Combine("docker"),
        DockerSocket: dir.Combine("docker.sock"), ContainerdState: dir.Combine("containerd"));

    [Fact]
    public void Docker_config_and_repositories_give_name_image_digest_and_pod()
    {
        using var dir = new TempDir();
        dir.File($"docker/containers/{Id}/config.v2.json", $$$"""
            {"StreamConfig":{},"State":{"Running":true,"Paused":false,"Pid":4242,"ExitCode":0,"StartedAt":"2026-11-29T08:00:00.1Z"},
             "ID":"{{{Id}}}","Created":"2026-11-29T07:59:59.9Z","Managed":false,"Path":"nginx","Args":["-g","daemon off;"],
             "Config":{"Hostname":"7d3f5c2e9a1b","User":"","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "Cmd":["nginx","-g","daemon off;"],"Image":"nginx:1.25","WorkingDir":"","Entrypoint":["/docker-entrypoint.sh"],
               "Labels":{"maintainer":"NGINX Docker Maintainers <docker-maint@nginx.com>","io.kubernetes.pod.name":"web-0",
                 "io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.uid":"{{{PodUid}}}","io.kubernetes.container.name":"nginx"}},
             "Image":"{{{ImageId}}}","NetworkSettings":{"Bridge":"","SandboxID":"9c1e"},"LogPath":"","Name":"/k8s_nginx_web-0_shop_{{{PodUid}}}_0",
             "Driver":"overlay2","OS":"linux","RestartCount":0,"MountLabel":"","ProcessLabel":"","AppArmorProfile":"docker-default"}
            """);
        dir.File("docker/image/overlay2/repositories.json", $$$"""
            {"Repositories":{"alpine":{"alpine:3.20":"sha256:aaaa","alpine@sha256:bbbb":"sha256:aaaa"},
             "nginx":{"nginx:1.25":"{{{ImageId}}}","nginx@{{{Digest}}}":"{{{ImageId}}}"} } }
            """);
        var info = new ContainerMetadata(Roots(dir)).Describe(new CgroupContainer("docker", Id, null));
        Assert.Equal(($"k8s_nginx_web-0_shop_{PodUid}_0", "nginx:1.25", ImageId, Digest), (info.Name, info.Image, info.ImageId, info.ImageDigest));
        Assert.Equal(("web-0", "shop", PodUid), (info.PodName, info.PodNamespace, info.PodUid));
        Assert.Equal("nginx", info.Labels!["io.kubernetes.container.name"]);
    }

    [Fact]
    public void Containerd_cri_annotations_in_the_task_spec_give_name_image_and_pod()
    {
        using var dir = new TempDir();
        dir.File($"containerd/io.containerd.runtime.v2.task/moby/{new string('e', 64)}/config.json", """{"ociVersion":"1.1.0"}""");
        dir.File($"containerd/io.containerd.runtime.v2.task/k8s.io/{Id}/config.json", $$$"""
            {"ociVersion":"1.1.0","process":{"user":{"uid":65532,"gid":65532},"args":["/api","--port=8080"],"cwd":"/",
              "capabilities":{"bounding":["CAP_CHOWN"]},"noNewPrivileges":true},
             "root":{"path":"rootfs","readonly":true},"hostname":"api-7d9f6c5b8-xk2lp",
             "annotations":{"io.kubernetes.cri.container-name":"api","io.kubernetes.cri.container-type":"container",
               "io.kubernetes.cri.image-name":"registry.example/shop/api:3.1","io.kubernetes.cri.sandbox-id":"{{{new string('f', 64)}}}",
               "io.kubernetes.cri.sandbox-name":"api-7d9f6c5b8-xk2lp","io.kubernetes.cri.sandbox-namespace":"prod",
               "io.kubernetes.cri.sandbox-uid":"{{{PodUid}}}"},
             "linux":{"cgroupsPath":"kubepods-burstable-pod5f1c0a7e_2b9d_4e3a_8c61_0f2d9b7a4e15.slice:cri-containerd:{{{Id}}}"}}
            """);
        var info = new ContainerMetadata(Roots(dir)).Describe(new CgroupContainer("containerd", Id, null));
        Assert.Equal(("api", "registry.example/shop/api:3.1", "api-7d9f6c5b8-xk2lp", "prod", PodUid),
            (info.Name, info.Image, info.PodName, info.PodNamespace, info.PodUid));
    }

    [Fact]
    public void Cri_o_storage_records_and_spec_annotations_give_name_image_digest_pod_and_labels()
    {
        using var dir = new TempDir();
        var bareImage = ImageId["sha256:".Length..];
        dir.File("storage/overlay-containers/containers.json", $$$"""
            [{"id":"{{{Id}}}","names":["k8s_web_web-0_shop_{{{PodUid}}}_0"],"image":"{{{bareImage}}}","layer":"c0ffee",
              "metadata":"{\"pod-name\":\"k8s_POD_web-0_shop_{{{PodUid}}}_0\",\"pod-id\":\"{{{new string('a', 64)}}}\",\"image-name\":\"quay.io/shop/web:2\",\"image-id\":\"{{{bareImage}}}\",\"name\":\"k8s_web_web-0_shop_{{{PodUid}}}_0\",\"metadata-name\":\"web\",\"uid\":\"{{{PodUid}}}\",\"namespace\":\"shop\",\"created-at\":1764403200}",
              "created":"2026-11-29T08:00:00Z","flags":{"MountLabel":""}}]
            """);
        dir.File("storage/overlay-images/images.json", $$$"""[{"id":"{{{bareImage}}}","digest":"{{{Digest}}}","names":["quay.io/shop/web:2"],"layer":"beef"}]""");
        dir.File($"run-storage/overlay-containers/{Id}/userdata/config.json", $$$"""
            {"ociVersion":"1.0.2-dev","process":{"args":["/web"],"cwd":"/"},"root":{"path":"/var/lib/containers/storage/overlay/c0ffee/merged"},
             "annotations":{"io.container.manager":"cri-o","io.kubernetes.container.name":"web","io.kubernetes.pod.name":"web-0",
               "io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.uid":"{{{PodUid}}}",
               "io.kubernetes.cri-o.ContainerName":"k8s_web_web-0_shop_{{{PodUid}}}_0","io.kubernetes.cri-o.ImageName":"quay.io/shop/web:2",
               "io.kubernetes.cri-o.ImageRef":"{{{bareImage}}}","io.kubernetes.cri-o.Metadata":"{\"name\":\"web\"}",
               "io.kubernetes.cri-o.Labels":"{\"app\":\"web\",\"io.kubernetes.container.name\":\"web\",\"io.kubernetes.pod.name\":\"web-0\",\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"{{{PodUid}}}\"}"}}
            """);
        var info = new ContainerMetadata(Roots(dir)).Describe(new CgroupContainer("cri-o", Id, null));
        Assert.Equal(("web", "quay.io/shop/web:2", bareImage, Digest), (info.Name, info.Image, info.ImageId, info.ImageDigest));
        Assert.Equal(("web-0", "shop", PodUid), (info.PodName, info.PodNamespace, info.PodUid));
        Assert.Equal("web", info.Labels!["app"]);
    }

    [Fact]
    public void Docker_privileged_and_mounts_come_from_hostconfig_and_mount_points()
    {
        using var dir = new TempDir();
        dir.File($"docker/containers/{Id}/config.v2.json", $$$$"""
            {"ID":"{{{{Id}}}}","Name":"/agent","Image":"{{{{ImageId}}}}","Config":{"Image":"agent:1"},
             "MountPoints":{"/host/proc":{"Source":"/proc","Destination":"/host/proc","RW":false,"Name":"","Driver":"","Type":"bind","Propagation":"rprivate","Spec":{}},
               "/var/run/docker.sock":{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true,"Type":"bind","Propagation":"rprivate"}}}
            """);
        dir.File($"docker/containers/{Id}/hostconfig.json", """{"Binds":["/proc:/host/proc:ro"],"Privileged":true,"NetworkMode":"default"}""");
        var info = new ContainerMetadata(Roots(dir)).Describe(new CgroupContainer("docker", Id, null));
        Assert.True(info.Privileged);
        Assert.Equal([("/proc", "/host/proc", false), ("/var/run/docker.sock", "/var/run/docker.sock", true)],
            info.Mounts!.Select(m => (m.Source, m.Destination, m.ReadWrite)).OrderBy(m => m.Item2));
    }

    [Theory]
    [InlineData(true, false, true)]   // every capability, no seccomp filter, nothing masked: --privileged
    [InlineData(true, true, false)]   // a seccomp filter: not privileged, whatever the capabilities
    [InlineData(false, false, false)] // the default capability set
    public void An_oci_spec_without_podmans_annotation_is_privileged_by_its_shape(bool allCaps, bool seccomp, bool expected)
    {
        using var dir = new TempDir();
        var caps = allCaps
            ? "\"CAP_CHOWN\",\"CAP_SYS_ADMIN\",\"CAP_SYS_MODULE\",\"CAP_SYS_RAWIO\",\"CAP_SYS_PTRACE\",\"CAP_NET_ADMIN\",\"CAP_MAC_ADMIN\""
            : "\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"";
        var linux = seccomp ? "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"},\"maskedPaths\":[\"/proc/kcore\"]}" : "{}";
        dir.File($"containerd/io.containerd.runtime.v2.task/k8s.io/{Id}/config.json",
            $"{{\"ociVersion\":\"1.1.0\",\"process\":{{\"capabilities\":{{\"bounding\":[{caps}]}}}},\"linux\":{linux},"
            + $"\"mounts\":[{{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}},"
            + $"{{\"destination\":\"/host\",\"type\":\"bind\",\"source\":\"/\",\"options\":[\"rbind\",\"rslave\",\"ro\"]}}]}}");
        var info = new ContainerMetadata(Roots(dir)).Describe(new CgroupContainer("containerd", Id, null));
        Assert.Equal(expected, info.Privileged);
        var mount = Assert.Single(info.Mounts!); // the proc filesystem is not a bind mount
        Assert.Equal(("/", "/host", false, "rslave"), (mount.Source, mount.Destination, mount.ReadWrite, mount.Propagation));
    }

    [Fact]
    public void Corrupt_or_missing_runtime_records_leave_what_the_cgroup_path_told()
    {
        using var dir = new TempDir();
        dir.File($"docker/containers/{Id}/config.v2.json", "{\"Name\":");
        dir.File($"containerd/io.containerd.runtime.v2.task/k8s.io/{Id}/config.json", "[1,2]");
        dir.File($"storage/overlay-containers/{Id}/userdata/config.json", "{\"annotations\":{\"io.kubernetes.cri-o.Labels\":\"{not json\"}}");
        var metadata = new ContainerMetadata(Roots(dir));
        foreach (var runtime in new[] { "docker", "containerd", "cri-o" })
            Assert.Equal(new ContainerInfo(Id, runtime, PodUid: PodUid), metadata.Describe(new CgroupContainer(runtime, Id, PodUid)));
    }

    [Fact]
    public async Task Without_readable_files_docker_is_asked_through_its_engine_api_socket()
    {
        using var dir = new TempDir();
        var roots = Roots(dir);
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(roots.DockerSocket));
        server.Listen(4);
        var requests = new List<string>();
        var serving = Task.Run(() =>
        {
            // GET /containers/{id}/json, then GET /images/{id}/json (Docker Engine API), one connection each.
            for (var i = 0; i < 2; i++)
            {
                using var client = server.Accept();
                var buffer = new byte[8192];
                var request = "";
                while (!request.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = client.Receive(buffer);
                    if (n == 0) break;
                    request += Encoding.ASCII.GetString(buffer, 0, n);
                }
                var path = request.Split(' ')[1];
                lock (requests) requests.Add(path);
                var body = path.StartsWith("/containers/", StringComparison.Ordinal)
                    ? $$$"""{"Id":"{{{Id}}}","Created":"2026-11-29T07:59:59.9Z","Path":"redis-server","State":{"Status":"running","Running":true,"Pid":777},"Image":"{{{ImageId}}}","Name":"/cache","Config":{"Image":"redis:7","Labels":{"com.docker.compose.service":"cache"} } }"""
                    : $$$"""{"Id":"{{{ImageId}}}","RepoTags":["redis:7"],"RepoDigests":["redis@{{{Digest}}}"],"Os":"linux"}""";
                var bytes = Encoding.UTF8.GetBytes(body);
                client.Send(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
                client.Send(bytes);
            }
        });
        var metadata = new ContainerMetadata(roots, TimeSpan.FromSeconds(10));
        var basic = metadata.Describe(new CgroupContainer("docker", Id, null));
        Assert.Null(basic.Name); // no config.v2.json: the files say nothing
        Assert.True(metadata.HasSlowerSource(basic));
        var info = metadata.WithLabels(basic);
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("cache", "redis:7", ImageId, Digest), (info.Name, info.Image, info.ImageId, info.ImageDigest));
        Assert.Equal("cache", info.Labels!["com.docker.compose.service"]);
        Assert.Equal([$"/containers/{Id}/json", $"/images/{Uri.EscapeDataString(ImageId)}/json"], requests);
    }
}
