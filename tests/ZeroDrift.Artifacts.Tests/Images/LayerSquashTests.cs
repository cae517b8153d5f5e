using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Tests.Images;

public class LayerSquashTests
{
    private static TestImage ThreeLayers(LayerCompression compression) => new TestImage()
        .Layer(new TestLayer { Compression = compression, CreatedBy = "ADD base" }
            .Dir("a/").File("a/x", "x0").File("a/y", "y0").Dir("b/").File("b/z", "z0").File("etc/keep", "keep")
            .File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
        .Layer(new TestLayer { Compression = compression, CreatedBy = "RUN rm a/x && rm -rf b/*" }
            .Whiteout("a/x").Opaque("b").File("b/new", "new1"))
        .Layer(new TestLayer { Compression = compression, CreatedBy = "RUN echo y2 > a/y" }
            .File("a/y", "y2"));

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public async Task Whiteouts_and_opaque_directories_give_the_final_view(LayerCompression compression)
    {
        using var dir = new TempDir();
        ThreeLayers(compression).WriteOciLayout(dir.Combine("layout"));
        using var target = await ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"));
        var fs = target.FileSystem;

        Assert.Null(fs.Lstat("/a/x"));
        Assert.Null(fs.Lstat("/b/z"));
        Assert.Equal("y2", target.Text("/a/y"));
        Assert.Equal("new1", target.Text("/b/new"));
        Assert.Equal("keep", target.Text("/etc/keep"));
        Assert.Equal(2, fs.Lstat("/a/y")!.Layer!.Index);
        Assert.Equal("RUN echo y2 > a/y", fs.Lstat("/a/y")!.Layer!.CreatedBy);
        Assert.Equal(1, fs.Lstat("/b/new")!.Layer!.Index);
        Assert.Equal(0, fs.Lstat("/etc/keep")!.Layer!.Index);
        Assert.Equal(["/b/new"], fs.List("/b").Select(e => e.Path).ToArray());
        Assert.Equal("debian", target.Distro?.Id);
        Assert.Equal("12", target.Distro?.VersionId);
    }

    [Fact]
    public async Task The_three_archive_kinds_give_the_same_view_and_metadata()
    {
        using var dir = new TempDir();
        var image = ThreeLayers(LayerCompression.Gzip);
        image.WriteOciLayout(dir.Combine("layout"));
        image.WriteOciArchive(dir.Combine("image-oci.tar"));
        image.WriteDockerArchive(dir.Combine("image-docker.tar"));
        var views = new List<string[]>();
        foreach (var reference in new[] { "oci-dir:" + dir.Combine("layout"), "oci-archive:" + dir.Combine("image-oci.tar"), "docker-archive:" + dir.Combine("image-docker.tar") })
        {
            using var target = await ImageTestHelpers.OpenAll(reference);
            views.Add(target.FileSystem.Enumerate().Select(e => $"{e.Path} {e.Kind} {e.Layer?.Index} {e.Layer?.Digest}").Order(StringComparer.Ordinal).ToArray());
            Assert.Equal("linux/amd64", target.Image!.Platform);
            Assert.Equal(3, target.Image.Layers.Count);
            Assert.Equal("ADD base", target.Image.Layers[0].CreatedBy);
            Assert.StartsWith("sha256:", target.Image.ConfigDigest);
        }
        Assert.Equal(views[0], views[1]);
        Assert.Equal(views[0], views[2]);
    }

    [Fact]
    public async Task Symlinks_resolve_inside_the_image_even_across_layers()
    {
        using var dir = new TempDir();
        new TestImage()
            .Layer(new TestLayer().File("usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.1\n"))
            .Layer(new TestLayer().Symlink("etc/os-release", "../usr/lib/os-release").Symlink("escape", "../../../../etc/hostname"))
            .WriteOciLayout(dir.Combine("layout"));
        using var target = await ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"));
        Assert.Equal("alpine", target.Distro?.Id);
        // "../../../../etc/hostname" from / stays at /etc/hostname inside the image, which does not exist.
        Assert.Null(target.FileSystem.Resolve("/escape"));
    }

    [Fact]
    public async Task A_symlink_loop_does_not_hang()
    {
        using var dir = new TempDir();
        new TestImage().Layer(new TestLayer().Symlink("a", "b").Symlink("b", "a").File("etc/os-release", "ID=x\n"))
            .WriteOciLayout(dir.Combine("layout"));
        using var target = await ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"));
        Assert.Null(target.FileSystem.Resolve("/a"));
    }

    [Fact]
    public async Task A_hardlink_reads_its_targets_content()
    {
        using var dir = new TempDir();
        new TestImage().Layer(new TestLayer().File("usr/bin/real", "binary").Hardlink("usr/bin/alias", "usr/bin/real"))
            .WriteDockerArchive(dir.Combine("image.tar"));
        using var target = await ImageTestHelpers.OpenAll("docker-archive:" + dir.Combine("image.tar"));
        Assert.Equal("binary", target.Text("/usr/bin/alias"));
    }

    [Fact]
    public async Task Only_required_files_are_kept_and_a_required_symlink_brings_its_target()
    {
        using var dir = new TempDir();
        new TestImage()
            .Layer(new TestLayer().File("data/big", new byte[100_000]).File("data/wanted-target", "content"))
            .Layer(new TestLayer().Symlink("data/wanted", "wanted-target"))
            .WriteOciLayout(dir.Combine("layout"));
        using var target = await Artifacts.Targets.TargetOpener.OpenAsync(
            Artifacts.Targets.TargetReference.Parse("oci-dir:" + dir.Combine("layout")),
            e => e.Path == "/data/wanted", new Artifacts.Targets.TargetOptions(), CancellationToken.None);
        var fs = (Artifacts.Images.Layers.ImageFileSystem)target.FileSystem;
        Assert.False(fs.HasContent("/data/big"));
        Assert.Equal("content", target.Text("/data/wanted"));
    }

    [Fact]
    public async Task A_multi_platform_index_is_resolved_by_platform()
    {
        using var dir = new TempDir();
        TestImage.WriteMultiPlatformOciLayout(dir.Combine("layout"),
            new TestImage { Architecture = "amd64" }.Layer(new TestLayer().File("arch", "amd64")),
            new TestImage { Architecture = "arm64" }.Layer(new TestLayer().File("arch", "arm64")));
        using (var arm = await ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"), platform: "linux/arm64"))
            Assert.Equal("arm64", arm.Text("/arch"));
        using (var amd = await ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"), platform: "linux/amd64"))
            Assert.Equal("amd64", amd.Text("/arch"));
        var missing = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + dir.Combine("layout"), platform: "linux/s390x"));
        Assert.Contains("linux/arm64", missing.Message);
    }
}
