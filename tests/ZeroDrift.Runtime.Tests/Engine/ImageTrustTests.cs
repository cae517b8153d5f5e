using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Runtime.Engine;

namespace ZeroDrift.Runtime.Tests.Engine;

public sealed class ImageTrustTests
{
    [Fact]
    public void Trusts_the_executables_an_image_ships_under_every_name_it_has()
    {
        using var dir = new TempDir();
        var busybox = dir.File("rootfs/usr/bin/busybox", "ELF");
        File.SetUnixFileMode(busybox, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        dir.File("rootfs/etc/motd", "hello");
        File.CreateSymbolicLink(dir.Combine("rootfs/usr/bin/sh"), "busybox");
        File.CreateSymbolicLink(dir.Combine("rootfs/bin"), "usr/bin");
        File.CreateSymbolicLink(dir.Combine("rootfs/usr/bin/dangling"), "/nowhere");
        using var fs = new DirectoryFileSystem(dir.Combine("rootfs"));

        var trust = ImageTrust.FromFileSystem(fs);

        Assert.True(trust.Ships("/usr/bin/busybox"));
        Assert.True(trust.Ships("/usr/bin/sh"));
        Assert.True(trust.Ships("/bin/sh"));        // through the merged-/usr directory link
        Assert.True(trust.Ships("/bin/busybox"));
        Assert.False(trust.Ships("/etc/motd"));     // not executable
        Assert.False(trust.Ships("/usr/bin/dangling"));
        Assert.False(trust.Ships("/tmp/miner"));
    }

    [Fact]
    public void A_loop_of_directory_links_ends()
    {
        var trust = new ImageTrust(["/usr/bin/ls"], new Dictionary<string, string> { ["/a"] = "/b", ["/b"] = "/a" });
        Assert.False(trust.Ships("/a/ls"));
    }
}
