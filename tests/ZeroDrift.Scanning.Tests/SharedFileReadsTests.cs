using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Inventory;
using ZeroDrift.Scanning.Content;

namespace ZeroDrift.Scanning.Tests;

/// <summary>A directory scan with the vulnerability and content scanners together reads each file once.</summary>
public class SharedFileReadsTests
{
    /// <summary>Every file, every line containing "secret".</summary>
    private sealed class LineDetector : IContentDetector
    {
        public List<string> Seen { get; } = [];
        public FindingClass Class => FindingClass.Secret;
        public IReadOnlyList<RuleDescriptor> Rules => [new RuleDescriptor { Class = FindingClass.Secret, Id = "s", Title = "s", Severity = Severity.High }];
        public bool FileRequired(string path, long size) => true;

        public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
        {
            var text = new StreamReader(content).ReadToEnd();
            lock (Seen) Seen.Add(path);
            if (text.Contains("secret", StringComparison.Ordinal))
                yield return new ContentFinding { Class = FindingClass.Secret, RuleId = "s", Title = "s", Severity = Severity.High, Path = path, Fingerprint = path };
        }
    }


    [Fact]
    public void Manifests_are_read_once_for_the_inventory_and_the_detectors()
    {
        using var dir = new TempDir();
        dir.File("app/package.json", """{"name":"app","version":"1.0.0","dependencies":{"left-pad":"1.3.0"},"secret":"x"}""");
        dir.File("app/node_modules/left-pad/package.json", """{"name":"left-pad","version":"1.3.0"}""");
        dir.File("app/README.md", "nothing secret here\n");
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        var detector = new LineDetector();
        var content = new ContentScanner([detector], new ContentScanOptions());
        using var shared = new SharedFileReads(fs, e => content.Wants(e.Path, e.Size));
        var reference = TargetReference.Parse(dir.Path);
        var inventory = InventoryScanner.Default.Scan(new Target(reference, shared.First, null, null, []), ScanLimits.Default, CancellationToken.None);
        var result = content.ScanFileSystem(shared.Second, CancellationToken.None);

        Assert.Contains(inventory.Packages, p => p.Name == "left-pad" && p.Version == "1.3.0");
        Assert.Equal(["/app/README.md", "/app/node_modules/left-pad/package.json", "/app/package.json"], detector.Seen.Order(StringComparer.Ordinal));
        Assert.Equal(["/app/README.md", "/app/package.json"], result.Findings.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(fs.Opens, kv => Assert.True(kv.Value == 1, $"{kv.Key} opened {kv.Value} times"));
        Assert.True(shared.SharedFiles >= 1);   // at least the package.json the npm cataloger read
    }

    [Fact]
    public void Files_over_the_limit_are_read_again_rather_than_kept()
    {
        using var dir = new TempDir();
        dir.File("big.txt", new string('a', (int)SharedFileReads.MaxFileBytes + 1));
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        using var shared = new SharedFileReads(fs, _ => true);
        var entry = fs.Lstat("/big.txt")!;
        using (var first = shared.First.Open(entry)) Assert.Equal(SharedFileReads.MaxFileBytes + 1, first.Length);
        using (var second = shared.Second.Open(entry)) Assert.Equal(SharedFileReads.MaxFileBytes + 1, second.Length);
        Assert.Equal(2, fs.Opens["/big.txt"]);
        Assert.Equal(0, shared.SharedFiles);
    }

    [Fact]
    public void A_kept_file_is_handed_out_once_then_forgotten()
    {
        using var dir = new TempDir();
        dir.File("go.mod", "module x\n");
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        using var shared = new SharedFileReads(fs, _ => true);
        var entry = fs.Lstat("/go.mod")!;
        shared.First.Open(entry).Dispose();
        shared.First.Open(entry).Dispose();   // a second cataloger: still one read
        Assert.Equal("module x\n", new StreamReader(shared.Second.Open(entry)).ReadToEnd());
        Assert.Equal(1, fs.Opens["/go.mod"]);
        shared.Second.Open(entry).Dispose();  // not kept any more: read from the directory
        Assert.Equal(2, fs.Opens["/go.mod"]);
    }

    [Fact]
    public void A_binary_file_goes_to_the_first_reader_untouched_and_is_not_kept()
    {
        using var dir = new TempDir();
        var binary = new byte[20_000];
        binary[100] = 1;
        binary[19_999] = 7;
        dir.File("lib/app.dll", binary);
        using var fs = new CountingFileSystem(new DirectoryFileSystem(dir.Path));
        using var shared = new SharedFileReads(fs, _ => true);
        var entry = fs.Lstat("/lib/app.dll")!;
        using (var first = shared.First.Open(entry))
        {
            var read = new MemoryStream();
            first.CopyTo(read);
            Assert.Equal(binary, read.ToArray());   // from the start, whole, although its first 8 KB were looked at
        }
        shared.Second.Open(entry).Dispose();
        Assert.Equal(2, fs.Opens["/lib/app.dll"]);
        Assert.Equal(0, shared.SharedFiles);
    }
}
