using System.Text;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Tests;

public class HostileInputTests
{
    private static List<string> ScanWarnings(string name, byte[] content, MisconfigDetector? detector = null)
    {
        detector ??= MisconfigDetector.Create();
        var warnings = new List<string>();
        var task = Task.Run(() =>
        {
            using var stream = new MemoryStream(content);
            return detector.Scan("/x/" + name, stream, warnings.Add, CancellationToken.None).ToList();
        });
        // A guard against a hang, not a performance assertion: each case takes milliseconds.
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "the scan did not finish");
        return warnings;
    }

    [Fact]
    public void Billion_laughs_is_stopped_with_a_warning()
    {
        var sb = new StringBuilder("apiVersion: v1\nkind: ConfigMap\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 12; i++)
            sb.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        var warnings = ScanWarnings("bomb.yaml", Encoding.UTF8.GetBytes(sb.ToString()));
        Assert.Contains(warnings, w => w.Contains("alias bomb", StringComparison.Ordinal));
    }

    [Fact]
    public void Deep_nesting_is_stopped_with_a_warning()
    {
        var deep = "apiVersion: v1\nkind: Pod\nspec: " + new string('[', 50_000) + new string(']', 50_000) + "\n";
        Assert.Contains(ScanWarnings("deep.yaml", Encoding.UTF8.GetBytes(deep)), w => w.Contains("nested deeper", StringComparison.Ordinal));
        var block = new StringBuilder("apiVersion: v1\nkind: Pod\n");
        for (var i = 0; i < 2_000; i++) block.Append(new string(' ', i)).Append("k:\n");
        Assert.Contains(ScanWarnings("block.yaml", Encoding.UTF8.GetBytes(block.ToString())), w => w.Contains("nested deeper", StringComparison.Ordinal));
    }

    [Fact]
    public void Binary_garbage_named_dockerfile_is_a_warning()
    {
        var garbage = new byte[64 * 1024];
        new Random(4).NextBytes(garbage);
        Assert.Contains(ScanWarnings("Dockerfile", garbage), w => w.Contains("binary content", StringComparison.Ordinal));
        var noNul = garbage.Select(b => b == 0 ? (byte)1 : b).ToArray();
        Assert.Contains(ScanWarnings("Dockerfile", noNul), w => w.Contains("not readable as UTF-8", StringComparison.Ordinal));
        Assert.Contains(ScanWarnings("Dockerfile", Encoding.UTF8.GetBytes("FROM alpine:3\n\u0001\u0002 what\n")),
            w => w.Contains("not a valid Dockerfile", StringComparison.Ordinal));
    }

    [Fact]
    public void Oversized_files_are_not_required_and_an_oversized_stream_is_a_warning()
    {
        var detector = MisconfigDetector.Create(new MisconfigOptions { MaxManifestBytes = 1024 });
        Assert.False(detector.FileRequired("/x/big.yaml", 2048));
        Assert.True(detector.FileRequired("/x/small.yaml", 1024));
        Assert.False(detector.FileRequired("/x/readme.md", 10));
        var big = Encoding.UTF8.GetBytes("apiVersion: v1\nkind: Pod\n" + new string('#', 4096));
        Assert.Contains(ScanWarnings("big.yaml", big, detector), w => w.Contains("larger than 1024 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_yaml_keeps_the_documents_before_the_error()
    {
        const string yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  type: NodePort\n---\napiVersion: v1\nkind: Pod\nspec: [unclosed\n";
        var warnings = new List<string>();
        var findings = Scan.Text("two.yaml", yaml, warnings);
        Assert.Equal(6, Assert.Single(findings).Span!.StartLine);
        Assert.Contains(warnings, w => w.Contains("invalid YAML at line", StringComparison.Ordinal) && w.Contains("checked the 1 document", StringComparison.Ordinal));
    }

    [Fact]
    public void Helm_templates_are_named_as_such_and_placeholders_are_not_judged()
    {
        var warnings = new List<string>();
        Assert.Empty(Scan.Text("deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x\" . }}\n{{- if .Values.x }}\n  labels: {}\n{{- end }}\n", warnings));
        Assert.Contains(warnings, w => w.Contains("Go/Helm template", StringComparison.Ordinal));
        var pod = KubernetesCheckTests.Pod(image: "\"{{ .Values.image }}\"");
        Assert.DoesNotContain(Scan.Text("pod.yaml", pod), f => f.RuleId == "ZD-K8S-021");
    }

    [Fact]
    public void Loader_limits_are_enforced_directly()
    {
        Assert.Throws<DocumentException>(() => YamlDocuments.Load("a: *nowhere\n"));
        var many = string.Join("\n", Enumerable.Range(0, 2_000).Select(i => $"k{i}: v"));
        var e = Assert.Throws<DocumentException>(() => YamlDocuments.Load(many, new ParseBudget { MaxItems = 1_000 }, "many.yaml"));
        Assert.Equal("many.yaml: more than 1000 YAML nodes", e.Message);
    }
}
