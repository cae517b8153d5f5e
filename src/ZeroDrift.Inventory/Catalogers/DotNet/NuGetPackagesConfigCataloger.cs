using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>
/// packages.config, the pre-PackageReference NuGet format: one &lt;package id version targetFramework
/// developmentDependency&gt; per package, transitive ones included, with no graph.
/// </summary>
public sealed class NuGetPackagesConfigCataloger : ICataloger
{
    public string Name => "nuget-packages-config";

    public bool FileRequired(FileEntry entry) =>
        entry.Name.Equals("packages.config", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        System.Xml.Linq.XDocument document;
        using (var stream = context.Open(entry)) document = NuGetPackages.LoadXml(stream, entry.Path, context.Budget);
        if (document.Root?.Name.LocalName != "packages")
            throw new FormatException($"{entry.Path}: root element is <{document.Root?.Name.LocalName}>, expected <packages>");
        var found = new List<Package>();
        foreach (var element in document.Root.Elements().Where(e => e.Name.LocalName == "package"))
        {
            var id = NuGetPackages.Attribute(element, "id")?.Trim();
            var version = NuGetPackages.Attribute(element, "version")?.Trim();
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(version) || !NuGetPackages.IsValidId(id))
            {
                context.Warn($"{entry.Path}: <package> without a valid id and version skipped");
                continue;
            }
            var metadata = new Dictionary<string, string>();
            if (NuGetPackages.Attribute(element, "targetFramework") is { Length: > 0 } framework) metadata["targetFramework"] = framework;
            var dev = string.Equals(NuGetPackages.Attribute(element, "developmentDependency"), "true", StringComparison.OrdinalIgnoreCase);
            found.Add(NuGetPackages.Create(Name, entry, id, version, metadata: metadata, dev: dev));
        }
        return PackageMerge.ByPurl(found);
    }
}
