using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>
/// go.mod: each required module (the main module itself is not a package). A replacement by another module turns
/// the requirement into that module; a replacement by a directory turns it into that directory, versionless (its code
/// is the fork, not the module it replaces: advisories of the original must not match it). A requirement whose exact
/// version is excluded is dropped, as cmd/go ignores it. go.mod gives no graph. The module's hash comes from the go.sum
/// beside it when there is one. Before go 1.17, go.mod lists only direct requirements: the modules whose code go.sum
/// holds a hash of are then added as indirect ones, as Trivy and osv-scalibr do.
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
        var sumPath = VirtualPath.Combine(VirtualPath.Parent(entry.Path), "go.sum");
        var sumLines = ReadSums(context, sumPath);
        var sums = new Dictionary<(string, string), string>();
        foreach (var line in sumLines) sums.TryAdd((line.Path, line.Version), line.Hash);
        var packages = new List<Package>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var require in file.Requires)
        {
            named.Add(require.Path);
            if (excluded.Contains((require.Path, require.Version))) continue;
            var metadata = BaseMetadata(file);
            if (require.Indirect) metadata["indirect"] = "true";
            var (path, version) = (require.Path, require.Version);
            // A versioned replacement applies to that version only; an unversioned one to all.
            var replace = file.Replaces.LastOrDefault(r => r.OldPath == require.Path && r.OldVersion == require.Version)
                ?? file.Replaces.LastOrDefault(r => r.OldPath == require.Path && r.OldVersion is null);
            if (replace is not null)
            {
                metadata["replace"] = $"{replace.NewPath} {replace.NewVersion}".TrimEnd();
                metadata["replaces"] = $"{require.Path}@{require.Version}";
                // A directory has no version: the package is the directory as go.mod names it.
                (path, version) = (replace.NewPath, replace.NewVersion ?? "");
                named.Add(path);
            }
            if (sums.TryGetValue((path, version), out var sum)) metadata["sum"] = sum;
            packages.Add(Package(path, version, metadata, [entry.Location]));
        }

        if (IndirectRequirementsOmitted(file.GoVersion) && sumLines.Count > 0)
            packages.AddRange(FromSum(context, file, sumPath, sumLines, named, excluded, entry));
        return packages;
    }

    /// <summary>
    /// go.sum's modules that go.mod does not name: the last content line of each path, go.sum being sorted by version
    /// and the build using the highest. A "/go.mod"-only line is a module whose go.mod was read during version
    /// selection and whose code is not built: not a package.
    /// </summary>
    private IEnumerable<Package> FromSum(CatalogContext context, GoModFile file, string sumPath, List<SumLine> lines,
        HashSet<string> named, HashSet<(string, string)> excluded, FileEntry entry)
    {
        var chosen = new Dictionary<string, SumLine>(StringComparer.Ordinal);
        foreach (var line in lines)
            if (!named.Contains(line.Path) && !excluded.Contains((line.Path, line.Version))) chosen[line.Path] = line;
        if (chosen.Count == 0) yield break;
        IReadOnlyList<Location> locations = context.FileSystem.Resolve(sumPath) is { } sumEntry ? [entry.Location, sumEntry.Location] : [entry.Location];
        foreach (var line in chosen.Values)
        {
            var metadata = BaseMetadata(file);
            metadata["indirect"] = "true";
            metadata["sum"] = line.Hash;
            metadata["fromGoSum"] = "true";
            yield return Package(line.Path, line.Version, metadata, locations);
        }
    }

    private Package Package(string path, string version, Dictionary<string, string> metadata, IReadOnlyList<Location> locations) => new()
    {
        Name = path,
        Version = version,
        Ecosystem = Ecosystem.Go,
        Purl = GoPackages.Purl(path, version.Length == 0 ? null : version),
        FoundBy = Name,
        Locations = locations,
        Metadata = metadata,
    };

    private static Dictionary<string, string> BaseMetadata(GoModFile file)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file.Module is not null) metadata["mainModule"] = file.Module;
        if (file.GoVersion is not null) metadata["goVersion"] = file.GoVersion;
        return metadata;
    }

    /// <summary>
    /// From go 1.17 on, go.mod lists every module the build needs; before, only the direct ones. cmd/go takes a go.mod
    /// without a "go" line for 1.16.
    /// </summary>
    internal static bool IndirectRequirementsOmitted(string? goVersion)
    {
        if (goVersion is null) return true;
        var parts = goVersion.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major)) return false;
        var minorDigits = new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        return major < 1 || (major == 1 && int.TryParse(minorDigits, out var minor) && minor <= 16);
    }

    private sealed record SumLine(string Path, string Version, string Hash);

    /// <summary>go.sum's "path version h1:hash" lines for module content (not the "/go.mod" ones), in file order.</summary>
    private static List<SumLine> ReadSums(CatalogContext context, string path)
    {
        var sums = new List<SumLine>();
        string? text;
        try { text = context.FileSystem.ReadText(path, context.Limits.MaxFileBytes); }
        catch (Artifacts.ArtifactException e) { context.Warn(e.Message); return sums; }
        if (text is null) return sums;
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 3 && !fields[1].EndsWith("/go.mod", StringComparison.Ordinal)) sums.Add(new SumLine(fields[0], fields[1], fields[2]));
        }
        return sums;
    }
}
