using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Tests;

public class DirectoryFileSystemTests
{
    [Fact]
    public void Symlinks_never_lead_out_of_the_scanned_directory()
    {
        using var dir = new TempDir();
        dir.File("inside/etc/passwd", "scanned");
        File.CreateSymbolicLink(dir.Combine("inside/hostetc"), "/etc");
        File.CreateSymbolicLink(dir.Combine("inside/up"), "../../../../../../etc/passwd");
        using var fs = new DirectoryFileSystem(dir.Combine("inside"));

        // An absolute link resolves from the scanned root: /etc/passwd here is the scanned file, not the host's.
        Assert.Equal("scanned", fs.ReadText("/hostetc/passwd"));
        Assert.Equal("scanned", fs.ReadText("/up"));
        // Lstat through a symlinked directory is refused rather than followed by the host.
        Assert.Null(fs.Lstat("/hostetc/hostname"));
        Assert.DoesNotContain(fs.Enumerate(), e => e.Path.StartsWith("/hostetc/", StringComparison.Ordinal));
    }

    [Fact]
    public void Walks_every_file_once_and_reports_kinds()
    {
        using var dir = new TempDir();
        dir.File("a/b/c.txt", "c");
        dir.File("d.txt", "dd");
        File.CreateSymbolicLink(dir.Combine("link"), "a");
        using var fs = new DirectoryFileSystem(dir.Path);
        var entries = fs.Enumerate().ToDictionary(e => e.Path);
        Assert.Equal(FileKind.Regular, entries["/a/b/c.txt"].Kind);
        Assert.Equal(2, entries["/d.txt"].Size);
        Assert.Equal(FileKind.Symlink, entries["/link"].Kind);
        Assert.Equal(FileKind.Directory, entries["/a/b"].Kind);
        Assert.False(entries.ContainsKey("/link/b"));
    }

    [Fact]
    public void A_fifo_is_not_a_regular_file()
    {
        using var dir = new TempDir();
        var fifo = dir.Combine("pipe");
        using (var p = System.Diagnostics.Process.Start("mkfifo", fifo)) p.WaitForExit();
        using var fs = new DirectoryFileSystem(dir.Path);
        Assert.Equal(FileKind.Other, fs.Enumerate().Single(e => e.Path == "/pipe").Kind);
    }

    [Fact]
    public void A_single_file_is_a_target_too()
    {
        using var dir = new TempDir();
        var file = dir.File("x/package-lock.json", "{}");
        dir.File("x/other", "o");
        using var fs = new DirectoryFileSystem(file);
        Assert.Equal(["/package-lock.json"], fs.Enumerate().Select(e => e.Path).ToArray());
    }

    [Theory]
    [InlineData("/a/../../b", "/b", true)]
    [InlineData("a/./b//c", "/a/b/c", false)]
    [InlineData("../../etc/passwd", "/etc/passwd", true)]
    public void Virtual_paths_never_climb_above_the_root(string input, string expected, bool escaped)
    {
        Assert.Equal(expected, VirtualPath.Normalize(input, out var e));
        Assert.Equal(escaped, e);
    }
}
