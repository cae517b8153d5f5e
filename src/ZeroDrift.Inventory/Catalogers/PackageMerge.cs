using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers;

/// <summary>Collapsing the several mentions a lockfile makes of one package (nested copies, target frameworks).</summary>
internal static class PackageMerge
{
    /// <summary>
    /// One package per purl: the same name@version met at several places of a lockfile is one package, a
    /// dev dependency only if every occurrence is, with the union of its dependencies.
    /// </summary>
    public static IEnumerable<Package> ByPurl(IEnumerable<Package> packages)
    {
        var byPurl = new Dictionary<string, Package>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var package in packages)
        {
            var key = package.Purl.ToString();
            if (!byPurl.TryGetValue(key, out var existing))
            {
                byPurl[key] = package;
                order.Add(key);
                continue;
            }
            byPurl[key] = existing with
            {
                Dev = existing.Dev && package.Dev,
                DependsOn = existing.DependsOn.Concat(package.DependsOn).Distinct(StringComparer.Ordinal).ToList(),
                Licenses = existing.Licenses.Concat(package.Licenses).Distinct(StringComparer.Ordinal).ToList(),
                Metadata = package.Metadata.Concat(existing.Metadata).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            };
        }
        return order.Select(key => byPurl[key] with
        {
            DependsOn = byPurl[key].DependsOn.Where(id => id != byPurl[key].Id).Order(StringComparer.Ordinal).ToList(),
        });
    }
}
