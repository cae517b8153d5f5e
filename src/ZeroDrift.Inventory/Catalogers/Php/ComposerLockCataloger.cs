using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Php;

/// <summary>composer.lock: <c>packages</c> and <c>packages-dev</c> (dev), with licences and the <c>require</c> graph.</summary>
public sealed class ComposerLockCataloger : ICataloger
{
    public string Name => "php-composer-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "composer.lock";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = JsonFile.Parse(context, entry);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("composer.lock is not a JSON object");
        var entries = new List<ComposerPackages.Entry>();
        foreach (var (section, dev) in new[] { ("packages", false), ("packages-dev", true) })
            if (root.Property(section, JsonValueKind.Array) is { } list)
                entries.AddRange(list.EnumerateArray().Select(p => ComposerPackages.Read(p, dev, "composer.lock " + section)));
        return ComposerPackages.ToPackages(entries, entry, Name).ToList();
    }
}
