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

/// <summary>The text form of names that are not UTF-8: one-to-one with the bytes, plain text for every other name.</summary>
public class FileNamesTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'a', 0xff, (byte)'.', (byte)'e' }, "a\\xff.e")]
    [InlineData(new byte[] { 0xc0, 0x80 }, "\\xc0\\x80")]
    [InlineData(new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xc3, 0xa9 }, "café")]
    [InlineData(new byte[] { (byte)'a', (byte)'\\', (byte)'b' }, "a\\\\b")]
    [InlineData(new byte[] { (byte)'\\', (byte)'x', (byte)'f', (byte)'f' }, "\\\\xff")]
    [InlineData(new byte[] { 0xe2, 0x82 }, "\\xe2\\x82")]
    public void A_name_is_written_with_escapes_only_where_it_must_and_read_back_to_its_bytes(byte[] bytes, string text)
    {
        Assert.Equal(text, FileNames.FromBytes(bytes));
        Assert.Equal(bytes, FileNames.ToBytes(text));
    }

    [Fact]
    public void Every_two_byte_name_round_trips()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var a = 1; a < 256; a++)
            for (var b = 1; b < 256; b++)
            {
                var bytes = new[] { (byte)a, (byte)b };
                var text = FileNames.FromBytes(bytes);
                Assert.Equal(bytes, FileNames.ToBytes(text));
                Assert.True(seen.Add(text), text);
            }
    }
}
