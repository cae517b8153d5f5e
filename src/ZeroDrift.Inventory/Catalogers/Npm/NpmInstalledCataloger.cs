using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// Installed npm packages: the package.json directly inside node_modules/NAME/ or node_modules/@SCOPE/NAME/.
/// A package.json deeper in a package (test fixtures, sub-folders) does not describe an installed package.
/// </summary>
public sealed class NpmInstalledCataloger : ICataloger
{
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
                Metadata = metadata,
            },
        ];
    }
}
