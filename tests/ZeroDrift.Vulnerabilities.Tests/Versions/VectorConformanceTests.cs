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
    /// Vectors that contradict the ecosystem's own tool, checked on this machine: the comparator must give the
    /// tool's answer (first symbol) instead.
    /// </summary>
    private static readonly Dictionary<(string File, string Line), (string ToolSays, string Why)> ContradictedByTheTool = new()
    {
        [("maven-versions.txt", "1-1 = 1-ga-1")] = (">", "Maven's ComparableVersion (maven-artifact 3.8.7) orders 1-1 > 1-ga-1: 'ga' is trimmed from the middle list, leaving a nested list [[1]] that ranks below the number 1"),
        [("packagist-versions.txt", "1.2.3.# = 1.2.3")] = ("<", "PHP's version_compare('1.2.3.#', '1.2.3') is -1: '#' canonicalises to a trailing empty segment, which ranks below nothing"),
        [("packagist-versions.txt", "1.2.3.# = 1.2.3.1")] = ("<", "PHP's version_compare('1.2.3.#', '1.2.3.1') is -1 (the vector also contradicts 1.2.3 < 1.2.3.1 by transitivity)"),
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_vector_holds_both_ways_round(string file, string ecosystem)
    {
        var scheme = VersionSchemes.For(ecosystem);
        Assert.NotNull(scheme);
        var lines = File.ReadAllLines(Path.Combine(VectorDir, file));
        var failures = new List<string>();
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
            if (ContradictedByTheTool.TryGetValue((file, line), out var deviation))
            {
                expected = deviation.ToolSays switch { "<" => -1, "=" => 0, _ => 1 };
                output.WriteLine($"{file}:{n + 1}: '{line}' contradicts the real tool; expecting '{deviation.ToolSays}': {deviation.Why}");
            }
            var forward = scheme.Compare(parts[0], parts[2]);
            var backward = scheme.Compare(parts[2], parts[0]);
            if (forward.Order != expected || backward.Order != -expected)
                failures.Add($"{file}:{n + 1}: {line} but got {forward} and reversed {backward}");
        }
        output.WriteLine($"{file} as {ecosystem}: {checkedCount - failures.Count} of {checkedCount} vectors pass (each checked both ways)");
        foreach (var f in failures.Take(40)) output.WriteLine(f);
        Assert.True(checkedCount > 0, $"{file} has no vectors");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} failed:\n" + string.Join('\n', failures.Take(40)));
    }
}
