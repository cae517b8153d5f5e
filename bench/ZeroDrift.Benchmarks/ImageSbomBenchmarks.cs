using System.IO.Compression;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Inventory;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// The SBOM of an image against the time to merely decompress its layers with the same zlib, in one run.
/// The image is an OCI layout named by ZERODRIFT_BENCH_IMAGE (bench/scripts/make-oci-image.sh builds one).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class ImageSbomBenchmarks
{
    private string _layout = "";
    private List<string> _layers = [];

    [GlobalSetup]
    public void Setup()
    {
        _layout = Environment.GetEnvironmentVariable("ZERODRIFT_BENCH_IMAGE")
            ?? throw new InvalidOperationException("set ZERODRIFT_BENCH_IMAGE to an OCI layout folder (bench/scripts/make-oci-image.sh)");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(_layout, "index.json")));
        var manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var manifest = JsonDocument.Parse(File.ReadAllText(Blob(manifestDigest)));
        _layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => Blob(l.GetProperty("digest").GetString()!)).ToList();
    }

    private string Blob(string digest) => Path.Combine(_layout, "blobs", "sha256", digest["sha256:".Length..]);

    [Benchmark(Baseline = true)]
    public long DecompressLayers()
    {
        long total = 0;
        var buffer = new byte[1 << 16];
        foreach (var layer in _layers)
        {
            using var gz = new GZipStream(File.OpenRead(layer), CompressionMode.Decompress);
            int n;
            while ((n = gz.Read(buffer)) > 0) total += n;
        }
        return total;
    }

    [Benchmark]
    public async Task<int> Sbom()
    {
        var inventory = await InventoryScanner.Default.ScanAsync(TargetReference.Parse("oci-dir:" + _layout), new TargetOptions(), CancellationToken.None);
        return inventory.Packages.Count;
    }
}
