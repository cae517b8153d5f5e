using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// npm's package-lock.json and npm-shrinkwrap.json. Version 1 nests packages under "dependencies"; versions 2 and
/// 3 list them flat under "packages", keyed by their node_modules path (version 2 keeps the v1 tree too, which
/// is ignored). Both are turned into the same path-keyed nodes so the dependency graph is resolved the way node
/// resolves require(): the nearest node_modules up the path.
/// </summary>
public sealed class NpmLockCataloger : ICataloger
{
    private const string NodeModules = "node_modules/";

    public string Name => "npm-lock";

    public bool FileRequired(FileEntry entry) =>
        entry.Name is "package-lock.json" or "npm-shrinkwrap.json"
        && !entry.Path.Contains("/node_modules/", StringComparison.Ordinal);

    /// <summary>One installed location in the lockfile: "node_modules/a/node_modules/@s/b", or a workspace folder.</summary>
    private sealed record Node(string Path, string Name, string? Version, JsonElement Json, IReadOnlyList<string> Dependencies,
        bool Dev, bool Optional, bool DevOptional, string? LinkTarget, string? Alias);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = LockfileJson.Parse(context, entry);
        var root = document.RootElement;
        var lockfileVersion = root.TryGetProperty("lockfileVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 1;
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        if (root.Obj("packages") is { } packages)
            ReadPackages(packages, nodes);
        else if (root.Obj("dependencies") is { } dependencies)
            ReadLegacyTree(dependencies, "", nodes);
        else if (lockfileVersion > 3)
            throw new FormatException($"unsupported lockfileVersion {lockfileVersion}: neither \"packages\" nor \"dependencies\"");

        var ids = new Dictionary<string, (string Id, PackageUrl Purl, Node Node)>(StringComparer.Ordinal);
        foreach (var node in nodes.Values)
        {
            if (Target(node, nodes) is not { Version: { } version } target) continue;
            var purl = NpmPackages.Purl(target.Name, version);
            ids[node.Path] = (PackageId.For(purl, entry.Path), purl, target);
        }

        var found = new List<Package>();
        foreach (var node in nodes.Values)
        {
            if (!ids.TryGetValue(node.Path, out var self)) continue;
            var target = self.Node;
            var metadata = new Dictionary<string, string> { ["lockfileVersion"] = lockfileVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = node.Path };
            if (target.Json.Str("resolved") is { } resolved && node.LinkTarget is null) metadata["resolved"] = resolved;
            if (target.Json.Str("integrity") is { } integrity) metadata["integrity"] = integrity;
            if (node.Alias is { } alias) metadata["alias"] = alias;
            if (node.LinkTarget is { } link) metadata["link"] = link;
            if (node.Optional) metadata["optional"] = "true";
            if (node.DevOptional) metadata["devOptional"] = "true";
            if (node.Json.Flag("inBundle") || node.Json.Flag("bundled")) metadata["bundled"] = "true";
            found.Add(new Package
            {
                Name = target.Name,
                Version = target.Version!,
                Ecosystem = Ecosystem.Npm,
                Purl = self.Purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = NpmPackages.Licenses(target.Json),
                Dev = node.Dev,
                DependsOn = target.Dependencies
                    .Select(dependency => Resolve(target.Path, dependency, nodes))
                    .Where(path => path is not null && ids.ContainsKey(path))
                    .Select(path => ids[path!].Id)
                    .Distinct(StringComparer.Ordinal)
                    .ToList(),
                Metadata = metadata,
            });
        }
        return PackageMerge.ByPurl(found);
    }

