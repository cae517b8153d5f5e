using System.Text.RegularExpressions;
using System.Xml.Linq;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>
/// The packages a project declares: &lt;PackageReference Include|Update Version&gt; in *.csproj, *.fsproj, *.vbproj
/// and Directory.Build.props/targets, and central package management's &lt;PackageVersion&gt; and
/// &lt;GlobalPackageReference&gt; in Directory.Packages.props. A reference without a version takes it from the nearest
/// Directory.Packages.props above the project, as NuGet does. Only literal versions are reported: an MSBuild
/// property ("$(Ver)"), a floating version or a range is not a version of one package, and is warned about.
/// </summary>
public sealed partial class NuGetProjectCataloger : ICataloger
{
    private const string CentralFile = "Directory.Packages.props";

    public string Name => "nuget-csproj";

    public bool FileRequired(FileEntry entry) =>
        entry.Name.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
        || entry.Name.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase)
        || entry.Name.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase)
        || entry.Name.Equals(CentralFile, StringComparison.OrdinalIgnoreCase)
        || entry.Name.Equals("Directory.Build.props", StringComparison.OrdinalIgnoreCase)
        || entry.Name.Equals("Directory.Build.targets", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        XDocument document;
        using (var stream = context.Open(entry)) document = NuGetPackages.LoadXml(stream, entry.Path, context.Budget);
        var found = new List<Package>();
        var isCentral = entry.Name.Equals(CentralFile, StringComparison.OrdinalIgnoreCase);
        if (isCentral)
        {
            foreach (var element in NuGetPackages.Named(document, "PackageVersion").Concat(NuGetPackages.Named(document, "GlobalPackageReference")))
                if (Declared(context, entry, element, NuGetPackages.AttributeOrChild(element, "Version"), "central") is { } package)
                    found.Add(package);
            return PackageMerge.ByPurl(found);
        }

        Dictionary<string, string>? central = null;
        foreach (var element in NuGetPackages.Named(document, "PackageReference"))
        {
            var version = NuGetPackages.AttributeOrChild(element, "VersionOverride") ?? NuGetPackages.AttributeOrChild(element, "Version");
            var source = "project";
            if (version is null)
            {
                central ??= CentralVersions(context, entry);
                var id = Id(element);
                if (id is null || !central.TryGetValue(id, out version))
                {
                    context.Warn($"{entry.Path}:{Line(element)}: PackageReference '{id}' has no Version and no {CentralFile} above it gives one");
                    continue;
                }
                source = "central";
            }
            if (Declared(context, entry, element, version, source) is { } package) found.Add(package);
        }
        return PackageMerge.ByPurl(found);
    }

    private Package? Declared(CatalogContext context, FileEntry entry, XElement element, string? rawVersion, string source)
    {
        var id = Id(element);
        if (id is null || !NuGetPackages.IsValidId(id))
        {
            context.Warn($"{entry.Path}:{Line(element)}: <{element.Name.LocalName}> without a valid Include or Update skipped");
            return null;
        }
        if (Literal(rawVersion) is not { } version)
        {
            context.Warn($"{entry.Path}:{Line(element)}: {id} version '{rawVersion}' is not a literal version (property, range or floating); skipped");
            return null;
        }
        var metadata = new Dictionary<string, string> { ["versionSource"] = source };
        if (NuGetPackages.AttributeOrChild(element, "PrivateAssets") is { Length: > 0 } privateAssets) metadata["privateAssets"] = privateAssets;
        if (NuGetPackages.AttributeOrChild(element, "Condition") is { Length: > 0 } condition) metadata["condition"] = condition;
        if (element.Name.LocalName.Equals("GlobalPackageReference", StringComparison.OrdinalIgnoreCase)) metadata["global"] = "true";
        return NuGetPackages.Create(Name, entry, id, version, metadata: metadata);
    }

    private static string? Id(XElement element) =>
        (NuGetPackages.Attribute(element, "Include") ?? NuGetPackages.Attribute(element, "Update"))?.Trim() is { Length: > 0 } id ? id : null;

    /// <summary>"13.0.3" and the exact range "[13.0.3]" are literal; "$(V)", "13.*", "[1.0,2.0)" are not.</summary>
    private static string? Literal(string? version)
    {
        if (version is null) return null;
        var v = version.Trim();
        if (v.Length > 2 && v[0] == '[' && v[^1] == ']' && !v.Contains(',', StringComparison.Ordinal)) v = v[1..^1].Trim();
        return NuGetVersion().IsMatch(v) ? v : null;
    }

    /// <summary>PackageVersion entries of the nearest Directory.Packages.props above <paramref name="project"/>.</summary>
    private static Dictionary<string, string> CentralVersions(CatalogContext context, FileEntry project)
    {
        var versions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var directory = VirtualPath.Parent(project.Path);
        for (var hops = 0; hops < 256; hops++)
        {
            var candidate = directory == VirtualPath.Root ? "/" + CentralFile : directory + "/" + CentralFile;
            var found = context.FileSystem.Resolve(candidate, context.Limits.MaxSymlinkHops);
            if (found is { Kind: FileKind.Regular or FileKind.Hardlink })
            {
                XDocument document;
                using (var stream = context.Open(found)) document = NuGetPackages.LoadXml(stream, candidate, context.Budget);
                foreach (var element in NuGetPackages.Named(document, "PackageVersion").Concat(NuGetPackages.Named(document, "GlobalPackageReference")))
                    if (Id(element) is { } id && NuGetPackages.AttributeOrChild(element, "Version") is { } version)
                        versions.TryAdd(id, version);
                return versions;
            }
            if (directory == VirtualPath.Root) break;
            directory = VirtualPath.Parent(directory);
        }
        return versions;
    }

    private static int Line(XElement element) => ((System.Xml.IXmlLineInfo)element).LineNumber;

    [GeneratedRegex(@"^\d+(\.\d+){0,3}(-[0-9A-Za-z][0-9A-Za-z.-]*)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex NuGetVersion();
}
