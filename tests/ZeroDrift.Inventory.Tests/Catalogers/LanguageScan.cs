using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>Runs catalogers over a host directory the way <see cref="InventoryScanner"/> does, keeping the per-file errors.</summary>
internal static class LanguageScan
{
    public sealed record Result(IReadOnlyList<Package> Packages, IReadOnlyList<string> Warnings);

    public static Result Run(string hostDirectory, params ICataloger[] catalogers) => Run(hostDirectory, ScanLimits.Default, catalogers);

    public static Result Run(string hostDirectory, ScanLimits limits, params ICataloger[] catalogers)
    {
        using var fs = new DirectoryFileSystem(hostDirectory);
        var warnings = new List<string>();
        var context = new CatalogContext(fs, null, limits, w => { lock (warnings) warnings.Add(w); });
        var packages = new List<Package>();
        foreach (var entry in fs.Enumerate().Where(e => e.Kind is FileKind.Regular or FileKind.Hardlink).OrderBy(e => e.Path, StringComparer.Ordinal))
            foreach (var cataloger in catalogers.Where(c => c.FileRequired(entry)))
            {
                try { packages.AddRange(cataloger.Catalog(context, entry)); }
                catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException or ArtifactException)
                {
                    warnings.Add($"{entry.Path}: {cataloger.Name}: {e.Message}");
                }
            }
        return new Result(packages, warnings);
    }

    public static Package Single(this IEnumerable<Package> packages, string name, string? version = null) =>
        packages.Single(p => p.Name == name && (version is null || p.Version == version));

    /// <summary>Names (name@version) of the packages <paramref name="package"/> depends on.</summary>
    public static IEnumerable<string> DependencyNames(this IReadOnlyList<Package> packages, Package package) =>
        package.DependsOn.Select(id => packages.Single(p => p.Id == id)).Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal);
}
