using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests.Conformance;

/// <summary>
/// Kubernetes' own Pod Security admission fixtures (../shared/conformance/pss), judged by the real <c>zerodrift</c> at the
/// policy version each is the fixture for: a pass fixture has no finding of its level, a fail fixture has one, naming the
/// fixture's own control. The same fixtures through <c>policy check</c> get the same verdicts.
/// </summary>
public sealed class PodSecurityConformanceTests : IDisposable
{
    private static readonly string[] Levels = ["baseline", "restricted"];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Versions => new(PssFixtures.Versions);

    [Theory]
    [MemberData(nameof(Versions))]
    public void Every_fixture_agrees_with_the_misconfig_scan_at_its_version(string version)
    {
        var disagreements = new List<string>();
        var judged = 0;
        foreach (var level in Levels)
        {
            var findings = Scan(Path.Combine(PssFixtures.Data, level), "--pss-version", version);
            foreach (var fixture in PssFixtures.At(version, level))
            {
                judged++;
                // A finding counts against a level when the level forbids it: the restricted profile includes the baseline.
                var ofLevel = findings.GetValueOrDefault(fixture.Id, []).Where(f => level == "restricted" || f.Level == "baseline").ToList();
                if (fixture.Pass && ofLevel.Count > 0)
                    disagreements.Add($"{version} {fixture.Id}: pass fixture flagged: {string.Join("; ", ofLevel.Select(f => $"{f.RuleId} {f.Message}"))}");
                else if (!fixture.Pass && !ofLevel.Any(f => fixture.Controls.Contains(f.Control)))
                    disagreements.Add($"{version} {fixture.Id}: fail fixture not flagged at {level} by its control ({string.Join(" or ", fixture.Controls)}); " +
                        $"found: {(ofLevel.Count == 0 ? "nothing" : string.Join("; ", ofLevel.Select(f => $"{f.RuleId} {f.Control}")))}");
            }
            Assert.All(findings.Values.SelectMany(f => f), f => Assert.Equal(version, f.Version));
        }
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {judged} fixtures disagree:\n{string.Join("\n", disagreements)}");
        Assert.True(judged >= 100, $"only {judged} fixtures for {version}");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Every_fixture_gets_the_same_verdict_from_policy_check_at_its_version(string version)
    {
        var disagreements = new List<string>();
        foreach (var level in Levels)
        {
            var fixtures = PssFixtures.At(version, level).ToList();
            // One manifest of every fixture, as several documents; policy check answers per document, in order.
            var manifest = _dir.File($"{level}-{version}.yaml", string.Join("---\n", fixtures.Select(f => File.ReadAllText(f.Path))));
            var policy = _dir.File($"policy-{level}.yaml",
                $"apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages:\n  - name: pods\n    match: [\"registry.k8s.io/**\"]\n    podSecurity: {level}\n");
            var r = ZeroDriftRunner.Run("policy", "check", manifest, "--policy", policy, "--pss-version", version, "-o", "json");
            Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}"); // the fail fixtures are denied
            var results = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToList();
            Assert.Equal(fixtures.Count, results.Count);
            for (var i = 0; i < fixtures.Count; i++)
            {
                if (results[i].GetProperty("allowed").GetBoolean() != fixtures[i].Pass)
                    disagreements.Add($"{version} {fixtures[i].Id}: policy check {(fixtures[i].Pass ? "denies" : "allows")} it: " +
                        string.Join("; ", results[i].GetProperty("verdicts").EnumerateArray().Select(v => v.GetProperty("reason").GetString())));
            }
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    [Fact]
    public void Without_a_version_the_newest_judges()
    {
        var restricted = Path.Combine(PssFixtures.Data, "restricted");
        var byDefault = Scan(restricted);
        Assert.Equal(Flat(Scan(restricted, "--pss-version", "v1.37")), Flat(byDefault));
        Assert.Equal(Flat(Scan(restricted, "--pss-version", "latest")), Flat(byDefault));
        Assert.All(byDefault.Values.SelectMany(f => f), f => Assert.Equal("v1.37", f.Version));
        // An older version judges differently: v1.34 forbids the sysctls v1.37 allows, and an unmasked /proc in a user namespace.
        Assert.NotEqual(Flat(Scan(restricted, "--pss-version", "v1.34")), Flat(byDefault));
    }

    [Fact]
    public void Sarif_results_name_the_control_level_and_version_too()
    {
        var fixture = Path.Combine(PssFixtures.Data, "baseline", "fail", "hostnamespaces0.yaml");
        var r = ZeroDriftRunner.Run("scan", fixture, "--scanners", "misconfig", "--format", "sarif", "--quiet", "--pss-version", "v1.34");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var results = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray();
        var hostNamespaces = results.Single(x => x.GetProperty("ruleId").GetString() == "ZD-K8S-002").GetProperty("properties");
        Assert.Equal(("Host Namespaces", "baseline", "v1.34"),
            (hostNamespaces.GetProperty("control").GetString(), hostNamespaces.GetProperty("level").GetString(), hostNamespaces.GetProperty("pssVersion").GetString()));
    }

    private sealed record PssFinding(string RuleId, string Message, string Control, string Level, string Version);

    /// <summary>The Pod Security findings of a scan of one level's fixtures, by fixture id (<c>level/kind/file</c>).</summary>
    private static Dictionary<string, List<PssFinding>> Scan(string directory, params string[] options)
    {
        var r = ZeroDriftRunner.Run(["scan", directory, "--scanners", "misconfig", "--format", "json", "--quiet", .. options]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var level = Path.GetFileName(directory);
        var found = new Dictionary<string, List<PssFinding>>(StringComparer.Ordinal);
        foreach (var f in JsonDocument.Parse(r.Stdout).RootElement.GetProperty("contentFindings").EnumerateArray())
        {
            var properties = f.TryGetProperty("properties", out var p) ? p : default;
            if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty("control", out var control)) continue; // beyond the standard
            var parts = f.GetProperty("path").GetString()!.Split('/');
            var id = $"{level}/{parts[^2]}/{parts[^1]}";
            found.TryAdd(id, []);
            found[id].Add(new PssFinding(f.GetProperty("ruleId").GetString()!, f.GetProperty("message").GetString()!, control.GetString()!,
                properties.GetProperty("level").GetString()!, properties.GetProperty("pssVersion").GetString()!));
        }
        return found;
    }

    private static string Flat(Dictionary<string, List<PssFinding>> findings)
    {
        var text = new StringBuilder();
        foreach (var (id, list) in findings.OrderBy(p => p.Key, StringComparer.Ordinal))
            foreach (var f in list) text.Append(id).Append(' ').Append(f.RuleId).Append(' ').Append(f.Message).Append('\n');
        return text.ToString();
    }
}
