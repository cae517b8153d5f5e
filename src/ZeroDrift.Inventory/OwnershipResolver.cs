using ZeroDrift.Core;

namespace ZeroDrift.Inventory;

/// <summary>
/// Marks language packages whose evidence an OS package installed (a Python library from a .deb, say), so that
/// vulnerability matching does not report the same code twice under two ecosystems.
/// </summary>
public static class OwnershipResolver
{
    public static IReadOnlyList<Package> MarkOwned(IReadOnlyList<Package> packages)
    {
        var owners = new Dictionary<string, Package>(StringComparer.Ordinal);
        foreach (var os in packages.Where(p => p.Ecosystem.IsOperatingSystem()))
            foreach (var file in os.Files)
                owners.TryAdd(file, os);
        if (owners.Count == 0) return packages;

        return packages.Select(p =>
        {
            if (p.Ecosystem.IsOperatingSystem() || p.Locations.Count == 0) return p;
            var path = p.Locations[0].Path;
            var parent = Artifacts.FileSystems.VirtualPath.Parent(path);
            // Installed metadata: dpkg lists the file, or the foo.dist-info / foo.egg-info directory holding it.
            if (owners.TryGetValue(path, out var owner)
                || ((parent.EndsWith(".dist-info", StringComparison.Ordinal) || parent.EndsWith(".egg-info", StringComparison.Ordinal)) && owners.TryGetValue(parent, out owner)))
                return p with { OwnedBy = owner.Purl.ToString() };
            return p;
        }).ToList();
    }
}
