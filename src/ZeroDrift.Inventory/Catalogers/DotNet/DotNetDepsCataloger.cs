using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>
/// A built .NET application's NAME.deps.json: "libraries" lists what it was built with ("Name/1.2.3", type
/// "package" for NuGet packages, "project" and "reference" for its own code), and "targets" gives each
/// library's dependencies per framework and runtime.
/// </summary>
public sealed class DotNetDepsCataloger : ICataloger
{
    public string Name => "dotnet-deps";

    public bool FileRequired(FileEntry entry) =>
        entry.Name.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = LockfileJson.Parse(context, entry);
        var root = document.RootElement;
        if (root.Obj("libraries") is null) throw new FormatException($"{entry.Path}: no \"libraries\" object: not a .deps.json file");

        var packages = new Dictionary<string, (string Name, string Version, System.Text.Json.JsonElement Json)>(StringComparer.OrdinalIgnoreCase);
        foreach (var library in root.Props("libraries"))
            if (library.Value.Str("type") == "package" && NuGetPackages.SplitKey(library.Name) is { } key)
                packages[$"{key.Name}/{key.Version}"] = (key.Name, key.Version, library.Value);

        // The graph: "Name/1.0.0": {"dependencies": {"Other": "2.0.0"}} in each target; dependency values are exact versions.
        var dependsOn = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in root.Props("targets"))
        {
            if (target.Value.ValueKind != System.Text.Json.JsonValueKind.Object) continue;
            foreach (var library in target.Value.EnumerateObject())
            {
                if (!packages.ContainsKey(library.Name)) continue;
                if (!dependsOn.TryGetValue(library.Name, out var set)) dependsOn[library.Name] = set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (name, version) in library.Value.StringMap("dependencies"))
                    if (packages.TryGetValue($"{name}/{version}", out var dependency))
                        set.Add(PackageId.For(NuGetPackages.Purl(dependency.Name, dependency.Version), entry.Path));
            }
        }

        foreach (var (key, package) in packages)
        {
            var metadata = new Dictionary<string, string>();
            if (package.Json.Str("sha512") is { Length: > 0 } sha512) metadata["sha512"] = sha512;
            if (package.Json.Str("path") is { Length: > 0 } path) metadata["path"] = path;
            if (package.Json.Str("hashPath") is { Length: > 0 } hashPath) metadata["hashPath"] = hashPath;
            yield return NuGetPackages.Create(Name, entry, package.Name, package.Version,
                dependsOn.TryGetValue(key, out var set) ? set.Order(StringComparer.Ordinal).ToList() : [], metadata);
        }
    }
}
