using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// Installed Python distributions: <c>NAME-VERSION.dist-info/METADATA</c> (wheels, pip), <c>NAME.egg-info/PKG-INFO</c>
/// and single-file <c>NAME-VERSION.egg-info</c> (setuptools, Debian's python3-* packages). Dependencies come from
/// Requires-Dist (or the egg's <c>requires.txt</c>), without the ones only an extra pulls in, resolved against the
/// distributions installed in the same directory.
/// </summary>
public sealed partial class PythonInstalledCataloger : ICataloger
{
    private readonly SiblingIndex<Dictionary<string, string>> _siblings = new();

    public string Name => "python-installed";

    public bool FileRequired(FileEntry entry) => IsMetadataFile(entry.Path);

    public bool AuxiliaryFileRequired(FileEntry entry) =>
        entry.Name == "requires.txt" && VirtualPath.Parent(entry.Path).EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var metadata = CoreMetadata.Parse(context.ReadText(entry));
        var name = metadata["Name"];
        var version = metadata["Version"];
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
            throw new FormatException("Python metadata without Name or Version");
        var purl = PythonNames.Purl(name, version);

        var siteDirectory = SiteDirectory(entry.Path);
        var installed = _siblings.Get(context.FileSystem, siteDirectory, dir => IndexInstalled(context, dir));
        var dependsOn = Requirements(context, entry, metadata)
            .Select(PythonNames.Normalize)
            .Distinct(StringComparer.Ordinal)
            .Select(n => installed.GetValueOrDefault(n))
            .Where(id => id is not null)
            .Select(id => id!)
            .ToList();

        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (header, key) in new[] { ("Summary", "summary"), ("Home-page", "homepage"), ("Author", "author"), ("Requires-Python", "requiresPython"), ("Metadata-Version", "metadataVersion") })
            if (metadata[header] is { Length: > 0 } value) extra[key] = value;
        extra["sitePackages"] = siteDirectory;

        yield return new Package
        {
            Name = name,
            Version = version,
            Ecosystem = Ecosystem.PyPI,
            Purl = purl,
            FoundBy = Name,
            Locations = [entry.Location],
            Licenses = metadata.Licenses(),
            DependsOn = dependsOn,
            Metadata = extra,
        };
    }

    private static bool IsMetadataFile(string path)
    {
        var parent = VirtualPath.Parent(path);
        var name = VirtualPath.FileName(path);
        return (name == "METADATA" && parent.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase))
            || (name == "PKG-INFO" && parent.EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase))
            || name.EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The directory the distribution is installed in: the parent of its .dist-info / .egg-info.</summary>
    private static string SiteDirectory(string metadataPath) =>
        metadataPath.EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase)
            ? VirtualPath.Parent(metadataPath)
            : VirtualPath.Parent(VirtualPath.Parent(metadataPath));

    /// <summary>Names required at run time whatever extras are chosen.</summary>
    private static IEnumerable<string> Requirements(CatalogContext context, FileEntry entry, CoreMetadata metadata)
    {
        var declared = metadata.All("Requires-Dist");
        if (declared.Count > 0)
        {
            foreach (var requirement in declared)
            {
                var semicolon = requirement.IndexOf(';', StringComparison.Ordinal);
                if (semicolon >= 0 && IsExtraMarker(requirement[(semicolon + 1)..])) continue;
                if (PythonNames.RequirementName(requirement) is { } n) yield return n;
            }
            yield break;
        }
        if (entry.Name != "PKG-INFO") yield break;
        // Eggs keep requirements in requires.txt: unconditional ones first, then "[extra]" or "[:marker]" sections.
        string? text;
        try { text = context.FileSystem.ReadText(VirtualPath.Combine(VirtualPath.Parent(entry.Path), "requires.txt"), context.Limits.MaxFileBytes); }
        catch (Artifacts.ArtifactException e) { context.Warn(e.Message); yield break; }
        if (text is null) yield break;
        var inExtra = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('['))
            {
                // "[:python_version < '3.8']" is a marker-only section (no extra); "[socks]" or "[socks:marker]" is an extra.
                inExtra = !line.StartsWith("[:", StringComparison.Ordinal);
                continue;
            }
            if (!inExtra && PythonNames.RequirementName(line) is { } n) yield return n;
        }
    }

    private static bool IsExtraMarker(string marker) => ExtraMarker().IsMatch(marker);

    [System.Text.RegularExpressions.GeneratedRegex(@"\bextra\s*==")]
    private static partial System.Text.RegularExpressions.Regex ExtraMarker();

    /// <summary>Normalised name → package id of every distribution installed in <paramref name="directory"/>.</summary>
    private Dictionary<string, string> IndexInstalled(CatalogContext context, string directory)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var child in context.FileSystem.List(directory).OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            var path = child.Kind == FileKind.Directory
                ? child.Path + (child.Path.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase) ? "/METADATA" : "/PKG-INFO")
                : child.Path;
            if (!IsMetadataFile(path)) continue;
            try
            {
                var text = context.FileSystem.ReadText(path, context.Limits.MaxFileBytes);
                if (text is null) continue;
                var metadata = CoreMetadata.Parse(text);
                if (metadata["Name"] is { Length: > 0 } name && metadata["Version"] is { Length: > 0 } version)
                    index.TryAdd(PythonNames.Normalize(name), PackageId.For(PythonNames.Purl(name, version), path));
            }
            catch (Exception e) when (e is FormatException or Artifacts.ArtifactException or IOException)
            {
                // The sibling is reported by its own Catalog call; here it only cannot be a dependency target.
            }
        }
        return index;
    }
}
