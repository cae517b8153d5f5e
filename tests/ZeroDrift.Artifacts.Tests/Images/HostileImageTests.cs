using System.Text;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Tests.Images;

/// <summary>Everything an image holds is hostile: each case is refused or contained, and nothing lands on the host.</summary>
public class HostileImageTests
{
    [Fact]
    public async Task Entries_that_climb_out_of_the_root_stay_inside_and_are_reported()
    {
        using var dir = new TempDir();
        var marker = $"zerodrift-escape-{Guid.NewGuid():N}";
        new TestImage().Layer(new TestLayer()
                .File($"../../../../../../tmp/{marker}", "escaped")
                .File($"/abs/{marker}", "absolute")
                .Hardlink("hl", "../../../../etc/passwd"))
            .WriteOciArchive(dir.Combine("hostile.tar"));
        using var target = await ImageTestHelpers.OpenAll("oci-archive:" + dir.Combine("hostile.tar"));
        Assert.Equal("escaped", target.Text($"/tmp/{marker}"));
        Assert.Equal("absolute", target.Text($"/abs/{marker}"));
        Assert.Contains(target.Warnings, w => w.Contains("climb out of the root", StringComparison.Ordinal));
        Assert.False(File.Exists($"/tmp/{marker}"));
        Assert.False(File.Exists($"/abs/{marker}"));
        // The hardlink points at /etc/passwd inside the image, which the image does not have: said in words.
        var broken = Assert.Throws<ArtifactException>(() => target.FileSystem.Open(target.FileSystem.Lstat("/hl")!));
        Assert.Equal("/hl: a hard link to /etc/passwd, which is not in the image", broken.Message);
    }

