using System.IO.Compression;
using System.Text;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// Archives and images whose readers used to leak an internal error (issue 15, item 6): each bad input is exit 2
/// with one line naming the file, or a warning in plain words while the scan goes on; never an exception's type name.
/// </summary>
public sealed class HostileArchiveTests
{
    /// <summary>The names of framework exceptions that must never reach a user.</summary>
    private static readonly string[] ExceptionNames =
        ["Exception:", "InvalidOperationException", "InvalidDataException", "NotSupportedException", "ArgumentException", "NullReferenceException"];

    private static void AssertPlain(HostileOutcome outcome)
    {
        foreach (var name in ExceptionNames) Assert.DoesNotContain(name, outcome.Stderr + outcome.Stdout);
    }

    private const string SparseKey = "AKIAQ2KXBJ7TWOOQAJTF";

    /// <summary>
    /// A file of 16 KB of text, a hole to 5 MB, a secret, and a hole to <paramref name="size"/>, archived by GNU tar in
    /// the given sparse format.
    /// </summary>
    private static byte[] SparseTar(HostileSandbox sandbox, string size, params string[] format)
    {
        var work = Directory.CreateDirectory(Path.Combine(sandbox.Root, "sparse-" + Guid.NewGuid().ToString("N"))).FullName;
        HostileRepository.Run(work, null, "sh", "-c",
            "mkdir -p etc && i=0; while [ $i -lt 1200 ]; do echo \"# padding line $i\"; i=$((i+1)); done > etc/holey.conf"
            + $" && truncate -s {size} etc/holey.conf && printf 'AWS_ACCESS_KEY_ID={SparseKey}\\n' | dd of=etc/holey.conf bs=1 seek=5000000 conv=notrunc 2>/dev/null"
            + " && echo 'ID=alpine' > etc/os-release");
        var tar = Path.Combine(work, "layer.tar");
        HostileRepository.Run(work, null, "tar", [.. format, "--sparse", "-cf", tar, "etc"]);
        return File.ReadAllBytes(tar);
    }

    private static readonly Dictionary<string, string[]> SparseFormatOptions = new()
    {
        ["gnu"] = ["--format=gnu"],
        ["pax-0.0"] = ["--format=pax", "--sparse-version=0.0"],
        ["pax-0.1"] = ["--format=pax", "--sparse-version=0.1"],
        ["pax-1.0"] = ["--format=pax", "--sparse-version=1.0"],
    };

    public static TheoryData<string> SparseFormats() => [.. SparseFormatOptions.Keys];

    [Theory]
    [MemberData(nameof(SparseFormats))]
    public void Sparse_tar_entries_in_an_image_layer_are_read_with_their_holes(string format)
    {
        using var sandbox = new HostileSandbox();
        var tar = SparseTar(sandbox, "6M", SparseFormatOptions[format]);
        new TestImage().Layer(TestLayer.FromTar(tar)).WriteDockerArchive(Path.Combine(sandbox.Target, "image.tar"));

        var outcome = sandbox.Run("scan", "docker-archive:image.tar", "--scanners", "secret", "--format", "json");

        outcome.AssertContained($"sparse {format} layer");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        AssertPlain(outcome);
        using var doc = System.Text.Json.JsonDocument.Parse(outcome.Stdout);
        var found = Assert.Single(doc.RootElement.GetProperty("contentFindings").EnumerateArray());
        // Under its real name, at the line and column it has once extracted (the hole's zeros hold no newline).
        Assert.Equal("/etc/holey.conf", found.GetProperty("path").GetString());
        Assert.Equal(1201, found.GetProperty("startLine").GetInt32());
        var text = Enumerable.Range(0, 1200).Sum(i => $"# padding line {i}\n".Length);
        Assert.Equal(5_000_000 - text + "AWS_ACCESS_KEY_ID=".Length + 1, found.GetProperty("startColumn").GetInt32());
    }

    [Fact]
    public void A_sparse_tar_inside_a_directory_is_read_too()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("backup/etc.tar", SparseTar(sandbox, "6M", "--format=gnu"));

        var outcome = sandbox.Run("scan", ".", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("sparse tar in a directory");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Contains("/backup/etc.tar!/etc/holey.conf", outcome.Stdout);
        AssertPlain(outcome);
    }

