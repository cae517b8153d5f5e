using System.Globalization;
using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>
/// NuGet's packages.lock.json (format versions 1 and 2): for each target framework (and runtime), every package
/// with its type (Direct, Transitive, CentralTransitive; Project references are the solution's own projects and
/// are skipped), its resolved version and content hash, and the ids it depends on.
/// </summary>
public sealed class NuGetLockCataloger : ICataloger
{
    public string Name => "nuget-lock";

    public bool FileRequired(FileEntry entry) =>
        entry.Name.Equals("packages.lock.json", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = LockfileJson.Parse(context, entry);
        var root = document.RootElement;
        var version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
        if (version is < 1 or > 2)
            throw new FormatException($"packages.lock.json version {(version == 0 ? "missing" : version.ToString(CultureInfo.InvariantCulture))}; versions 1 and 2 are read");
        var found = new List<Package>();
        foreach (var framework in root.Props("dependencies"))
        {
            if (framework.Value.ValueKind != JsonValueKind.Object) continue;
            // Resolved versions within this framework, for the graph: dependencies name ranges, not versions.
            var resolved = new Dictionary<string, (string Name, string Version)>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in framework.Value.EnumerateObject())
                if (p.Value.Str("type") is not "Project" && p.Value.Str("resolved") is { } r && NuGetPackages.IsValidId(p.Name))
                    resolved[p.Name] = (p.Name, r);
            foreach (var p in framework.Value.EnumerateObject())
            {
                if (!resolved.TryGetValue(p.Name, out var self)) continue;
                var metadata = new Dictionary<string, string> { ["targetFramework"] = framework.Name };
                if (p.Value.Str("type") is { } type) metadata["type"] = type;
                if (p.Value.Str("requested") is { } requested) metadata["requested"] = requested;
                if (p.Value.Str("contentHash") is { } hash) metadata["contentHash"] = hash;
                var dependsOn = p.Value.StringMap("dependencies")
                    .Where(d => resolved.ContainsKey(d.Key))
                    .Select(d => resolved[d.Key])
                    .Select(d => PackageId.For(NuGetPackages.Purl(d.Name, d.Version), entry.Path))
                    .ToList();
                found.Add(NuGetPackages.Create(Name, entry, self.Name, self.Version, dependsOn, metadata));
            }
        }
        return PackageMerge.ByPurl(found);
    }
}