    [Fact]
    public async Task A_layer_whose_content_does_not_match_its_digest_is_refused()
    {
        using var dir = new TempDir();
        var image = new TestImage().Layer(new TestLayer { Compression = LayerCompression.None }.File("etc/passwd", "root:x:0:0"));
        var layout = image.WriteOciLayout(dir.Combine("layout"));
        var blob = Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")).Single(f => File.ReadAllBytes(f).Length > 1000);
        var bytes = File.ReadAllBytes(blob);
        var content = bytes.AsSpan().IndexOf("root:x"u8);
        bytes[content] ^= 0x20; // flip a bit of the file's content, keep the tar well-formed
        File.WriteAllBytes(blob, bytes);
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout));
        Assert.True(e.Message.Contains("digest", StringComparison.Ordinal) && e.Message.Contains("layer 0", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public async Task A_tampered_manifest_is_refused()
    {
        using var dir = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("a", "a")).WriteOciLayout(dir.Combine("layout"));
        var manifestDigest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))
            .RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        var path = Path.Combine(layout, "blobs", "sha256", manifestDigest["sha256:".Length..]);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"schemaVersion\":2", "\"schemaVersion\":2 ", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout));
        Assert.Contains("does not match its digest", e.Message);
    }

    [Fact]
    public async Task A_truncated_archive_is_refused_with_one_line()
    {
        using var dir = new TempDir();
        var path = new TestImage().Layer(new TestLayer().File("a", new byte[50_000])).WriteDockerArchive(dir.Combine("image.tar"));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("docker-archive:" + path));
        Assert.DoesNotContain("\n", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task A_corrupt_gzip_layer_is_refused()
    {
        using var dir = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("a", Encoding.UTF8.GetBytes(new string('x', 10_000)))).WriteOciLayout(dir.Combine("layout"));
        var (blob, digest) = RewriteLayer(layout, bytes => { bytes[20] ^= 0xff; bytes[21] ^= 0xff; return bytes; });
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout));
        Assert.Contains("layer 0", e.Message);
        Assert.NotNull(blob);
        Assert.NotNull(digest);
    }

    [Fact]
    public async Task A_decompression_bomb_is_stopped()
    {
        using var dir = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("zeros", new byte[20 << 20])).WriteOciLayout(dir.Combine("layout"));
        var limits = ScanLimits.Default with { RatioCheckThresholdBytes = 1 << 20, MaxCompressionRatio = 100 };
        var e = await Assert.ThrowsAsync<LimitExceededException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout, limits));
        Assert.Contains("decompression bomb", e.Message);
    }

    [Fact]
    public async Task The_total_size_and_entry_limits_hold()
    {
        using var dir = new TempDir();
        var layer = new TestLayer();
        for (var i = 0; i < 50; i++) layer.File($"f{i}", new byte[10_000]);
        var layout = new TestImage().Layer(layer).WriteOciLayout(dir.Combine("layout"));
        var size = await Assert.ThrowsAsync<LimitExceededException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout, ScanLimits.Default with { MaxTotalBytes = 100_000 }));
        Assert.Contains("more than 100000 bytes", size.Message);
        var count = await Assert.ThrowsAsync<LimitExceededException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout, ScanLimits.Default with { MaxEntries = 10 }));
        Assert.Contains("more than 10 ", count.Message);
    }

    [Fact]
    public async Task An_unknown_layer_media_type_is_refused()
    {
        using var dir = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("a", "a")).WriteOciLayout(dir.Combine("layout"));
        RewriteManifest(layout, m => m.Replace("application/vnd.oci.image.layer.v1.tar+gzip", "application/x-evil", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout));
        Assert.Contains("unsupported media type 'application/x-evil'", e.Message);
    }

    [Fact]
    public async Task Deeply_nested_json_is_refused()
    {
        using var dir = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("a", "a")).WriteOciLayout(dir.Combine("layout"));
        File.WriteAllText(Path.Combine(layout, "index.json"), new string('[', 10_000) + new string(']', 10_000));
        var e = await Assert.ThrowsAsync<ArtifactException>(() => ImageTestHelpers.OpenAll("oci-dir:" + layout));
        Assert.Contains("index.json", e.Message);
    }

    [Fact]
    public async Task Temporary_files_are_removed_when_the_target_is_closed()
    {
        using var dir = new TempDir();
        using var tmp = new TempDir();
        var layout = new TestImage().Layer(new TestLayer().File("big", new byte[3 << 20])).WriteOciLayout(dir.Combine("layout"));
        Environment.SetEnvironmentVariable("ZERODRIFT_TMPDIR", tmp.Path);
        try
        {
            using (var target = await ImageTestHelpers.OpenAll("oci-dir:" + layout))
            {
                // 3 MiB is above the in-memory size: the content went to a private temporary directory.
                var spill = Directory.GetDirectories(tmp.Path).Single();
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(spill));
                Assert.Equal(3 << 20, target.FileSystem.Lstat("/big")!.Size);
            }
            Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
        }
        finally { Environment.SetEnvironmentVariable("ZERODRIFT_TMPDIR", null); }
    }

    private static void RewriteManifest(string layout, Func<string, string> change)
    {
        var indexPath = Path.Combine(layout, "index.json");
        var index = File.ReadAllText(indexPath);
        var digest = System.Text.Json.JsonDocument.Parse(index).RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        var manifest = Encoding.UTF8.GetBytes(change(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest[7..]))));
        var newDigest = TestImage.Sha(manifest);
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", newDigest[7..]), manifest);
        File.WriteAllText(indexPath, index.Replace(digest, newDigest, StringComparison.Ordinal).Replace($"\"size\":{new FileInfo(Path.Combine(layout, "blobs", "sha256", digest[7..])).Length}", $"\"size\":{manifest.Length}", StringComparison.Ordinal));
    }

    /// <summary>Replaces the (only) layer blob with changed bytes, fixing up the manifest so that only the content is wrong.</summary>
    private static (string Blob, string Digest) RewriteLayer(string layout, Func<byte[], byte[]> change)
    {
        var blobs = Path.Combine(layout, "blobs", "sha256");
        var manifestDigest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json"))).RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(blobs, manifestDigest[7..])));
        var layerDigest = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        var changed = change(File.ReadAllBytes(Path.Combine(blobs, layerDigest[7..])));
        var newDigest = TestImage.Sha(changed);
        var path = Path.Combine(blobs, newDigest[7..]);
        File.WriteAllBytes(path, changed);
        RewriteManifest(layout, m => m.Replace(layerDigest, newDigest, StringComparison.Ordinal));
        return (path, newDigest);
    }
}
