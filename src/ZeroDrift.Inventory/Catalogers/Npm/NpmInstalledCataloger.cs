using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// Installed npm packages: the package.json directly inside node_modules/NAME/ or node_modules/@SCOPE/NAME/.
/// A package.json deeper in a package (test fixtures, sub-folders) does not describe an installed package.
/// Dependencies are found the way node's require() finds them: NAME in the node_modules of the package's folder
/// and of each folder above it, following symlinks inside the target (pnpm's layout is links into .pnpm/).
/// </summary>
public sealed class NpmInstalledCataloger : ICataloger
{
    /// <summary>Dependencies looked up for one package: a hostile package.json cannot make the scan read without bound.</summary>
    private const int MaxDependencies = 1000;

    /// <summary>A dependency's package.json larger than this is not read for its name and version.</summary>
    private const long MaxDependencyManifestBytes = 4 << 20;

    public string Name => "npm-installed";

    public bool FileRequired(FileEntry entry)
    {
        if (entry.Name != "package.json") return false;
        var parts = entry.Path.Split('/');
        // ["", …, "node_modules", name, "package.json"] or [… , "node_modules", "@scope", name, "package.json"].
        var n = parts.Length;
        if (n >= 4 && parts[n - 3] == "node_modules")
            return !parts[n - 2].StartsWith('@') && !parts[n - 2].StartsWith('.');
        return n >= 5 && parts[n - 4] == "node_modules" && parts[n - 3].StartsWith('@') && parts[n - 3].Length > 1 && !parts[n - 2].StartsWith('.');
    }

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = LockfileJson.Parse(context, entry);
        var json = document.RootElement;
        var name = json.Str("name");
        var version = json.Str("version");
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(version) || !NpmPackages.IsValidName(name)) return [];
        var metadata = new Dictionary<string, string>();
        // Where the package sits and under what name it was required: differs from "name" for aliases.
        var folder = VirtualPath.Parent(entry.Path);
        var installedAs = folder[(folder.LastIndexOf("/node_modules/", StringComparison.Ordinal) + "/node_modules/".Length)..];
        if (installedAs != name) metadata["alias"] = installedAs;
        foreach (var key in new[] { "_resolved", "_integrity" })
            if (json.Str(key) is { } value) metadata[key.TrimStart('_')] = value;
        if (json.Str("description") is { Length: > 0 } description) metadata["description"] = description.Length > 200 ? description[..200] : description;
        if (json.Flag("private")) metadata["private"] = "true";
        return
        [
            new Package
            {
                Name = name,
                Version = version.Trim(),
                Ecosystem = Ecosystem.Npm,
                Purl = NpmPackages.Purl(name, version.Trim()),
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = NpmPackages.Licenses(json),
                DependsOn = Dependencies(context, json, folder, entry.Path),
                Metadata = metadata,
            },
        ];
    }

    private static List<string> Dependencies(CatalogContext context, System.Text.Json.JsonElement json, string folder, string self)
    {
        var ids = new List<string>();
        var names = new[] { "dependencies", "optionalDependencies", "peerDependencies" }
            .SelectMany(field => json.Props(field).Select(p => p.Name))
            .Where(NpmPackages.IsValidName)
            .Distinct(StringComparer.Ordinal)
            .Take(MaxDependencies);
        foreach (var name in names)
            if (Locate(context, folder, name) is { } id && id.Path != self)
                ids.Add(PackageId.For(id.Purl, id.Path));
        return ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>node's lookup: DIR/node_modules/NAME for the package folder and every folder above it (skipping node_modules folders themselves).</summary>
    private static (PackageUrl Purl, string Path)? Locate(CatalogContext context, string folder, string name)
    {
        for (var directory = folder; ; directory = VirtualPath.Parent(directory))
        {
            if (VirtualPath.FileName(directory) != "node_modules")
            {
                var candidate = VirtualPath.Combine(directory, $"node_modules/{name}/package.json");
                var found = context.FileSystem.Resolve(candidate, context.Limits.MaxSymlinkHops);
                if (found is { Kind: FileKind.Regular or FileKind.Hardlink } && found.Size <= MaxDependencyManifestBytes)
                {
                    try
                    {
                        using var stream = context.FileSystem.Open(found);
                        using var document = Parsing.Json.SafeJson.Parse(stream, context.Budget.WithMaxBytes(MaxDependencyManifestBytes), found.Path);
                        // The dependency's own package.json is cataloged (and warned about) on its own; here it only names the edge.
                        if (document.RootElement.Str("name") is { } depName && document.RootElement.Str("version") is { } version
                            && NpmPackages.IsValidName(depName) && !string.IsNullOrWhiteSpace(version))
                            return (NpmPackages.Purl(depName, version.Trim()), found.Path);
                    }
                    catch (Exception e) when (e is System.Text.Json.JsonException or Artifacts.ArtifactException or IOException)
                    {
                    }
                    return null;
                }
            }
            if (directory == VirtualPath.Root) return null;
        }
    }
}
