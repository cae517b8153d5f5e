using System.Globalization;
using System.Text.RegularExpressions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// pnpm-lock.yaml, lockfile versions 5.x ("/name/1.0.0_peer@2.0.0" keys), 6.x ("/name@1.0.0(peer@2.0.0)") and
/// 9.x ("name@1.0.0" under "packages", with the peer-resolved variants and their dependencies under
/// "snapshots"). Variants of one name@version that differ only in peers are one package. 5.x and 6.x mark dev
/// dependencies themselves; for 9.x a package is dev when only the importers' devDependencies reach it.
/// </summary>
public sealed partial class PnpmLockCataloger : ICataloger
{
    public string Name => "pnpm-lock";

    public bool FileRequired(FileEntry entry) =>
        entry.Name == "pnpm-lock.yaml" && !entry.Path.Contains("/node_modules/", StringComparison.Ordinal);

    private sealed record Variant(string Name, string Version, Dictionary<string, object?> Entry, List<(string Name, string Reference)> Dependencies);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        if (YamlTree.Load(context.ReadText(entry), context.Budget, entry.Path) is not Dictionary<string, object?> root)
            throw new FormatException("pnpm-lock.yaml is not a YAML mapping");
        var lockfileVersion = ParseLockfileVersion(root.Str("lockfileVersion"));
        var slashKeys = lockfileVersion < 6;

        // One variant per key of "snapshots" (9.x) or "packages" (5.x, 6.x): a name@version with one resolution of its peers.
        var variants = new List<Variant>();
        var packages = root.Map("packages") ?? [];
        var snapshots = root.Map("snapshots");
        foreach (var (key, value) in snapshots ?? packages)
        {
            var fields = value as Dictionary<string, object?> ?? [];
            // Git and tarball dependencies are keyed by URL (which may hold no "@" at all); their entry gives name and version.
            if ((ParseKey(key, slashKeys) ?? (fields.Str("name") is { } n ? (n, key) : null)) is not { } parsed) continue;
            // In 9.x, facts about the package (resolution, license, engines) stay under "packages" by peer-less key.
            var info = snapshots is null ? fields : packages.Map($"{parsed.Name}@{StripPeers(parsed.Version, slashKeys)}") ?? fields;
            var fromUrl = !LooksLikeVersion(parsed.Version);
            // A 5.x key that is not a registry path ("github.com/user/repo", "/foo/bar") names no package: only the
            // entry's own "name" does. A 6.x/9.x "name@url" key does name it.
            var name = fromUrl ? info.Str("name") ?? (slashKeys ? null : parsed.Name) : parsed.Name;
            if (name is null) continue;
            var version = fromUrl ? info.Str("version") ?? "" : StripPeers(parsed.Version, slashKeys);
            if (!NpmPackages.IsValidName(name) || version.Length == 0) continue;
            var dependencies = fields.StringMap("dependencies").Concat(fields.StringMap("optionalDependencies"))
                .Select(d => (d.Key, d.Value)).ToList();
            variants.Add(new Variant(name, version, Merge(info, fields), dependencies));
        }

