using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Php;

/// <summary>
/// What Composer installed: <c>vendor/composer/installed.json</c>, a bare array (Composer 1) or
/// <c>{"packages": […], "dev-package-names": […]}</c> (Composer 2, which says which packages are dev-only).
/// </summary>
public sealed class ComposerInstalledCataloger : ICataloger
{
    public string Name => "php-composer-installed";

    public bool FileRequired(FileEntry entry) =>
        entry.Path.EndsWith("/vendor/composer/installed.json", StringComparison.Ordinal);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = JsonFile.Parse(context, entry);
        var root = document.RootElement;
        JsonElement list;
        var devNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (root.ValueKind == JsonValueKind.Array)
        {
            list = root;
        }
        else if (root.Property("packages", JsonValueKind.Array) is { } packages)
        {
            list = packages;
            if (root.Property("dev-package-names", JsonValueKind.Array) is { } dev)
                foreach (var n in dev.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String)) devNames.Add(n.GetString()!);
        }
        else
        {
            throw new FormatException("installed.json is neither a package array nor an object with \"packages\"");
        }
        var entries = list.EnumerateArray().Select(p => ComposerPackages.Read(p, false, "installed.json")).Select(e => e with { Dev = devNames.Contains(e.Name) }).ToList();
        return ComposerPackages.ToPackages(entries, entry, Name).ToList();
    }
}
