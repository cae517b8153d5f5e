using BenchmarkDotNet.Attributes;
using ZeroDrift.Core;

namespace ZeroDrift.Benchmarks;

/// <summary>Purls are formatted for every package in every report.</summary>
[MemoryDiagnoser]
public class PurlBenchmarks
{
    private readonly PackageUrl _purl = new("deb", "debian", "libc6", "2.36-9+deb12u4", [new("arch", "amd64"), new("distro", "debian-12"), new("upstream", "glibc")]);

    [Benchmark]
    public string Format() => _purl.ToString();

    [Benchmark]
    public PackageUrl Parse() => PackageUrl.Parse("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");
}
