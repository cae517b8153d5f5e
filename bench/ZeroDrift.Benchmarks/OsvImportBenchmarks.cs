using System.IO.Compression;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Vulnerabilities.Database;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Importing the OSV export into SQLite against merely reading and JSON-parsing the same zips, in one run.
/// The export folder is ZERODRIFT_BENCH_OSV (default ../shared/data/osv from the repository root).
/// </summary>
// Enough iterations for a median that holds on a shared two-core machine; ratios are read off the medians.
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 15)]
[MemoryDiagnoser]
[MedianColumn]
public class OsvImportBenchmarks
{
    private string _osv = "";
    private List<string> _zips = [];

    [GlobalSetup]
    public void Setup()
    {
        _osv = Environment.GetEnvironmentVariable("ZERODRIFT_BENCH_OSV") ?? FindSharedOsv();
        _zips = Directory.GetFiles(_osv, "all.zip", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    }

    private static string FindSharedOsv()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ZeroDrift.slnx"))) return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "osv"));
        throw new InvalidOperationException("set ZERODRIFT_BENCH_OSV to a folder of <Ecosystem>/all.zip");
    }

    [Benchmark(Baseline = true)]
    public int ReadAndParse()
    {
        var count = 0;
        foreach (var zip in _zips)
        {
            using var archive = ZipFile.OpenRead(zip);
            foreach (var entry in archive.Entries)
            {
                using var stream = entry.Open();
                using var doc = JsonDocument.Parse(stream);
                count += doc.RootElement.ValueKind == JsonValueKind.Object ? 1 : 0;
            }
        }
        return count;
    }

    /// <summary>The import's reading and indexing alone, without SQLite: tells the two costs apart.</summary>
    [Benchmark]
    public int ReadAndIndex()
    {
        var count = 0;
        foreach (var d in _zips.SelectMany(z => OsvSourceReader.Read(z, _ => { })))
        {
            try { count += ZeroDrift.Vulnerabilities.Osv.OsvIndexEntry.Read(d.Json, d.Name).Packages.Count; }
            catch (ZeroDrift.Vulnerabilities.Osv.OsvFormatException) { }
        }
        return count;
    }

    [Benchmark]
    public int Import()
    {
        var path = Path.Combine(Path.GetTempPath(), $"zerodrift-bench-{Guid.NewGuid():N}.db");
        try
        {
            using var db = VulnerabilityDatabase.Open(path, create: true);
            var result = db.Import(_zips.SelectMany(z => OsvSourceReader.Read(z, _ => { })), _ => { });
            return result.Added;
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
        }
    }
}
