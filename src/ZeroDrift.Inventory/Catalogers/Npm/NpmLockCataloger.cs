using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Parsing.Json;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// npm's package-lock.json and npm-shrinkwrap.json. Version 1 nests packages under "dependencies"; versions 2 and
/// 3 list them flat under "packages", keyed by their node_modules path (version 2 keeps the v1 tree too, which
/// is ignored). Both are turned into the same path-keyed nodes so the dependency graph is resolved the way node
/// resolves require(): the nearest node_modules up the path. The file is read as a stream, one package entry at a
/// time, keeping only the fields reported: memory follows the number of packages, not the size of the file.
/// </summary>
public sealed class NpmLockCataloger : ICataloger
{
    private const string NodeModules = "node_modules/";

    public string Name => "npm-lock";

    public bool FileRequired(FileEntry entry) =>
        entry.Name is "package-lock.json" or "npm-shrinkwrap.json"
        && !entry.Path.Contains("/node_modules/", StringComparison.Ordinal);

    /// <summary>One installed location in the lockfile: "node_modules/a/node_modules/@s/b", or a workspace folder.</summary>
    private sealed record Node(string Path, string Name, string? Version, string? DeclaredName, IReadOnlyList<string> Dependencies,
        bool Dev, bool Optional, bool DevOptional, string? LinkTarget, string? Alias, Details Details);

    /// <summary>What is reported of an entry beyond its name and version.</summary>
    private sealed record Details(string? Resolved, string? Integrity, IReadOnlyList<string> Licenses, bool Bundled)
    {
        public static Details Of(JsonElement json) => new(json.Str("resolved"), json.Str("integrity"), NpmPackages.Licenses(json),
            json.Flag("inBundle") || json.Flag("bundled"));
    }

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var lockfile = new Reader();
        using (var stream = context.Open(entry))
            JsonMemberStream.Read(stream, context.Budget.Start(entry.Path, "JSON members"), lockfile);
        var lockfileVersion = lockfile.Version ?? 1;
        var nodes = lockfile.HasPackages ? lockfile.Packages : lockfile.Legacy;
        if (!lockfile.HasPackages && !lockfile.HasLegacy && lockfileVersion > 3)
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
            if (target.Details.Resolved is { } resolved && node.LinkTarget is null) metadata["resolved"] = resolved;
            if (target.Details.Integrity is { } integrity) metadata["integrity"] = integrity;
            if (node.Alias is { } alias) metadata["alias"] = alias;
            if (node.LinkTarget is { } link) metadata["link"] = link;
            if (node.Optional) metadata["optional"] = "true";
            if (node.DevOptional) metadata["devOptional"] = "true";
            if (node.Details.Bundled) metadata["bundled"] = "true";
            found.Add(new Package
            {
                Name = target.Name,
                Version = target.Version!,
                Ecosystem = Ecosystem.Npm,
                Purl = self.Purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = target.Details.Licenses,
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

    /// <summary>
    /// Takes the lockfile's members as they stream past: "lockfileVersion", and each entry of "packages" (v2, v3) and of
    /// "dependencies" (v1, and the copy v2 keeps of it: skipped once "packages" has been seen, as npm writes it first;
    /// a v2 file written without "packages" is read from "dependencies").
    /// </summary>
    private sealed class Reader : IJsonMemberVisitor
    {
        public int? Version { get; private set; }
        public bool HasPackages { get; private set; }
        public bool HasLegacy { get; private set; }
        public Dictionary<string, Node> Packages { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Node> Legacy { get; } = new(StringComparer.Ordinal);

        public bool Streams(string name) => name is "packages" or "dependencies";

        public void Begin(string name, JsonValueKind kind)
        {
            if (kind != JsonValueKind.Object) return;
            if (name == "packages") HasPackages = true;
            else HasLegacy = true;
        }

        public bool Wants(string? parent, string name) => parent switch
        {
            null => name == "lockfileVersion",
            "packages" => HasPackages,
            _ => HasLegacy && !HasPackages,
        };

        public void Visit(string? parent, string name, JsonElement value)
        {
            switch (parent)
            {
                case null:
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var version)) Version = version;
                    break;
                case "packages":
                    ReadPackage(name, value, Packages);
                    break;
                default:
                    ReadLegacy(name, value, "", Legacy);
                    break;
            }
        }
    }

    /// <summary>Lockfile v2/v3: one entry of "packages", keyed by install path; "" is the root project.</summary>
    private static void ReadPackage(string key, JsonElement json, Dictionary<string, Node> nodes)
    {
        if (key.Length == 0 || json.ValueKind != JsonValueKind.Object) return;
        var pathName = NameFromPath(key);
        var declared = json.Str("name");
        // A workspace folder ("packages/app") without a "name" goes by its folder name, as npm names it.
        var name = declared ?? pathName ?? VirtualPath.FileName(key);
        if (!NpmPackages.IsValidName(name)) return;
        var dependencies = new[] { "dependencies", "optionalDependencies", "peerDependencies" }
            .SelectMany(field => json.Props(field).Select(p => p.Name))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var link = json.Flag("link") ? json.Str("resolved") : null;
        // A git dependency npm could not name a version of ("resolved": "git+ssh://…#commit") is still installed: it is
        // reported without a version, its commit in "resolved".
        var version = json.Str("version") ?? (link is null && json.Str("resolved") is not null ? "" : null);
        nodes[key] = new Node(key, name, version, declared, dependencies,
            json.Flag("dev"), json.Flag("optional"), json.Flag("devOptional"),
            link is null ? null : LinkKey(link),
            declared is not null && pathName is not null && declared != pathName ? pathName : null,
            Details.Of(json));
    }

    /// <summary>Lockfile v1: one entry of the tree of "dependencies", with "version" and "requires", its children nested the same way.</summary>
    private static void ReadLegacy(string name, JsonElement json, string parent, Dictionary<string, Node> nodes)
    {
        if (json.ValueKind != JsonValueKind.Object || !NpmPackages.IsValidName(name)) return;
        var path = (parent.Length == 0 ? "" : parent + "/") + NodeModules + name;
        var version = json.Str("version");
        string? alias = null;
        if (version is not null && NpmPackages.ParseAlias(version) is { } real)
        {
            alias = name;
            (name, version) = real;
        }
        var details = Details.Of(json);
        // A v1 "file:" or "link:" version points at a folder of the project, not at a published version.
        if (version is not null && (version.StartsWith("file:", StringComparison.Ordinal) || version.StartsWith("link:", StringComparison.Ordinal)))
            version = null;
        // A git or URL dependency ("git+ssh://…#commit", "github:user/repo#commit") has no version: its source is kept.
        else if (version is not null && version.Contains(':', StringComparison.Ordinal))
        {
            details = details with { Resolved = details.Resolved ?? version };
            version = "";
        }
        var requires = json.Props("requires").Select(p => p.Name).ToList();
        nodes[path] = new Node(path, name, version, json.Str("name"), requires, json.Flag("dev"), json.Flag("optional"), false, null, alias, details);
        foreach (var child in json.Props("dependencies")) ReadLegacy(child.Name, child.Value, path, nodes);
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
        return target with { Name = target.DeclaredName ?? node.Name };
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
