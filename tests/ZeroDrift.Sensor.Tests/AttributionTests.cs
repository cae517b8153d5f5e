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
        var paths = new CgroupPaths(dir.Path, new ProcFs(dir.Combine("no-proc")));
        Assert.Equal("/libpod_parent/libpod-" + Id, paths.Resolve(inode, 0));
        Assert.Equal("/", paths.Resolve(Native.LibC.Inode(dir.Path), 0));
        var attributor = new Attributor(paths, new ContainerMetadata(dir.Combine("no-storage")), fetchLabels: false);
        Assert.Equal(Id, attributor.Resolve(inode, 0)!.Id);
        Assert.True(attributor.Resolve(Native.LibC.Inode(dir.Path), 0)!.IsHost);
    }

    [Fact]
    public void The_process_table_knows_lineage_from_proc_and_exec_events()
    {
        var table = ProcessTable.Create();
        table.SeedFromProc();
        Assert.NotNull(table.Peek(Environment.ProcessId));
        table.OnExec(Exec(900_001, Environment.ProcessId, "/bin/child", 1));
        var grandchild = table.OnExec(Exec(900_002, 900_001, "/bin/grandchild", 2));
        Assert.Equal(("/bin/child", Environment.ProcessId), (grandchild.Parent!.ExePath, grandchild.Parent.Parent!.Pid));
        // The same exec record applied again (the loop, then the event output) is one entry.
        Assert.Same(grandchild, table.OnExec(Exec(900_002, 900_001, "/bin/grandchild", 2)));
        table.OnExit(900_002);
        Assert.Null(table.Get(900_002));
    }

    private static ProcessFacts Exec(int pid, int ppid, string exe, long ktime) =>
        new() { Pid = pid, Ppid = ppid, ExePath = exe, Args = [exe], StartTimeNs = ktime };

    [Fact]
    public void A_process_forked_without_exec_works_where_its_parent_works_and_one_without_a_known_parent_where_proc_says()
    {
        using var dir = new TempDir();
        Proc(dir, 500, "postgres", ppid: 1, cwd: "/var/lib/postgresql/data");
        Proc(dir, 501, "postgres", ppid: 500, cwd: "/");
        Proc(dir, 600, "redis-server", ppid: 1, cwd: "/data");
        var table = ProcessTable.Create(new ProcFs(dir.Path));
        // The parent exec'd in its data directory; its backend forked later and first met in /proc.
        table.OnExec(Exec(500, 1, "/usr/lib/postgresql/15/bin/postgres", 1) with { Cwd = "/var/lib/postgresql/data" });
        Assert.Equal("/var/lib/postgresql/data", table.Get(501)!.Cwd);
        // A process whose parent is not known: its own working directory.
        Assert.Equal("/data", table.Get(600)!.Cwd);
        Assert.Equal(ProcessOrigin.Proc, table.Peek(600)!.Facts.Origin);
    }

    [Fact]
    public void The_runtimes_set_up_is_told_on_every_path_into_a_container()
    {
        using var dir = new TempDir();
        var table = ProcessTable.Create(new ProcFs(dir.Path));
        // runc init exec'd from runc's own file (not on the image's overlay): the runtime at a container's start.
        Assert.True(table.OnExec(Exec(100, 90, "/usr/sbin/runc", 1) with { Args = ["runc", "init"] }).RuntimeInit);
        // A stage met in /proc, by the name runc gives it.
        Proc(dir, 101, "runc:[2:INIT]", ppid: 1, cwd: "/", exe: "/memfd:runc_cloned:/proc/self/exe (deleted)");
        Assert.True(table.Get(101)!.RuntimeInit);
        // podman exec: runc (on the host) forked the stage, which already shows the program it went on to execute:
        // its exec record is still to be read, and what came before it was the runtime's.
        table.OnExec(Exec(200, 1, "/usr/sbin/runc", 3) with { Args = ["/usr/sbin/runc", "exec", "--detach", "c1"] });
        Proc(dir, 201, "sh", ppid: 200, cwd: "/");
        Assert.True(table.Get(201)!.RuntimeInit);
        // Once its exec record is read, it is the workload's.
        Assert.False(table.OnExec(Exec(201, 200, "/bin/sh", 4) with { ExeFlags = Events.ExeFlags.Overlay }).RuntimeInit);
        // A process the workload forked, met in /proc, is the workload's.
        table.OnExec(Exec(300, 1, "/usr/sbin/httpd", 5) with { ExeFlags = Events.ExeFlags.Overlay });
        Proc(dir, 301, "httpd", ppid: 300, cwd: "/");
        Assert.False(table.Get(301)!.RuntimeInit);
        // The same command line from a file of the image is the workload's.
        Assert.False(table.OnExec(Exec(400, 1, "/usr/sbin/runc", 6) with { Args = ["runc", "init"], ExeFlags = Events.ExeFlags.Overlay }).RuntimeInit);
    }

    /// <summary>A process as /proc shows it: stat, status, cmdline, cwd and exe links.</summary>
    private static void Proc(TempDir dir, int pid, string comm, int ppid, string cwd, string? exe = null)
    {
        dir.File($"{pid}/stat", $"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
        dir.File($"{pid}/cmdline", comm + "\0");
        dir.File($"{pid}/status", $"Name:\t{comm}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
        File.CreateSymbolicLink(dir.Combine($"{pid}/cwd"), cwd);
        File.CreateSymbolicLink(dir.Combine($"{pid}/exe"), exe ?? "/usr/bin/" + comm);
    }
}
