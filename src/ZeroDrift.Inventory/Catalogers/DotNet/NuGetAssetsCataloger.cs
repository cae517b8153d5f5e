using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>
/// obj/project.assets.json, written by every NuGet restore: "libraries" has each package ("Name/1.2.3", type
/// "package"; "project" entries are other projects of the solution), and "targets" the graph per framework,
/// with dependency versions given as ranges that resolve to the one version of that id in the same target.
/// </summary>
public sealed class NuGetAssetsCataloger : ICataloger
{
    public string Name => "nuget-assets";

    public bool FileRequired(FileEntry entry) =>
        entry.Name.Equals("project.assets.json", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = LockfileJson.Parse(context, entry);
        var root = document.RootElement;
        if (root.Obj("libraries") is null) throw new FormatException($"{entry.Path}: no \"libraries\" object: not a project.assets.json file");
        var libraries = new Dictionary<string, (string Name, string Version, JsonElement Json)>(StringComparer.OrdinalIgnoreCase);
        foreach (var library in root.Props("libraries"))
            if (library.Value.Str("type") == "package" && NuGetPackages.SplitKey(library.Name) is { } key)
                libraries[library.Name] = (key.Name, key.Version, library.Value);

        var direct = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var framework in root.Obj("project") is { } project ? project.Props("frameworks") : [])
            foreach (var dependency in framework.Value.Props("dependencies"))
                direct.Add(dependency.Name);

        var dependsOn = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in root.Props("targets"))
        {
            if (target.Value.ValueKind != JsonValueKind.Object) continue;
            var versionOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var library in target.Value.EnumerateObject())
                if (libraries.ContainsKey(library.Name)) versionOf[library.Name.Split('/')[0]] = library.Name;
            foreach (var library in target.Value.EnumerateObject())
            {
                if (!libraries.ContainsKey(library.Name)) continue;
                if (!dependsOn.TryGetValue(library.Name, out var set)) dependsOn[library.Name] = set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var dependency in library.Value.Props("dependencies"))
                    if (versionOf.TryGetValue(dependency.Name, out var resolvedKey))
                        set.Add(PackageId.For(NuGetPackages.Purl(libraries[resolvedKey].Name, libraries[resolvedKey].Version), entry.Path));
            }
        }

        foreach (var (key, library) in libraries)
        {
            var metadata = new Dictionary<string, string> { ["direct"] = direct.Contains(library.Name) ? "true" : "false" };
            if (library.Json.Str("sha512") is { Length: > 0 } sha512) metadata["sha512"] = sha512;
            if (library.Json.Str("path") is { Length: > 0 } path) metadata["path"] = path;
            yield return NuGetPackages.Create(Name, entry, library.Name, library.Version,
                dependsOn.TryGetValue(key, out var set) ? set.Order(StringComparer.Ordinal).ToList() : [], metadata);
        }
    }
}
