using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Scanning.Content;

namespace ZeroDrift.Scanning.Tests;

public class ContentScannerTests
{
    /// <summary>Reports every line holding its word, and records what it was given.</summary>
    private sealed class WordDetector(string word, FindingClass cls = FindingClass.Secret, string? onlyExtension = null) : IContentDetector
    {
        public List<(string Path, string Content)> Seen { get; } = [];
        public FindingClass Class => cls;
        public IReadOnlyList<RuleDescriptor> Rules => [new RuleDescriptor { Class = cls, Id = word, Title = word, Severity = Severity.High }];
        public bool FileRequired(string path, long size) => onlyExtension is null || path.EndsWith(onlyExtension, StringComparison.Ordinal);

        public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
        {
            var text = new StreamReader(content).ReadToEnd();
            lock (Seen) Seen.Add((path, text));
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
                if (lines[i].Contains(word, StringComparison.Ordinal))
                    yield return new ContentFinding
                    {
                        Class = cls, RuleId = word, Title = word, Severity = Severity.High, Path = path,
                        Span = TextSpan.Line(i + 1, lines[i].IndexOf(word, StringComparison.Ordinal) + 1), Fingerprint = $"{path}:{word}:{i + 1}",
                    };
        }
    }


    [Fact]
    public void Each_file_is_read_once_and_given_to_every_detector_that_requires_it()
    {
        using var dir = new TempDir();
        dir.File("a.yaml", "alpha\nbeta\n");
        dir.File("b.txt", "beta\n");
        var all = new WordDetector("alpha");
        var yamlOnly = new WordDetector("beta", FindingClass.Misconfig, ".yaml");
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        var result = new ContentScanner([all, yamlOnly], new ContentScanOptions()).ScanFileSystem(fs, CancellationToken.None);
        Assert.Equal(1, fs.Opens["/a.yaml"]);
        Assert.Equal(1, fs.Opens["/b.txt"]);
        Assert.Equal(["/a.yaml", "/b.txt"], all.Seen.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.Equal([("/a.yaml", "alpha\nbeta\n")], yamlOnly.Seen);
        Assert.Equal([("alpha", "/a.yaml", 1), ("beta", "/a.yaml", 2)], result.Findings.Select(f => (f.RuleId, f.Path, f.Span!.StartLine)));
        Assert.Equal(2, result.FilesScanned);
    }

    [Fact]
    public void A_file_no_detector_requires_is_not_opened()
    {
        using var dir = new TempDir();
        dir.File("a.bin", "alpha");
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        new ContentScanner([new WordDetector("alpha", onlyExtension: ".yaml")], new ContentScanOptions()).ScanFileSystem(fs, CancellationToken.None);
        Assert.Empty(fs.Opens);
    }

    [Fact]
    public void A_gzip_bomb_inside_the_target_stops_at_the_archive_budget()
    {
        using var dir = new TempDir();
        using (var file = File.Create(dir.Combine("bomb.tar.gz")))
        using (var gz = new GZipStream(file, CompressionLevel.SmallestSize))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new MemoryStream(new byte[8 << 20]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "after") { DataStream = new MemoryStream("alpha"u8.ToArray()) });
        }
        var detector = new WordDetector("alpha");
        var result = new ContentScanner([detector], new ContentScanOptions { MaxArchiveBytes = 1 << 20 })
            .ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Contains(result.Warnings, w => w.StartsWith("/bomb.tar.gz: more than 1048576 bytes decompressed", StringComparison.Ordinal));
        Assert.DoesNotContain(detector.Seen, s => s.Path.EndsWith("after", StringComparison.Ordinal));
    }

    [Fact]
    public void A_zip_entry_cannot_inflate_past_its_declared_size_and_depth_is_bounded()
    {
        using var dir = new TempDir();
        var inner = Zip(("deep.txt", "alpha"));
        var middle = Zip(("inner.zip", inner), ("mid.txt", "alpha"));
        dir.File("outer.jar", Zip(("middle.zip", middle), ("top.txt", "alpha")));
        var detector = new WordDetector("alpha");
        var result = new ContentScanner([detector], new ContentScanOptions { MaxArchiveDepth = 2 })
            .ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Equal(["/outer.jar!/middle.zip!/mid.txt", "/outer.jar!/top.txt"], result.Findings.Select(f => f.Path));
        Assert.Contains(result.Warnings, w => w.Contains("/outer.jar!/middle.zip!/inner.zip: archive nested 3 deep", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_entry_of_a_large_archive_is_scanned_once_while_entries_go_to_the_other_cores()
    {
        // Small entries are scanned by tasks while the archive is read on; large ones and nested archives inline.
        using var dir = new TempDir();
        var entries = Enumerable.Range(0, 300).Select(i => ($"e{i:000}.txt", (object)$"line\nalpha {i}\n")).ToList();
        entries.Add(("big.txt", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 << 19)) + "\nalpha big\n")); // over 1 MiB, not a bomb
        entries.Add(("nested.zip", Zip(("in.txt", "alpha nested"))));
        dir.File("a.zip", Zip([.. entries]));
        using (var file = File.Create(dir.Combine("b.tar.gz")))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
            foreach (var (name, content) in entries.Where(e => e.Item2 is string))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes((string)content)) });
        var detector = new WordDetector("alpha");
        var result = new ContentScanner([detector], new ContentScanOptions()).ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Empty(result.Warnings);
        var expected = entries.Where(e => e.Item2 is string).Select(e => "/a.zip!/" + e.Item1)
            .Concat(entries.Where(e => e.Item2 is string).Select(e => "/b.tar.gz!/" + e.Item1)).Append("/a.zip!/nested.zip!/in.txt");
        Assert.Equal(expected.Order(StringComparer.Ordinal), result.Findings.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(detector.Seen.Count, detector.Seen.Select(s => s.Path).Distinct().Count());
        Assert.Contains(detector.Seen, s => s.Path == "/a.zip!/e123.txt" && s.Content == "line\nalpha 123\n");
    }

    [Fact]
    public void A_detector_that_throws_is_a_warning_and_the_others_go_on()
    {
        using var dir = new TempDir();
        dir.File("a.txt", "alpha");
        var ok = new WordDetector("alpha");
        var result = new ContentScanner([new ThrowingDetector(), ok], new ContentScanOptions())
            .ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Single(result.Findings);
        Assert.Contains(result.Warnings, w => w.Contains("/a.txt: pii scan failed: broken", StringComparison.Ordinal));
    }

    private sealed class ThrowingDetector : IContentDetector
    {
        public FindingClass Class => FindingClass.Pii;
        public IReadOnlyList<RuleDescriptor> Rules => [];
        public bool FileRequired(string path, long size) => true;
        public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("broken");
    }

    internal static byte[] Zip(params (string Name, object Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(content is byte[] b ? b : Encoding.UTF8.GetBytes((string)content));
            }
        return buffer.ToArray();
    }
}