        var ids = variants.Select(v => NpmPackages.Purl(v.Name, v.Version)).Select(p => (Purl: p, Id: PackageId.For(p, entry.Path))).ToList();
        var idByNameVersion = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < variants.Count; i++) idByNameVersion.TryAdd($"{variants[i].Name}@{variants[i].Version}", ids[i].Id);

        string? ResolveDependency(string name, string reference)
        {
            if (reference.StartsWith("link:", StringComparison.Ordinal) || reference.StartsWith("file:", StringComparison.Ordinal)) return null;
            // An alias or a full key: "/real/1.0.0" or "registry.host/real/1.0.0" (5.x), "/real@1.0.0" (6.x), "real@1.0.0" (9.x).
            var slashKey = slashKeys && (reference.StartsWith('/') || IsRegistryHostKey(reference));
            if (slashKey || reference.StartsWith('/') || (!char.IsAsciiDigit(reference[0]) && reference.Contains('@', StringComparison.Ordinal)))
                return ParseKey(reference, slashKey) is { } aliased
                    ? idByNameVersion.GetValueOrDefault($"{aliased.Name}@{StripPeers(aliased.Version, slashKeys)}")
                    : null;
            return idByNameVersion.GetValueOrDefault($"{name}@{StripPeers(reference, slashKeys)}");
        }

        var dependsOn = variants.Select(v => v.Dependencies
            .Where(d => d.Reference.Length > 0)
            .Select(d => ResolveDependency(d.Name, d.Reference))
            .Where(id => id is not null).Select(id => id!).ToList()).ToList();

        HashSet<string>? devOnly = null;
        if (!slashKeys && snapshots is not null)
            devOnly = DevOnly(root, ids.Select(x => x.Id).ToList(), dependsOn, ResolveDependency);

        var found = new List<Package>();
        for (var i = 0; i < variants.Count; i++)
        {
            var v = variants[i];
            var metadata = new Dictionary<string, string> { ["lockfileVersion"] = lockfileVersion.ToString(CultureInfo.InvariantCulture) };
            if (v.Entry.Map("resolution") is { } resolution)
            {
                if (resolution.Str("integrity") is { } integrity) metadata["integrity"] = integrity;
                if (resolution.Str("tarball") is { } tarball) metadata["resolved"] = tarball;
            }
            if (v.Entry.Flag("optional")) metadata["optional"] = "true";
            found.Add(new Package
            {
                Name = v.Name,
                Version = v.Version,
                Ecosystem = Ecosystem.Npm,
                Purl = ids[i].Purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = v.Entry.Str("license") is { Length: > 0 } license ? [license] : [],
                Dev = devOnly is null ? v.Entry.Flag("dev") : devOnly.Contains(ids[i].Id),
                DependsOn = dependsOn[i].Distinct(StringComparer.Ordinal).ToList(),
                Metadata = metadata,
            });
        }
        return PackageMerge.ByPurl(found);
    }

    private static double ParseLockfileVersion(string? text)
    {
        if (text is null) throw new FormatException("pnpm-lock.yaml has no lockfileVersion");
        // "5.4", "6.0", "9.0", and pnpm 7's "5.4-inlineSpecifiers".
        var number = new string(text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray());
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var version))
            throw new FormatException($"pnpm-lock.yaml lockfileVersion '{text}' is not a number");
        if (version >= 10) throw new FormatException($"pnpm-lock.yaml lockfileVersion {text} is newer than the 9.x this reads");
        return version;
    }

    /// <summary>
    /// "/@scope/name/1.0.0_peer@2" or "registry.host/name/1.0.0" (slash form), "/name@1.0.0(peer@2)" or "name@1.0.0"
    /// (at form) → name and the version still carrying its peer suffix; null for a "file:" key.
    /// </summary>
    private static (string Name, string Version)? ParseKey(string key, bool slashForm)
    {
        // "file:../dir": a folder of the project, named only by its entry.
        if (key.StartsWith("file:", StringComparison.Ordinal)) return null;
        var k = key.TrimStart('/');
        if (slashForm)
        {
            // A package from another registry than the default is keyed by that registry's host:
            // "registry.example.org/foo/1.1.0", "example.com/@scope/bar/1.0.0_peer@2.0.0".
            if (IsRegistryHostKey(key)) k = k[(k.IndexOf('/') + 1)..];
            var parts = k.Split('/');
            var nameParts = k.StartsWith('@') ? 2 : 1;
            if (parts.Length < nameParts + 1) return null;
            return (string.Join('/', parts[..nameParts]), string.Join('/', parts[nameParts..]));
        }
        var peers = k.IndexOf('(');
        var head = peers >= 0 ? k[..peers] : k;
        var at = head.IndexOf('@', head.StartsWith('@') ? 1 : 0);
        if (at <= 0) return null;
        return (k[..at], k[(at + 1)..]);
    }

    /// <summary>A 5.x key or reference starting with a registry's host name rather than "/".</summary>
    private static bool IsRegistryHostKey(string key) =>
        !key.StartsWith('/') && key.IndexOf('/') is var slash and > 0 && key[..slash].Contains('.', StringComparison.Ordinal)
        && key[..slash].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');

    /// <summary>"1.0.0_peer@2.0.0" (5.x) or "1.0.0(peer@2.0.0)" (6.x, 9.x) → "1.0.0".</summary>
    private static string StripPeers(string version, bool slashForm)
    {
        var paren = version.IndexOf('(');
        if (paren >= 0) version = version[..paren];
        if (slashForm)
        {
            var underscore = version.IndexOf('_');
            if (underscore > 0) version = version[..underscore];
        }
        return version;
    }

    /// <summary>npm versions are semver: "1.2.3…". A commit hash that happens to start with a digit is not one.</summary>
    private static bool LooksLikeVersion(string s) => SemverStart().IsMatch(s);

    [GeneratedRegex(@"^\d+\.\d+\.\d+")]
    private static partial Regex SemverStart();

    private static Dictionary<string, object?> Merge(Dictionary<string, object?> info, Dictionary<string, object?> snapshot)
    {
        if (ReferenceEquals(info, snapshot)) return info;
        var merged = new Dictionary<string, object?>(info, StringComparer.Ordinal);
        foreach (var (k, v) in snapshot) merged.TryAdd(k, v);
        return merged;
    }

    /// <summary>
    /// 9.x dropped the "dev" flag: walk from every importer's dependencies and optionalDependencies, and from its
    /// devDependencies; what only the latter reach is dev-only.
    /// </summary>
    private static HashSet<string> DevOnly(Dictionary<string, object?> root, List<string> ids, List<List<string>> dependsOn,
        Func<string, string, string?> resolve)
    {
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            if (!edges.TryGetValue(ids[i], out var list)) edges[ids[i]] = list = [];
            list.AddRange(dependsOn[i]);
        }
        var prod = new List<string>();
        var dev = new List<string>();
        foreach (var (_, value) in root.Map("importers") ?? [])
        {
            if (value is not Dictionary<string, object?> importer) continue;
            foreach (var field in new[] { "dependencies", "optionalDependencies", "devDependencies" })
            {
                foreach (var (name, spec) in importer.Map(field) ?? [])
                {
                    // 9.x importers: name: {specifier: ^1.0.0, version: 1.0.0(peer@2)}.
                    var reference = spec is Dictionary<string, object?> detail ? detail.Str("version") : spec as string;
                    if (reference is not { Length: > 0 } || resolve(name, reference) is not { } id) continue;
                    (field == "devDependencies" ? dev : prod).Add(id);
                }
            }
        }
        var reachable = Reach(prod, edges);
        var devReachable = Reach(dev, edges);
        devReachable.ExceptWith(reachable);
        return devReachable;
    }

    private static HashSet<string> Reach(IEnumerable<string> start, Dictionary<string, List<string>> edges)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(start);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (!seen.Add(id)) continue;
            foreach (var next in edges.GetValueOrDefault(id) ?? []) pending.Push(next);
        }
        return seen;
    }
}
