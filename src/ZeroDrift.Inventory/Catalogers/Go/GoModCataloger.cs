using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>
/// go.mod: each required module (the main module itself is not a package). A replacement by another module turns
/// the requirement into that module; a replacement by a directory keeps the requirement and records the directory.
/// A requirement whose exact version is excluded is dropped, as cmd/go ignores it. go.mod gives no graph. The
/// module's hash comes from the go.sum beside it when there is one.
/// </summary>
public sealed class GoModCataloger : ICataloger
{
    public string Name => "go-mod";

    public bool FileRequired(FileEntry entry) => entry.Name == "go.mod";

    public bool AuxiliaryFileRequired(FileEntry entry) => entry.Name == "go.sum";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var file = GoModFile.Parse(context.ReadText(entry));
        var excluded = file.Excludes.Select(e => (e.Path, e.Version)).ToHashSet();
        var sums = ReadSums(context, VirtualPath.Combine(VirtualPath.Parent(entry.Path), "go.sum"));
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
            if (sums.TryGetValue((path, version), out var sum)) metadata["sum"] = sum;
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

    /// <summary>go.sum's "path version h1:hash" lines for module content (not the "/go.mod" ones).</summary>
    private static Dictionary<(string, string), string> ReadSums(CatalogContext context, string path)
    {
        var sums = new Dictionary<(string, string), string>();
        string? text;
        try { text = context.FileSystem.ReadText(path, context.Limits.MaxFileBytes); }
        catch (Artifacts.ArtifactException e) { context.Warn(e.Message); return sums; }
        if (text is null) return sums;
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 3 && !fields[1].EndsWith("/go.mod", StringComparison.Ordinal)) sums.TryAdd((fields[0], fields[1]), fields[2]);
        }
        return sums;
    }
}