    [Fact]
    public void A_sparse_file_of_100_GiB_in_a_small_layer_is_stopped_as_a_bomb()
    {
        using var sandbox = new HostileSandbox();
        var tar = SparseTar(sandbox, "100G", "--format=gnu");
        new TestImage().Layer(TestLayer.FromTar(tar)).WriteDockerArchive(Path.Combine(sandbox.Target, "image.tar"));

        var outcome = sandbox.Run("scan", "docker-archive:image.tar", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("100 GiB sparse file");
        Assert.Equal(2, outcome.ExitCode);
        var line = Assert.Single(outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("decompression bomb", line);
    }

    [Fact]
    public void A_sparse_map_past_the_files_size_is_one_line_naming_the_layer()
    {
        using var sandbox = new HostileSandbox();
        var tar = SparseTar(sandbox, "6M", "--format=gnu");
        // The real size (GNU header offset 483) made smaller than the last segment's end, checksum recomputed.
        var at = Enumerable.Range(0, tar.Length / 512).Select(i => i * 512).First(o => tar[o + 156] == (byte)'S' && tar[o + 257] == (byte)'u');
        var header = tar.AsSpan(at, 512);
        Encoding.ASCII.GetBytes("00000001000\0").CopyTo(header[483..]);
        Encoding.ASCII.GetBytes("        ").CopyTo(header[148..]);
        var sum = 0;
        foreach (var b in header) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header[148..]);
        new TestImage().Layer(TestLayer.FromTar(tar)).WriteDockerArchive(Path.Combine(sandbox.Target, "image.tar"));
        sandbox.File("dir/etc.tar", tar);

        var image = sandbox.Run("sbom", "docker-archive:image.tar", "--format", "json");
        var directory = sandbox.Run("scan", "dir", "--scanners", "secret", "--format", "json");

        image.AssertContained("sparse map past the size, image");
        Assert.Equal(2, image.ExitCode);
        var line = Assert.Single(image.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("zerodrift: error: image.tar: layer 0", line);
        Assert.Contains("sparse map", line);
        directory.AssertContained("sparse map past the size, directory");
        Assert.True(directory.ExitCode == 0, directory.Stderr);
        Assert.Contains("/etc.tar: corrupt or unreadable archive", directory.Stderr);
        AssertPlain(image);
        AssertPlain(directory);
    }

    /// <summary>A zip of one OSV record whose end-of-central-directory record is then edited.</summary>
    private static byte[] OsvZip(Action<byte[], int>? patchEnd = null, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry("GHSA-xxxx-yyyy-zzzz.json", level);
            using var s = entry.Open();
            s.Write(Encoding.UTF8.GetBytes("""{"id":"GHSA-xxxx-yyyy-zzzz","modified":"2024-01-01T00:00:00Z","affected":[]}"""));
        }
        var bytes = ms.ToArray();
        var end = bytes.AsSpan().LastIndexOf("PK\u0005\u0006"u8);
        patchEnd?.Invoke(bytes, end);
        return bytes;
    }

    [Fact]
    public void An_osv_zip_whose_end_record_claims_65535_entries_is_one_line_naming_the_file()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("PyPI/all.zip", OsvZip((bytes, end) =>
        {
            bytes[end + 8] = bytes[end + 9] = bytes[end + 10] = bytes[end + 11] = 0xFF;
        }));

        var outcome = sandbox.Run("db", "import", "PyPI/all.zip", "--db", Path.Combine(sandbox.Root, "data", "vuln.db"));

        outcome.AssertContained("OSV zip with 65,535 entries");
        Assert.Equal(2, outcome.ExitCode);
        var line = Assert.Single(outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("zerodrift: error: import failed, the database is unchanged: PyPI/all.zip: corrupt zip directory", line);
        AssertPlain(outcome);
    }

    [Fact]
    public void An_osv_zip_with_an_unknown_compression_method_is_one_line_naming_the_entry()
    {
        using var sandbox = new HostileSandbox();
        var zip = OsvZip();
        // Method 14 (LZMA) in the local header and the central directory: a reader that cannot inflate it.
        foreach (var signature in new[] { "PK\u0003\u0004"u8.ToArray(), "PK\u0001\u0002"u8.ToArray() })
        {
            var at = zip.AsSpan().IndexOf(signature);
            zip[at + (signature[2] == 3 ? 8 : 10)] = 14;
        }
        sandbox.File("all.zip", zip);

        var outcome = sandbox.Run("db", "import", "all.zip", "--db", Path.Combine(sandbox.Root, "data", "vuln.db"));

        outcome.AssertContained("OSV zip, unknown method");
        Assert.Equal(2, outcome.ExitCode);
        Assert.StartsWith("zerodrift: error: import failed, the database is unchanged: all.zip!GHSA-xxxx-yyyy-zzzz.json: corrupt zip entry", outcome.Stderr.Trim());
        AssertPlain(outcome);
    }

    [Fact]
    public void A_hard_link_to_a_path_no_layer_holds_is_a_plain_warning()
    {
        using var sandbox = new HostileSandbox();
        new TestImage()
            .Layer(new TestLayer().File("etc/os-release", "ID=debian\nVERSION_ID=12\n")
                .Hardlink("var/lib/dpkg/status", "../../../../host/var/lib/dpkg/status"))
            .WriteDockerArchive(Path.Combine(sandbox.Target, "image.tar"));

        var outcome = sandbox.Run("sbom", "docker-archive:image.tar", "--format", "json");

        outcome.AssertContained("hard link outside");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Contains("/var/lib/dpkg/status: dpkg: /var/lib/dpkg/status: a hard link to /host/var/lib/dpkg/status, which is not in the image", outcome.Stderr);
        AssertPlain(outcome);
    }

    [Fact]
    public void An_empty_package_name_in_a_dpkg_status_file_is_a_plain_warning_and_the_rest_is_read()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("var/lib/dpkg/status",
            "Package: \nStatus: install ok installed\nVersion: 1.0\n\n"
            + "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n");

        var outcome = sandbox.Run("sbom", ".", "--format", "json");

        outcome.AssertContained("empty Package:");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Contains("/var/lib/dpkg/status: dpkg: a package entry with an empty Package field; skipped", outcome.Stderr);
        Assert.Contains("\"bash\"", outcome.Stdout);
        AssertPlain(outcome);
    }

