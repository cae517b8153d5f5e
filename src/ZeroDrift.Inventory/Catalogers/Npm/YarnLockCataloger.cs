using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// yarn.lock, both dialects: Yarn classic (v1, its own indented "key value" format) and Yarn Berry (v2+, YAML
/// with a "__metadata" block and "resolution: name@npm:1.2.3"). Each block names the ranges it satisfies, so
/// a dependency "name range" resolves to the block that lists "name@range".
/// </summary>
public sealed class YarnLockCataloger : ICataloger
{
    public string Name => "yarn-lock";

    public bool FileRequired(FileEntry entry) =>
        entry.Name == "yarn.lock" && !entry.Path.Contains("/node_modules/", StringComparison.Ordinal);

    /// <summary>One block of the lockfile, whichever dialect it came from.</summary>
    private sealed record Block(IReadOnlyList<string> Specs, string Name, string Version, IReadOnlyList<KeyValuePair<string, string>> Dependencies,
        Dictionary<string, string> Metadata);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var text = context.ReadText(entry);
        var berry = YarnClassicParser.LooksLikeBerry(text);
        var blocks = berry ? ReadBerry(text, context.Budget, entry.Path) : YarnClassicParser.Parse(text).Select(FromClassic).Where(b => b is not null).Select(b => b!).ToList();

        var bySpec = new Dictionary<string, string>(StringComparer.Ordinal);
        var withIds = blocks.Select(b =>
        {
            var purl = NpmPackages.Purl(b.Name, b.Version);
            var id = PackageId.For(purl, entry.Path);
            foreach (var spec in b.Specs) bySpec.TryAdd(spec, id);
            return (Block: b, Purl: purl);
        }).ToList();

        var packages = withIds.Select(w => new Package
        {
            Name = w.Block.Name,
            Version = w.Block.Version,
            Ecosystem = Ecosystem.Npm,
            Purl = w.Purl,
            FoundBy = Name,
            Locations = [entry.Location],
            DependsOn = w.Block.Dependencies
                .Select(d => bySpec.GetValueOrDefault($"{d.Key}@{d.Value}") ?? bySpec.GetValueOrDefault($"{d.Key}@npm:{d.Value}"))
                .Where(id => id is not null)
                .Select(id => id!)
                .Distinct(StringComparer.Ordinal)
                .ToList(),
            Metadata = w.Block.Metadata,
        });
        return PackageMerge.ByPurl(packages);
    }

    private static Block? FromClassic(YarnClassicParser.Entry e)
    {
        if (!e.Fields.TryGetValue("version", out var version) || e.Specs.Count == 0) return null;
        // A block may be headed by the bare name ("balanced-match:"), as tools that write classic lockfiles do.
        var first = NpmPackages.SplitSpec(e.Specs[0]) ?? (e.Specs[0], "");
        var name = first.Name;
        var metadata = new Dictionary<string, string>();
        // "alias@npm:real@^1.0.0": the block is the real package, installed under another name.
        if (first.Tail.StartsWith("npm:", StringComparison.Ordinal) && NpmPackages.SplitSpec(first.Tail[4..]) is { } real)
        {
            metadata["alias"] = name;
            name = real.Name;
        }
        // file:, link: and workspace-style specs point into the project, not at a published package.
        if (first.Tail.StartsWith("file:", StringComparison.Ordinal) || first.Tail.StartsWith("link:", StringComparison.Ordinal)) return null;
        if (!NpmPackages.IsValidName(name)) return null;
        foreach (var key in new[] { "resolved", "integrity" })
            if (e.Fields.TryGetValue(key, out var value)) metadata[key] = value;
        return new Block(e.Specs, name, version, e.Dependencies, metadata);
    }

    private static List<Block> ReadBerry(string text, ZeroDrift.Core.Budgets.ParseBudget budget, string what)
    {
        if (YamlTree.Load(text, budget, what) is not Dictionary<string, object?> root)
            throw new FormatException("yarn.lock (Berry) is not a YAML mapping");
        var blocks = new List<Block>();
        foreach (var (key, value) in root)
        {
            if (key == "__metadata" || value is not Dictionary<string, object?> block) continue;
            if (block.Str("resolution") is not { } resolution || block.Str("version") is not { } version) continue;
            if (NpmPackages.SplitSpec(resolution) is not { } resolved) continue;
            var protocol = resolved.Tail.Split(':', 2)[0];
            // The project's own workspaces, and patched copies of a package already listed under npm:, are not packages of their own.
            if (protocol is "workspace" or "patch" or "link" or "portal" or "file") continue;
            if (!NpmPackages.IsValidName(resolved.Name)) continue;
            var metadata = new Dictionary<string, string> { ["resolution"] = resolution };
            if (block.Str("checksum") is { } checksum) metadata["checksum"] = checksum;
            var dependencies = block.StringMap("dependencies").Concat(block.StringMap("optionalDependencies")).ToList();
            var specs = key.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var name = resolved.Name;
            if (specs.Length > 0 && NpmPackages.SplitSpec(specs[0]) is { } first && first.Name != name) metadata["alias"] = first.Name;
            blocks.Add(new Block(specs, name, version, dependencies, metadata));
        }
        return blocks;
    }
}
