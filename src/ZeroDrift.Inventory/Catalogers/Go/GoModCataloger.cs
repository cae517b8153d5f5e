using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>
/// go.mod: each required module (the main module itself is not a package). A replacement by another module turns
/// the requirement into that module; a replacement by a directory keeps the requirement and records the directory.
/// A requirement whose exact version is excluded is dropped, as cmd/go ignores it. go.mod gives no graph.
/// </summary>
public sealed class GoModCataloger : ICataloger
{
    public string Name => "go-mod";

    public bool FileRequired(FileEntry entry) => entry.Name == "go.mod";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var file = GoModFile.Parse(context.ReadText(entry));
        var excluded = file.Excludes.Select(e => (e.Path, e.Version)).ToHashSet();
        var packages = new List<Package>();
        foreach (var require in file.Requires)
        {
            if (excluded.Contains((require.Path, require.Version))) continue;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (file.Module is not null) metadata["mainModule"] = file.Module;
            if (file.GoVersion is not null) metadata["goVersion"] = file.GoVersion;
            if (require.Indirect) metadata["indirect"] = "true";
            var (path, version) = (require.Path, require.Version);
            // A versioned replacement applies to that version only; an unversioned one to all.
            var replace = file.Replaces.LastOrDefault(r => r.OldPath == require.Path && r.OldVersion == require.Version)
                ?? file.Replaces.LastOrDefault(r => r.OldPath == require.Path && r.OldVersion is null);
            if (replace is not null)
            {
                if (replace.NewVersion is null)
                {
                    metadata["replace"] = replace.NewPath;
                }
                else
                {
                    metadata["replace"] = $"{replace.NewPath} {replace.NewVersion}";
                    metadata["replaces"] = $"{require.Path}@{require.Version}";
                    (path, version) = (replace.NewPath, replace.NewVersion);
                }
            }
            packages.Add(new Package
            {
                Name = path,
                Version = version,
                Ecosystem = Ecosystem.Go,
                Purl = GoPackages.Purl(path, version),
                FoundBy = Name,
                Locations = [entry.Location],
                Metadata = metadata,
            });
        }
        return packages;
    }
}
