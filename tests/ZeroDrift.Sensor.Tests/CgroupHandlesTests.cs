using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// A cgroup told gone from its id alone: what the agent relies on to forget a container whose path it never knew
/// (and with it the container's watch flag in the kernel), and what the enforcement's sweep relies on.
/// </summary>
public sealed class CgroupHandlesTests
{
    [Fact]
    public void Off_a_cgroup_v2_hierarchy_no_handles_are_opened_because_every_kernfs_handle_would_read_as_stale()
    {
        using var dir = new TempDir();
        Assert.Null(CgroupHandles.TryOpen(dir.Path));
        Assert.Null(CgroupHandles.TryOpen(dir.Combine("missing")));
    }

    [RootFact]
    public void A_cgroup_exists_by_its_id_while_its_directory_does_and_is_gone_once_it_is_removed()
    {
        var root = CgroupPaths.FindV2Root();
        using var handles = CgroupHandles.TryOpen(root);
        Assert.NotNull(handles);
        var path = Path.Join(root, $"zerodrift-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        ulong id;
        try
        {
            // A cgroup v2 directory's inode number is the cgroup's id.
            id = Native.LibC.Inode(path);
            Assert.NotEqual(0UL, id);
            Assert.True(handles.Exists(id));
        }
        finally
        {
            Directory.Delete(path);
        }
        Assert.False(handles.Exists(id));
    }
}
