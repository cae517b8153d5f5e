using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Secrets;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Secret scanning throughput with the full built-in rule set over 4 MB of source-like text holding a few
/// secrets, and over one pathological 4 MB line (the chunking path).
/// </summary>
[MemoryDiagnoser]
public class SecretScanBenchmarks
{
    private readonly SecretScanner _scanner = new(BuiltInRules.RuleSet);
    private string _source = "";
    private string _oneLine = "";

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder();
        var random = new Random(7);
        var i = 0;
        while (sb.Length < 4 << 20)
        {
            sb.Append("    public string Name").Append(i).Append(" { get; init; } = \"value ").Append(random.Next()).Append("\";\n");
            if (i % 500 == 0) sb.Append("    var apiKey = config[\"api_key\"]; // token from the vault\n");
            if (i % 5000 == 0) sb.Append("GITHUB_TOKEN=ghp_").Append(Guid.NewGuid().ToString("N")).Append("abcd\n");
            i++;
        }
        _source = sb.ToString();
        _oneLine = _source.Replace('\n', ' ');
    }

    [Benchmark]
    public int SourceText4MB() => _scanner.Scan("src/Big.cs", new StringReader(_source)).Count;

    [Benchmark]
    public int OneLine4MB() => _scanner.Scan("dist/app.min.js", new StringReader(_oneLine)).Count;
}

/// <summary>
/// Whole-tree secret scan for bench/scripts/secrets-vs-ripgrep.sh: every regular file under a folder, in
/// parallel, with the built-in rules; prints files, bytes, findings, seconds and MB/s.
/// </summary>
public static class SecretTreeScan
{
    public static int Run(string root, int passes = 3)
    {
        var scanner = new SecretScanner(BuiltInRules.RuleSet);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }).ToList();
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var textBytes = files.Where(f => !IsBinary(f)).Sum(f => new FileInfo(f).Length);
        // The first pass pays JIT and the lazy DFA construction of each regex, as a one-shot command run would.
        for (var pass = 1; pass <= passes; pass++)
        {
            long findings = 0;
            var watch = Stopwatch.StartNew();
            Parallel.ForEach(files, file =>
            {
                using var stream = File.OpenRead(file);
                var found = scanner.Scan(Path.GetRelativePath(root, file), stream);
                Interlocked.Add(ref findings, found.Count);
                if (pass == 1)
                    foreach (var f in found) Console.Error.WriteLine($"{f.File}:{f.Line}: {f.RuleId} {f.RedactedSecret}");
            });
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(FormattableString.Invariant($"pass={pass} files={files.Count} bytes={bytes} text_bytes={textBytes} findings={findings} seconds={seconds:F3} mbps={bytes / 1e6 / seconds:F1} text_mbps={textBytes / 1e6 / seconds:F1}"));
        }
        return 0;
    }

    /// <summary>The scanner's own test: a NUL byte in the first 8 KB.</summary>
    private static bool IsBinary(string file)
    {
        Span<byte> head = stackalloc byte[8192];
        using var s = File.OpenRead(file);
        var n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..n].Contains((byte)0);
    }

    /// <summary>Every keyword of the built-in rules, one a line, for ripgrep's -f.</summary>
    public static int Keywords()
    {
        foreach (var k in BuiltInRules.RuleSet.Rules.SelectMany(r => r.Keywords).Distinct().Order(StringComparer.Ordinal)) Console.WriteLine(k);
        return 0;
    }
}
