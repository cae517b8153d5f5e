using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Inventory;
using ZeroDrift.Inventory.Catalogers.Npm;
using ZeroDrift.Inventory.Catalogers.Python;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Lockfile parsing, the catalogers' hot path, on a large monorepo's files: a 20,000-package package-lock.json (v3, npm's
/// own layout) and a 5,000-line requirements.txt with hashes. The reference, in the same run, is the framework parsing the
/// same bytes with nothing done with the result (JsonDocument over the file's bytes; a StreamReader's lines): the ratio says
/// what the cataloger costs on top of reading the file. Only public APIs are used, so the same file measures an older
/// build for a before/after comparison.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LockfileBenchmarks
{
    private string _directory = "";
    private DirectoryFileSystem? _fs;
    private CatalogContext? _context;
    private FileEntry? _npm;
    private FileEntry? _requirements;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("zerodrift-bench-lockfiles-").FullName;
        File.WriteAllText(Path.Combine(_directory, "package-lock.json"), PackageLock(20_000));
        File.WriteAllText(Path.Combine(_directory, "requirements.txt"), Requirements(5_000));
        _fs = new DirectoryFileSystem(_directory);
        _context = new CatalogContext(_fs, null, ScanLimits.Default, _ => { });
        _npm = _fs.Lstat("/package-lock.json");
        _requirements = _fs.Lstat("/requirements.txt");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fs?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    internal static string PackageLock(int packages)
    {
        var sb = new StringBuilder("{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n");
        sb.Append("    \"\": {\n      \"name\": \"app\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n        \"p0\": \"^1.0.0\"\n      }\n    }");
        for (var i = 0; i < packages; i++)
        {
            var version = $"1.{i % 100}.{i % 7}";
            sb.Append(",\n    \"node_modules/p").Append(i).Append("\": {\n      \"version\": \"").Append(version)
                .Append("\",\n      \"resolved\": \"https://registry.npmjs.org/p").Append(i).Append("/-/p").Append(i).Append('-').Append(version)
                .Append(".tgz\",\n      \"integrity\": \"sha512-").Append(Convert.ToBase64String(BitConverter.GetBytes(i * 7919L)).PadRight(86, 'A'))
                .Append("==\",\n      \"license\": \"MIT\",\n      \"dependencies\": {\n        \"p").Append((i + 1) % packages).Append("\": \"^1.0.0\",\n        \"p")
                .Append((i + 2) % packages).Append("\": \"^1.0.0\"\n      },\n      \"engines\": {\n        \"node\": \">=14\"\n      }");
            if (i % 5 == 0) sb.Append(",\n      \"dev\": true");
            sb.Append("\n    }");
        }
        return sb.Append("\n  }\n}\n").ToString();
    }

    internal static string Requirements(int lines)
    {
        var sb = new StringBuilder("# generated\n");
        for (var i = 0; i < lines; i++)
            sb.Append("package-").Append(i).Append("==1.").Append(i % 50).Append(".0 ; python_version >= \"3.8\" \\\n    --hash=sha256:")
                .Append(i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("npm")]
    public int NpmReferenceJsonDocument()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_directory, "package-lock.json")));
        return document.RootElement.GetProperty("packages").GetPropertyCount();
    }

    [Benchmark, BenchmarkCategory("npm")]
    public int NpmLockCataloger() => new NpmLockCataloger().Catalog(_context!, _npm!).Count();

    [Benchmark(Baseline = true), BenchmarkCategory("requirements")]
    public int RequirementsReferenceLines()
    {
        using var reader = new StreamReader(Path.Combine(_directory, "requirements.txt"));
        var n = 0;
        while (reader.ReadLine() is not null) n++;
        return n;
    }

    [Benchmark, BenchmarkCategory("requirements")]
    public int RequirementsTxtCataloger() => new RequirementsTxtCataloger().Catalog(_context!, _requirements!).Count();
}
