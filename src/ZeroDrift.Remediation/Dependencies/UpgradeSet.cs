using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Osv;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>The taken upgrades, looked up by ecosystem and the ecosystem's normalized package name.</summary>
internal sealed class UpgradeSet
{
    private readonly Dictionary<(Ecosystem, string), List<DependencyUpgrade>> _byName = [];

    public UpgradeSet(IEnumerable<DependencyUpgrade> upgrades)
    {
        foreach (var u in upgrades.Where(u => u.Taken))
        {
            var key = (u.Ecosystem, Normalize(u.Ecosystem, u.Name));
            if (!_byName.TryGetValue(key, out var list)) _byName[key] = list = [];
            list.Add(u);
        }
    }

    public IEnumerable<DependencyUpgrade> All => _byName.Values.SelectMany(l => l);

    public IReadOnlyList<DependencyUpgrade> For(Ecosystem ecosystem, string name) =>
        _byName.TryGetValue((ecosystem, Normalize(ecosystem, name)), out var list) ? list : [];

    /// <summary>The upgrade of exactly this installed version.</summary>
    public DependencyUpgrade? For(Ecosystem ecosystem, string name, string version) =>
        For(ecosystem, name).FirstOrDefault(u => SameVersion(ecosystem, u.From, version));

    /// <summary>For a declared range (package.json, Cargo.toml): the highest target among the name's upgrades.</summary>
    public DependencyUpgrade? Highest(Ecosystem ecosystem, string name) =>
        For(ecosystem, name).OrderByDescending(u => u.To, Comparer<string?>.Create((a, b) => Compare(ecosystem, a!, b!))).FirstOrDefault();

    public static int Compare(Ecosystem ecosystem, string a, string b) =>
        Vulnerabilities.Versions.VersionSchemes.For(OsvName(ecosystem))?.Compare(a, b).Order ?? 0;

    public static bool SameVersion(Ecosystem ecosystem, string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (ecosystem == Ecosystem.Go && string.Equals(a.TrimStart('v'), b.TrimStart('v'), StringComparison.Ordinal))
        || (ecosystem is Ecosystem.NuGet or Ecosystem.PyPI or Ecosystem.Maven
            && Vulnerabilities.Versions.VersionSchemes.For(OsvName(ecosystem))?.Compare(a, b).Order == 0);

    private static string Normalize(Ecosystem ecosystem, string name) => EcosystemNames.NormalizeName(OsvName(ecosystem), name);

    public static string OsvName(Ecosystem ecosystem) => ecosystem switch
    {
        Ecosystem.Npm => "npm",
        Ecosystem.PyPI => "PyPI",
        Ecosystem.Go => "Go",
        Ecosystem.Maven => "Maven",
        Ecosystem.NuGet => "NuGet",
        Ecosystem.Cargo => "crates.io",
        Ecosystem.RubyGems => "RubyGems",
        Ecosystem.Packagist => "Packagist",
        _ => ecosystem.ToString(),
    };
}

/// <summary>What an editor produced for one file: the edits (against the original text) and the follow-up notes.</summary>
internal sealed record EditResult(string After, IReadOnlyList<ManifestEdit> Edits, IReadOnlyList<string> Notes)
{
    public static EditResult None(string text) => new(text, [], []);
}

/// <summary>Where an editor is working: the tree's root, the file (relative, '/'-separated) and its directory's other files.</summary>
internal sealed record EditContext(string Root, string File, UpgradeSet Upgrades, Func<string, string?> ReadSibling, Func<DependencyUpgrade, bool> IsTransitive);

/// <summary>One ecosystem's manifest or lock file format, edited in place with its formatting kept.</summary>
internal interface IManifestEditor
{
    /// <summary>Files of an ecosystem without upgrades are not even parsed: a broken, unrelated manifest is no warning.</summary>
    Ecosystem Ecosystem { get; }

    bool Handles(string fileName);

    EditResult Edit(EditContext context, string text);
}
