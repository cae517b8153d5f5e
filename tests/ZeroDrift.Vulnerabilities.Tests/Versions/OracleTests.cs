using NuGet.Versioning;
using Xunit.Abstractions;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Tests.Versions;

/// <summary>
/// Each scheme against the ecosystem's own implementation on this machine: dpkg, rpm, Python's packaging,
/// Maven's ComparableVersion, PHP's version_compare, Ruby's Gem::Version, node's semver and NuGet.Versioning, over a few
/// hundred generated pairs each (one tool process per test).
/// </summary>
public class OracleTests(ITestOutputHelper output)
{
    private const int PairCount = 400;

    private void AssertAgrees(string tool, VersionScheme scheme, IReadOnlyList<(string A, string B)> pairs, IReadOnlyList<string> expected)
    {
        Assert.Equal(pairs.Count, expected.Count);
        var mismatches = new List<string>();
        var counts = new Dictionary<string, int> { ["<"] = 0, ["="] = 0, [">"] = 0 };
        for (var i = 0; i < pairs.Count; i++)
        {
            var ours = scheme.Compare(pairs[i].A, pairs[i].B);
            var theirs = expected[i].Trim();
            counts[theirs] = counts.GetValueOrDefault(theirs) + 1;
            if (ours.Symbol != theirs) mismatches.Add($"{pairs[i].A} {theirs} {pairs[i].B} says {tool}, we say {ours}");
        }
        output.WriteLine($"{scheme.Name} vs {tool}: {pairs.Count - mismatches.Count} of {pairs.Count} pairs agree (tool: {counts["<"]} <, {counts["="]} =, {counts[">"]} >)");
        foreach (var m in mismatches.Take(30)) output.WriteLine(m);
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches.Take(30)));
        // The pairs must exercise all three outcomes, or the test would prove little.
        Assert.All(counts.Values, c => Assert.True(c > 0, $"the generated pairs never gave one of the outcomes: {string.Join(", ", counts)}"));
    }

    [Fact]
    public void Debian_agrees_with_dpkg_compare_versions()
    {
        var g = new VersionGenerator(1);
        var pairs = g.Pairs(300, () =>
        {
            var epoch = g.Next(5) == 0 ? g.Pick(["0", "1", "2", "01"]) + ":" : "";
            var hasRevision = g.Next(3) != 0;
            // Now and then a version dpkg only warns about (not starting with a digit, an underscore): it still compares them.
            var upstream = (g.Next(12) == 0 ? g.Pick(["a", "_"]) : "") + g.Digits() + g.FromAlphabet(hasRevision ? "0123456789..++~~abzAZ-" : "0123456789..++~~abzAZ", 0, 6);
            var revision = hasRevision ? "-" + g.FromAlphabet("0123456789.+~abu", 1, 5) : "";
            return epoch + upstream + revision;
        });
        const string script = """
            while read -r a b; do
              if dpkg --compare-versions "$a" lt "$b"; then echo "<"
              elif dpkg --compare-versions "$a" eq "$b"; then echo "="
              else echo ">"; fi
            done
            """;
        AssertAgrees("dpkg --compare-versions", VersionSchemes.Debian, pairs, Oracle.Run("bash", ["-c", script], pairs));
    }

    [Fact]
    public void Rpm_agrees_with_rpm_vercmp()
    {
        var g = new VersionGenerator(2);
        var pairs = g.Pairs(PairCount, () =>
            (g.Next(4) == 0 ? g.Pick(["0", "1", "2", "00"]) + ":" : "") +
            g.FromAlphabet("0123456789..abzAZ~^_+", 1, 7) +
            (g.Next(5) == 0 ? "" : "-" + g.FromAlphabet("0123456789.abel~^", 0, 5)));
        using var dir = new TempDir();
        var file = dir.Combine("pairs.txt");
        File.WriteAllLines(file, pairs.Select(p => $"{p.A} {p.B}"));
        var lua = $"%{{lua: local out = {{}}; for line in io.lines('{file}') do local a, b = line:match('^(%S+) (%S+)$'); out[#out + 1] = rpm.vercmp(a, b) end; print(table.concat(out, ' '))}}";
        var results = Oracle.Run("rpm", ["--eval", lua], [], stdinOverride: "");
        AssertAgrees("rpm.vercmp", VersionSchemes.Rpm, pairs, [.. results.SelectMany(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(Oracle.Symbol)]);
    }

    [Fact]
    public void PyPI_agrees_with_python_packaging()
    {
        var g = new VersionGenerator(3);
        string Sep() => g.Pick(["", "", ".", "-", "_"]);
        string Num() => g.Pick(["0", "1", "2", "10", "01"]);
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = (g.Next(6) == 0 ? "v" : "") + (g.Next(8) == 0 ? Num() + "!" : "");
            v += string.Join('.', Enumerable.Range(0, 1 + g.Next(4)).Select(_ => Num()));
            if (g.Next(3) == 0) v += Sep() + g.Pick(["a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "RC", "A"]) + (g.Next(4) == 0 ? "" : Sep() + Num());
            if (g.Next(4) == 0) v += g.Pick(["-" + Num(), Sep() + "post" + (g.Next(3) == 0 ? "" : Sep() + Num()), Sep() + "r" + Num(), Sep() + "rev"]);
            if (g.Next(4) == 0) v += Sep() + "dev" + (g.Next(3) == 0 ? "" : Num());
            if (g.Next(5) == 0) v += "+" + string.Join(g.Pick([".", "-", "_"]), Enumerable.Range(0, 1 + g.Next(3)).Select(_ => g.Pick(["abc", "1", "01", "ubuntu", "2", "A"])));
            return v;
        });
        const string script = """
            import sys
            from packaging.version import Version
            for line in sys.stdin:
                a, b = line.split()
                va, vb = Version(a), Version(b)
                print("<" if va < vb else ">" if va > vb else "=")
            """;
        AssertAgrees("python3 packaging", VersionSchemes.PyPI, pairs, Oracle.Run("/usr/bin/python3", ["-c", script], pairs));
    }

    [Fact]
    public void Maven_agrees_with_ComparableVersion()
    {
        var g = new VersionGenerator(4);
        string[] words = ["alpha", "a", "beta", "b", "m", "milestone", "rc", "cr", "RC", "snapshot", "SNAPSHOT", "ga", "final", "Final", "release", "sp", "foo", "xyz"];
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = g.Digits();
            for (var i = g.Next(5); i > 0; i--) v += g.Pick([".", ".", "-", "-", ""]) + (g.Next(2) == 0 ? g.Digits() : g.Pick(words));
            return v;
        });
        AssertAgrees("maven-artifact ComparableVersion", VersionSchemes.Maven, pairs, Oracle.Maven(pairs));
    }

    [Fact]
    public void Packagist_agrees_with_php_version_compare()
    {
        var g = new VersionGenerator(5);
        string[] words = ["dev", "alpha", "a", "beta", "b", "RC", "rc", "pl", "p", "patch", "foo"];
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = g.Digits();
            for (var i = g.Next(5); i > 0; i--) v += g.Pick([".", ".", "-", "_", "+", ""]) + (g.Next(2) == 0 ? g.Digits() : g.Pick(words));
            return v;
        });
        AssertAgrees("php version_compare", VersionSchemes.Packagist, pairs, Oracle.Php(pairs));
    }

    [Fact]
    public void RubyGems_agrees_with_Gem_Version()
    {
        var g = new VersionGenerator(6);
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = g.Digits();
            for (var i = g.Next(5); i > 0; i--) v += "." + g.Pick([g.Digits(), g.Digits(), "a", "b", "pre", "rc", "beta", "alpha", "rc1", "A"]);
            if (g.Next(5) == 0) v += "-" + g.Pick(["beta", "rc1", "1", "pre.2"]);
            return v;
        });
        const string script = """STDIN.each_line { |l| a, b = l.split; c = Gem::Version.new(a) <=> Gem::Version.new(b); puts(c < 0 ? "<" : c > 0 ? ">" : "=") }""";
        AssertAgrees("ruby Gem::Version", VersionSchemes.RubyGems, pairs, Oracle.Run("ruby", ["-e", script], pairs));
    }

    [Fact]
    public void SemVer_agrees_with_node_semver()
    {
        // The semver package npm itself uses, bundled with Node.js.
        const string module = "/usr/lib/node_modules/npm/node_modules/semver";
        Assert.True(Directory.Exists(module), $"{module} is missing: apt-get install nodejs (with its bundled npm)");
        var g = new VersionGenerator(8);
        string Num() => g.Pick(["0", "1", "2", "10", "20191109021931"]);
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = $"{Num()}.{Num()}.{Num()}";
            if (g.Next(2) == 0) v += "-" + string.Join('.', Enumerable.Range(0, 1 + g.Next(3)).Select(_ => g.Pick(["alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "RC", "0.20191109021931-daa7c04131f5"])));
            if (g.Next(4) == 0) v += "+" + g.Pick(["build.1", "incompatible", "sha.5114f85"]);
            return v;
        });
        var script = $$"""
            const semver = require('{{module}}');
            const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l);
            console.log(lines.map(l => { const [a, b] = l.split(' '); const c = semver.compare(a, b); return c < 0 ? '<' : c > 0 ? '>' : '='; }).join('\n'));
            """;
        AssertAgrees("node semver", VersionSchemes.For("npm")!, pairs, Oracle.Run("node", ["-e", script], pairs));
    }

    [Fact]
    public void NuGet_agrees_with_NuGet_Versioning()
    {
        var g = new VersionGenerator(7);
        string[] labels = ["alpha", "Alpha", "beta", "BETA", "rc", "RC", "1", "2", "10", "x"];
        var pairs = g.Pairs(PairCount, () =>
        {
            var v = string.Join('.', Enumerable.Range(0, 1 + g.Next(4)).Select(_ => g.Next(6) switch { 0 => "10", 1 => "2", _ => g.Pick(["0", "1"]) }));
            if (g.Next(2) == 0) v += "-" + string.Join('.', Enumerable.Range(0, 1 + g.Next(3)).Select(_ => g.Pick(labels)));
            if (g.Next(4) == 0) v += "+" + g.Pick(["build", "sha.1", "5"]);
            return v;
        });
        var expected = pairs.Select(p => Oracle.Symbol(VersionComparer.Default.Compare(NuGetVersion.Parse(p.A), NuGetVersion.Parse(p.B)).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        AssertAgrees("NuGet.Versioning", VersionSchemes.NuGet, pairs, expected);
    }
}