public class DeferredDetectorTests
{
    /// <summary>Counts the files it was given and reports, once all are read, one finding per file counted (and
    /// <paramref name="extra"/> more against the first), as a detector judging files together does.</summary>
    private sealed class CountingDetector(int extra = 0) : IDeferredContentDetector
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<string> _seen = [];
        public FindingClass Class => FindingClass.Misconfig;
        public IReadOnlyList<RuleDescriptor> Rules => [];
        public bool FileRequired(string path, long size) => path.EndsWith(".tf", StringComparison.Ordinal);

        public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
        {
            _seen.Add(path);
            return [];
        }

        public IEnumerable<ContentFinding> Complete(Action<string> warn, CancellationToken cancellationToken)
        {
            var paths = _seen.Order(StringComparer.Ordinal).ToList();
            foreach (var p in paths.Concat(Enumerable.Repeat(paths[0], extra)))
                yield return new ContentFinding { Class = FindingClass.Misconfig, RuleId = "T", Title = "T", Severity = Severity.Low, Path = p, Fingerprint = $"{p}:{paths.Count}" };
        }
    }

    [Fact]
    public void Detectors_that_judge_files_together_report_after_every_file_of_a_directory_is_read()
    {
        using var dir = new TempDir();
        for (var i = 0; i < 20; i++) dir.File($"m{i}/main.tf", "x");
        var result = new ContentScanner([new CountingDetector()], new ContentScanOptions()).ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Equal(20, result.Findings.Count);
        Assert.All(result.Findings, f => Assert.EndsWith(":20", f.Fingerprint, StringComparison.Ordinal));
    }

    [Fact]
    public void Findings_judged_across_files_keep_the_per_file_bound()
    {
        using var dir = new TempDir();
        dir.File("a.tf", "x");
        var result = new ContentScanner([new CountingDetector(extra: 50)], new ContentScanOptions { MaxFindingsPerFile = 10 })
            .ScanFileSystem(new DirectoryFileSystem(dir.Path), CancellationToken.None);
        Assert.Equal(10, result.Findings.Count);
        Assert.Single(result.Warnings, w => w.Contains("more than 10 misconfig findings judged across files"));
    }
}