    public static TheoryData<string> BrokenManifests() => ["layers-not-strings", "diff-ids-not-strings", "platform-not-strings"];

    [Theory]
    [MemberData(nameof(BrokenManifests))]
    public void Image_metadata_with_values_of_the_wrong_type_is_one_line(string kind)
    {
        using var sandbox = new HostileSandbox();
        var image = new TestImage().Layer(new TestLayer().File("etc/os-release", "ID=alpine\n"));
        var path = Path.Combine(sandbox.Target, "image.tar");
        string target;
        if (kind == "platform-not-strings")
        {
            var layout = Path.Combine(sandbox.Target, "layout");
            image.WriteOciLayout(layout);
            var index = Path.Combine(layout, "index.json");
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(index))!;
            node["manifests"]![0]!["platform"] = new System.Text.Json.Nodes.JsonObject { ["os"] = 7, ["architecture"] = true };
            File.WriteAllText(index, node.ToJsonString());
            target = "oci-dir:layout";
        }
        else
        {
            image.WriteDockerArchive(path);
            RewriteMember(path, kind == "layers-not-strings" ? "manifest.json" : null, kind);
            target = "docker-archive:image.tar";
        }

        var outcome = sandbox.Run("sbom", target, "--format", "json");

        outcome.AssertContained(kind);
        Assert.True(outcome.ExitCode is 0 or 2, outcome.Stderr);
        if (outcome.ExitCode == 2) Assert.Single(outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        AssertPlain(outcome);
    }

    /// <summary>Rewrites a docker archive with a number where the manifest's layer names or the config's diff ids are.</summary>
    private static void RewriteMember(string archive, string? member, string kind)
    {
        var entries = new List<(string Name, byte[] Data)>();
        using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(archive)))
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                using var ms = new MemoryStream();
                e.DataStream?.CopyTo(ms);
                entries.Add((e.Name, ms.ToArray()));
            }
        var manifestAt = entries.FindIndex(e => e.Name == "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(entries[manifestAt].Data)!;
        if (member == "manifest.json")
        {
            manifest[0]!["Layers"]!.AsArray().Insert(0, 7);
        }
        else
        {
            // The config under a name that is not its digest, so that it is parsed rather than refused for its hash.
            var configName = manifest[0]!["Config"]!.GetValue<string>();
            var configAt = entries.FindIndex(e => e.Name == configName);
            var config = System.Text.Json.Nodes.JsonNode.Parse(entries[configAt].Data)!;
            config["rootfs"]!["diff_ids"]!.AsArray().Insert(0, 7);
            entries[configAt] = ("config.json", Encoding.UTF8.GetBytes(config.ToJsonString()));
            manifest[0]!["Config"] = "config.json";
        }
        entries[manifestAt] = ("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        using var output = File.Create(archive);
        using var writer = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Pax);
        foreach (var (name, data) in entries)
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
    }
}