    /// <summary>Lockfile v2/v3: "packages" keyed by install path; "" is the root project.</summary>
    private static void ReadPackages(JsonElement packages, Dictionary<string, Node> nodes)
    {
        foreach (var property in packages.EnumerateObject())
        {
            if (property.Name.Length == 0 || property.Value.ValueKind != JsonValueKind.Object) continue;
            var json = property.Value;
            var pathName = NameFromPath(property.Name);
            var declared = json.Str("name");
            // A workspace folder ("packages/app") without a "name" goes by its folder name, as npm names it.
            var name = declared ?? pathName ?? VirtualPath.FileName(property.Name);
            if (!NpmPackages.IsValidName(name)) continue;
            var dependencies = new[] { "dependencies", "optionalDependencies", "peerDependencies" }
                .SelectMany(field => json.Props(field).Select(p => p.Name))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            var link = json.Flag("link") ? json.Str("resolved") : null;
            nodes[property.Name] = new Node(property.Name, name, json.Str("version"), json, dependencies,
                json.Flag("dev"), json.Flag("optional"), json.Flag("devOptional"),
                link is null ? null : LinkKey(link),
                declared is not null && pathName is not null && declared != pathName ? pathName : null);
        }
    }

    /// <summary>Lockfile v1: a tree of "dependencies", each with "version" and "requires", children nested the same way.</summary>
    private static void ReadLegacyTree(JsonElement dependencies, string parent, Dictionary<string, Node> nodes)
    {
        foreach (var property in dependencies.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Object || !NpmPackages.IsValidName(property.Name)) continue;
            var json = property.Value;
            var path = (parent.Length == 0 ? "" : parent + "/") + NodeModules + property.Name;
            var name = property.Name;
            var version = json.Str("version");
            string? alias = null;
            if (version is not null && NpmPackages.ParseAlias(version) is { } real)
            {
                alias = name;
                (name, version) = real;
            }
            // A v1 "file:" or "link:" version points at a folder of the project, not at a published version.
            if (version is not null && (version.StartsWith("file:", StringComparison.Ordinal) || version.StartsWith("link:", StringComparison.Ordinal)))
                version = null;
            var requires = json.Props("requires").Select(p => p.Name).ToList();
            nodes[path] = new Node(path, name, version, json, requires, json.Flag("dev"), json.Flag("optional"), false, null, alias);
            if (json.Obj("dependencies") is { } children) ReadLegacyTree(children, path, nodes);
        }
    }

    /// <summary>"node_modules/a/node_modules/@s/b" → "@s/b"; null for a path outside node_modules (a workspace folder).</summary>
    private static string? NameFromPath(string path)
    {
        var i = path.LastIndexOf(NodeModules, StringComparison.Ordinal);
        if (i < 0 || (i > 0 && path[i - 1] != '/')) return null;
        var name = path[(i + NodeModules.Length)..];
        return name.Length == 0 ? null : name;
    }

    /// <summary>
    /// A link's "resolved" is the target's key in "packages", relative to the project: "packages/lib", or
    /// "../shared" for a folder outside it, which npm keys verbatim.
    /// </summary>
    private static string LinkKey(string resolved)
    {
        var key = resolved.Replace('\\', '/').TrimEnd('/');
        while (key.StartsWith("./", StringComparison.Ordinal)) key = key[2..];
        return key;
    }

    /// <summary>A link stands for the folder it points to (a workspace package); anything else for itself.</summary>
    private static Node? Target(Node node, Dictionary<string, Node> nodes)
    {
        if (node.LinkTarget is null) return node;
        if (!nodes.TryGetValue(node.LinkTarget, out var target) || target.LinkTarget is not null) return null;
        return target with { Name = target.Json.Str("name") ?? node.Name };
    }

    /// <summary>
    /// The path node would load <paramref name="dependency"/> from when required in <paramref name="from"/>: its
    /// own node_modules, then each enclosing node_modules up to the project's.
    /// </summary>
    private static string? Resolve(string from, string dependency, Dictionary<string, Node> nodes)
    {
        var directory = from;
        while (true)
        {
            var candidate = (directory.Length == 0 ? "" : directory + "/") + NodeModules + dependency;
            if (nodes.ContainsKey(candidate)) return candidate;
            if (directory.Length == 0) return null;
            var i = directory.LastIndexOf(NodeModules, StringComparison.Ordinal);
            directory = i <= 0 ? "" : directory[..i].TrimEnd('/');
        }
    }
}
