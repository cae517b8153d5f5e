using System.Diagnostics;
using System.Text;
using ZeroDrift.Misconfig;
using ZeroDrift.Misconfig.Iac.Terraform;

namespace ZeroDrift.Benchmarks;

/// <summary><c>iac-profile DIR</c>: one timed pass of parsing alone and of the whole scan over a Terraform tree, five
/// times alternating, for looking into where the time goes without BenchmarkDotNet's build.</summary>
internal static class IacProfile
{
    public static int Run(string dir)
    {
        var files = Directory.EnumerateFiles(dir, "*.tf", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => ("/" + Path.GetRelativePath(dir, f), File.ReadAllBytes(f))).ToList();
        var one = HclParser.ParseFile(File.ReadAllText(Path.Combine(dir, "modules/m0/r0000.tf")));
        var vars = HclParser.ParseFile(File.ReadAllText(Path.Combine(dir, "modules/m0/variables.tf")));
        var locals = vars.Blocks.Where(b => b.Type == "locals").SelectMany(b => b.Body.Attributes).ToDictionary(a => a.Name, a => a.Value);
        foreach (var block in one.Blocks)
        {
            var sw1 = Stopwatch.StartNew();
            for (var i = 0; i < 2000; i++)
            {
                var ev = new HclEvaluator(new Dictionary<string, ZeroDrift.Misconfig.Documents.DocNode>(), locals, "/m");
                TerraformProject.BodyValuePublic(block.Body, ev, block.Line);
            }
            Console.WriteLine($"{block.Labels[0]}: {sw1.Elapsed.TotalMicroseconds / 2000:0.0} us per evaluation");
        }
        var exceptions = 0;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("ZD_ROUNDS"), out var n) ? n : 5;
        for (var round = 0; round < rounds; round++)
        {
            // Processor time of the whole process (the collector's threads included) is less at the mercy of other
            // processes on a shared machine than elapsed time.
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            foreach (var (_, bytes) in files) HclParser.ParseFile(Encoding.UTF8.GetString(bytes));
            var parse = sw.Elapsed.TotalMilliseconds;
            var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
            sw.Restart();
            var detector = MisconfigDetector.Create();
            foreach (var (path, bytes) in files) detector.Scan(path, new MemoryStream(bytes), _ => { }, CancellationToken.None).Count();
            var scanned = sw.Elapsed.TotalMilliseconds;
            var findings = detector.Complete(_ => { }, CancellationToken.None).Count();
            var total = sw.Elapsed.TotalMilliseconds;
            var cpu2 = Process.GetCurrentProcess().TotalProcessorTime;
            Console.WriteLine($"processor time: parse {(cpu1 - cpu0).TotalMilliseconds:0} ms, scan {(cpu2 - cpu1).TotalMilliseconds:0} ms; ratio {(cpu2 - cpu1) / (cpu1 - cpu0):0.00}; {exceptions} exceptions so far, {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections");
            sw.Restart();
            var project = new TerraformProject();
            foreach (var (path, bytes) in files) project.Add(path, Encoding.UTF8.GetString(bytes), 64, _ => { });
            var added = sw.Elapsed.TotalMilliseconds;
            var resources = project.Resources(_ => { }, CancellationToken.None).Count();
            var evaluated = sw.Elapsed.TotalMilliseconds - added;
            Console.WriteLine($"project: add {added:0} ms, evaluate {evaluated:0} ms ({resources} resources)");
            Console.WriteLine($"parse {parse:0} ms; scan: files {scanned:0} ms, modules+checks {total - scanned:0} ms, total {total:0} ms ({findings} findings); ratio {total / parse:0.00}");
        }
        return 0;
    }
}
