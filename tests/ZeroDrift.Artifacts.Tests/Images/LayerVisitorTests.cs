using System.Text;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Artifacts.Targets;

namespace ZeroDrift.Artifacts.Tests.Images;

public class LayerVisitorTests
{
    private sealed class Recorder(Func<FileEntry, bool> wants) : ILayerFileVisitor
    {
        public List<(string Path, int Layer, bool Hidden, string Content)> Seen { get; } = [];
        public bool Wants(FileEntry entry) => wants(entry);
        public void Visit(FileEntry entry, Stream content, bool hidden)
        {
            using var reader = new StreamReader(content, Encoding.UTF8, leaveOpen: true);
            Seen.Add((entry.Path, entry.Layer!.Index, hidden, reader.ReadToEnd()));
        }
    }

    [Fact]
    public async Task Every_version_of_a_file_is_visited_and_deleted_or_overwritten_ones_are_hidden()
    {
        using var dir = new TempDir();
        new TestImage()
            .Layer(new TestLayer().File("app/.env", "v0").File("app/conf", "c0").File("gone/dir/file", "d0").File("keep", "k0"))
            .Layer(new TestLayer().Whiteout("app/.env").File("app/conf", "c1").Opaque("gone"))
            .WriteOciLayout(dir.Combine("layout"));
        var recorder = new Recorder(_ => true);
        // The catalogers want /app/conf too: the visitor still sees it, from the captured copy.
        using var target = await TargetOpener.OpenAsync(TargetReference.Parse("oci-dir:" + dir.Combine("layout")),
            e => e.Path == "/app/conf", new TargetOptions { LayerFileVisitor = recorder }, CancellationToken.None);
        Assert.Equal(
            [("/app/.env", 0, true, "v0"), ("/app/conf", 0, true, "c0"), ("/app/conf", 1, false, "c1"), ("/gone/dir/file", 0, true, "d0"), ("/keep", 0, false, "k0")],
            recorder.Seen.OrderBy(s => s.Path, StringComparer.Ordinal).ThenBy(s => s.Layer));
        Assert.Equal("c1", target.Text("/app/conf"));
        Assert.Null(target.FileSystem.Lstat("/app/.env"));
    }

    [Fact]
    public async Task Files_the_visitor_does_not_want_are_not_read()
    {
        using var dir = new TempDir();
        new TestImage().Layer(new TestLayer().File("a", "x").File("b", "y")).WriteOciLayout(dir.Combine("layout"));
        var recorder = new Recorder(e => e.Path == "/b");
        using var target = await TargetOpener.OpenAsync(TargetReference.Parse("oci-dir:" + dir.Combine("layout")),
            _ => false, new TargetOptions { LayerFileVisitor = recorder }, CancellationToken.None);
        Assert.Equal([("/b", 0, false, "y")], recorder.Seen);
    }
}
