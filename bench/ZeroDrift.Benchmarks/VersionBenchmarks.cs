using BenchmarkDotNet.Attributes;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Matching compares an installed version against every range bound of every advisory for the package, so
/// comparisons run by the million in a scan. Each benchmark compares 10,000 real pairs (osv-scalibr's vectors in
/// ../shared/data/version-vectors); the reference is the ecosystem's own tool per pair (docs/versions.md).
/// </summary>
[MemoryDiagnoser]
public class VersionBenchmarks
{
    private (string A, string B)[] _pairs = [];
    private VersionScheme _scheme = VersionSchemes.Debian;

    [Params("Debian", "Red Hat", "Alpine", "PyPI", "Maven")]
    public string Ecosystem { get; set; } = "Debian";

    [GlobalSetup]
    public void Setup()
    {
        var file = Ecosystem switch
        {
            "Debian" => "debian-versions-generated.txt",
            "Red Hat" => "debian-versions-generated.txt", // rpm has no large vector file; Debian versions are valid EVRs
            "Alpine" => "alpine-versions-generated.txt",
            "PyPI" => "pypi-versions-generated.txt",
            _ => "maven-versions-generated.txt",
        };
        _scheme = VersionSchemes.For(Ecosystem)!;
        _pairs = [.. File.ReadLines(Path.Combine(VectorDirectory(), file))
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("//", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).Select(p => (p[0], p[2])).Take(10_000)];
    }

    /// <summary>10,000 comparisons, parsing both sides each time as a matcher reading advisories would.</summary>
    [Benchmark]
    public int Compare10k()
    {
        var sum = 0;
        foreach (var (a, b) in _pairs) sum += _scheme.Compare(a, b).Order ?? 0;
        return sum;
    }

    private static string VectorDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ZeroDrift.slnx")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "version-vectors"));
        throw new InvalidOperationException("repository root (ZeroDrift.slnx) not found above " + AppContext.BaseDirectory);
    }
}
