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
        for (var round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var (_, bytes) in files) HclParser.ParseFile(Encoding.UTF8.GetString(bytes));
            var parse = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            var detector = MisconfigDetector.Create();
            foreach (var (path, bytes) in files) detector.Scan(path, new MemoryStream(bytes), _ => { }, CancellationToken.None).Count();
            var scanned = sw.Elapsed.TotalMilliseconds;
            var findings = detector.Complete(_ => { }, CancellationToken.None).Count();
            var total = sw.Elapsed.TotalMilliseconds;
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
