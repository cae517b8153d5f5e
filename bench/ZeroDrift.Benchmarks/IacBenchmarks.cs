using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Misconfig;
using ZeroDrift.Misconfig.Iac.Terraform;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// A Terraform tree of 1,000 files (bench/scripts/gen-terraform-tree.py: 10 root modules calling 10 local modules,
/// 7 resources per file, half of them misconfigured) scanned as <c>scan --scanners misconfig</c> does (each file
/// through the detector, then the modules evaluated and checked), against the reference of parsing the same files
/// alone with the HCL parser: the ratio is what evaluation and the checks add to parsing.
/// </summary>
[MemoryDiagnoser]
public class IacBenchmarks
{
    private List<(string Path, byte[] Bytes)> _files = [];

    [GlobalSetup]
    public void Setup()
    {
        var dir = Environment.GetEnvironmentVariable("ZD_TF_TREE") ?? Path.Combine(Path.GetTempPath(), "zerodrift-tf-tree-1000");
        if (!Directory.Exists(dir))
        {
            var script = Path.Combine(FindRepo(), "bench", "scripts", "gen-terraform-tree.py");
            using var p = Process.Start(new ProcessStartInfo("python3", [script, dir, "1000"]) { RedirectStandardOutput = true })!;
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("gen-terraform-tree.py failed");
        }
        _files = [.. Directory.EnumerateFiles(dir, "*.tf", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => ("/" + Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllBytes(f)))];
        if (_files.Count != 1000) throw new InvalidOperationException($"{_files.Count} files in {dir}, expected 1000");
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ZeroDrift.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The reference: every file decoded and parsed to its syntax tree, nothing more.</summary>
    [Benchmark(Baseline = true)]
    public int ParseOnly()
    {
        var blocks = 0;
        foreach (var (_, bytes) in _files) blocks += HclParser.ParseFile(Encoding.UTF8.GetString(bytes)).Blocks.Count;
        return blocks;
    }

    /// <summary>The scan: parse, evaluate modules (variables, locals, module calls, dynamic blocks), run every check.</summary>
    [Benchmark]
    public int ParseEvaluateAndCheck()
    {
        var detector = MisconfigDetector.Create();
        var findings = 0;
        foreach (var (path, bytes) in _files)
            findings += detector.Scan(path, new MemoryStream(bytes, writable: false), _ => { }, CancellationToken.None).Count();
        findings += detector.Complete(_ => { }, CancellationToken.None).Count();
        return findings;
    }
}
