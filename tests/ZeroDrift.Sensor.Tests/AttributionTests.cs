using ZeroDrift.Sensor.Attribution;

namespace ZeroDrift.Sensor.Tests;

public class AttributionTests
{
    private const string Id = "013b04955ff1b36d17983211d43d97daf35fd5afa2f4de6cd4047fae5b36889b";
    private const string ImageId = "293e8578cc28c30e5c799fcffd47d6ebe233e164a104e0b202771924ab92867d";

    [Fact]
    public void Podman_storage_records_name_the_container_and_its_image()
    {
        using var dir = new TempDir();
        dir.File("overlay-containers/containers.json",
            $$"""[{"id":"other","names":["x"],"image":"y"},{"id":"{{Id}}","names":["great_williams"],"image":"{{ImageId}}","metadata":"{\"image-name\":\"localhost/zd-sensor-bb:1\",\"image-id\":\"{{ImageId}}\",\"name\":\"great_williams\"}"}]""");
        dir.File("overlay-images/images.json", $$"""[{"id":"{{ImageId}}","digest":"sha256:f79982b404b07b5ec2eceb49ca884a812a3440d3ef07321d97f14cd3bb0795d1","names":["localhost/zd-sensor-bb:1"]}]""");
        var info = new ContainerMetadata(dir.Path).Describe(new CgroupContainer("podman", Id, null));
        Assert.Equal(("great_williams", "localhost/zd-sensor-bb:1", ImageId, "sha256:f79982b404b07b5ec2eceb49ca884a812a3440d3ef07321d97f14cd3bb0795d1"),
            (info.Name, info.Image, info.ImageId, info.ImageDigest));
    }

    [Fact]
    public void Missing_or_corrupt_storage_leaves_only_the_id()
    {
        using var dir = new TempDir();
        dir.File("overlay-containers/containers.json", "{not json");
        var info = new ContainerMetadata(dir.Path).Describe(new CgroupContainer("podman", Id, null));
        Assert.Equal(new ContainerInfo(Id, "podman"), info);
        var docker = new ContainerMetadata(dir.Path).Describe(new CgroupContainer("docker", Id, "pod-uid"));
        Assert.Equal(new ContainerInfo(Id, "docker", PodUid: "pod-uid"), docker);
    }

    [Fact]
    public void Podman_inspect_adds_kubernetes_labels()
    {
        var json = $$$$"""[{"Id":"{{{{Id}}}}","Name":"web-1","ImageName":"localhost/web:2","Image":"{{{{ImageId}}}}","ImageDigest":"sha256:abc","Config":{"Labels":{"io.kubernetes.pod.name":"web","io.kubernetes.pod.namespace":"shop","tier":"front"}}}]""";
        var info = ContainerMetadata.ParsePodmanInspect(json, new ContainerInfo(Id, "podman"));
        Assert.Equal(("web-1", "localhost/web:2", "sha256:abc", "web", "shop"), (info.Name, info.Image, info.ImageDigest, info.PodName, info.PodNamespace));
        Assert.Equal("front", info.Labels!["tier"]);
        Assert.Equal(new ContainerInfo(Id, "podman"), ContainerMetadata.ParsePodmanInspect("[", new ContainerInfo(Id, "podman")));
    }

    [Fact]
    public void A_cgroup_id_is_its_directory_inode_found_by_walking_the_tree()
    {
        using var dir = new TempDir();
        var leaf = Path.Combine(dir.Path, "libpod_parent", "libpod-" + Id);
        Directory.CreateDirectory(leaf);
        var inode = Native.LibC.Inode(leaf);
        Assert.NotEqual(0UL, inode);
        var paths = new CgroupPaths(dir.Path, procRoot: dir.Combine("no-proc"));
        Assert.Equal("/libpod_parent/libpod-" + Id, paths.Resolve(inode, 0));
        Assert.Equal("/", paths.Resolve(Native.LibC.Inode(dir.Path), 0));
        var attributor = new Attributor(paths, new ContainerMetadata(dir.Combine("no-storage")), fetchLabels: false);
        Assert.Equal(Id, attributor.Resolve(inode, 0)!.Id);
        Assert.True(attributor.Resolve(Native.LibC.Inode(dir.Path), 0)!.IsHost);
    }

    [Fact]
    public void The_process_table_knows_lineage_from_proc_and_exec_events()
    {
        var table = new ProcessTable();
        table.SeedFromProc();
        Assert.NotNull(table.Get(Environment.ProcessId));
        table.OnExec(900_001, Environment.ProcessId, "/bin/child");
        table.OnExec(900_002, 900_001, "/bin/grandchild");
        var ancestors = new ProcessInfo?[8];
        var n = table.Ancestors(900_002, ancestors);
        Assert.True(n >= 2);
        Assert.Equal(("/bin/child", Environment.ProcessId), (ancestors[0]!.Exe, ancestors[1]!.Pid));
        table.OnExit(900_002);
        Assert.Null(table.Get(900_002));
    }
}
