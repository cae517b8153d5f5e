using Xunit.Abstractions;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Tests.Versions;

/// <summary>
/// osv-scalibr's comparison vectors (../shared/data/version-vectors): every line of every file, both ways round.
/// </summary>
public class VectorConformanceTests(ITestOutputHelper output)
{
    private static string VectorDir => Path.Combine(RepoPaths.SharedData, "version-vectors");

    public static TheoryData<string, string> Files => new()
    {
        { "semver-versions.txt", "npm" },
        { "semver-versions.txt", "crates.io" },
        { "semver-versions.txt", "Go" },
        { "semver-versions.txt", "Hex" },
        { "rubygems-versions.txt", "RubyGems" },
        { "rubygems-versions-generated.txt", "RubyGems" },
        { "nuget-versions.txt", "NuGet" },
        { "packagist-versions.txt", "Packagist" },
        { "packagist-versions-generated.txt", "Packagist" },
        { "maven-versions.txt", "Maven" },
        { "maven-versions-generated.txt", "Maven" },
        { "pypi-versions.txt", "PyPI" },
        { "pypi-versions-generated.txt", "PyPI" },
        { "debian-versions.txt", "Debian" },
        { "debian-versions-generated.txt", "Debian" },
        { "cran-versions.txt", "CRAN" },
        { "cran-versions-generated.txt", "CRAN" },
        { "alpine-versions.txt", "Alpine" },
        { "alpine-versions-generated.txt", "Alpine" },
        { "redhat-versions.txt", "Red Hat" },
        { "hackage-versions.txt", "Hackage" },
        { "pub-versions.txt", "Pub" },
    };

    /// <summary>
    /// The ecosystems whose own tool is on this machine: a vector we disagree with passes only when that tool
    /// disagrees with the vector too, and gives our answer.
    /// </summary>
    private static readonly Dictionary<string, Func<IReadOnlyList<(string A, string B)>, string[]>> Tools = new()
    {
        ["Maven"] = Oracle.Maven,
        ["Packagist"] = Oracle.Php,
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_vector_holds_both_ways_round(string file, string ecosystem)
    {
        var scheme = VersionSchemes.For(ecosystem);
        Assert.NotNull(scheme);
        var lines = File.ReadAllLines(Path.Combine(VectorDir, file));
        var failures = new List<Failure>();
        var checkedCount = 0;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("//", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            Assert.True(parts.Length == 3, $"{file}:{n + 1}: not 'A op B': {line}");
            var expected = parts[1] switch
            {
                "<" => -1,
                "=" => 0,
                ">" => 1,
                _ => throw new InvalidDataException($"{file}:{n + 1}: unknown operator {parts[1]}"),
            };
            checkedCount++;
            var forward = scheme.Compare(parts[0], parts[2]);
            var backward = scheme.Compare(parts[2], parts[0]);
            if (forward.Order != expected || backward.Order != -expected)
                failures.Add(new Failure($"{file}:{n + 1}", line, parts[0], parts[2], forward, backward));
        }
        var contradicted = new List<Failure>();
        if (failures.Count > 0 && Tools.TryGetValue(ecosystem, out var tool))
        {
            var answers = tool([.. failures.Select(f => (f.A, f.B))]);
            for (var i = 0; i < failures.Count; i++)
            {
                var f = failures[i];
                // The tool must contradict the vector and agree with us both ways round; PHP is not even reflexive
                // on some inputs ("1.2.3.#"), so only the forward answer is asked of it.
                if (answers[i] == f.Forward.Symbol && f.Backward.Order == -f.Forward.Order) contradicted.Add(f);
            }
            failures.RemoveAll(contradicted.Contains);
        }
        output.WriteLine($"{file} as {ecosystem}: {checkedCount - failures.Count - contradicted.Count} of {checkedCount} vectors pass (each checked both ways)"
            + (contradicted.Count > 0 ? $"; {contradicted.Count} contradict the ecosystem's own tool, which gives our answer" : ""));
        foreach (var f in contradicted) output.WriteLine($"  contradicted by the tool: {f}");
        foreach (var f in failures.Take(40)) output.WriteLine(f.ToString());
        Assert.True(checkedCount > 0, $"{file} has no vectors");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} failed:\n" + string.Join('\n', failures.Take(40)));
    }

    private sealed record Failure(string Where, string Line, string A, string B, VersionComparison Forward, VersionComparison Backward)
    {
        public override string ToString() => $"{Where}: '{Line}' but we say {Forward} (reversed {Backward})";
    }
}
