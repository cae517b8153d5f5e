using System.Xml.Linq;
using ZeroDrift.Core;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Xml;

namespace ZeroDrift.Inventory.Catalogers.DotNet;

/// <summary>What the NuGet catalogers share: purls, "Name/1.2.3" keys, and safe XML loading.</summary>
internal static class NuGetPackages
{
    /// <summary>pkg:nuget/Name@version: NuGet ids are case-insensitive, and the purl keeps the case the file gives.</summary>
    public static PackageUrl Purl(string name, string version) => PackageUrl.For(Ecosystem.NuGet, null, name, version);

    public static Package Create(string cataloger, Artifacts.FileSystems.FileEntry entry, string name, string version,
        IReadOnlyList<string>? dependsOn = null, IReadOnlyDictionary<string, string>? metadata = null, bool dev = false) => new()
    {
        Name = name,
        Version = version,
        Ecosystem = Ecosystem.NuGet,
        Purl = Purl(name, version),
        FoundBy = cataloger,
        Locations = [entry.Location],
        DependsOn = dependsOn ?? [],
        Metadata = metadata ?? new Dictionary<string, string>(),
        Dev = dev,
    };

    /// <summary>True for a plausible NuGet id (letters, digits, '.', '-', '_'), so a malformed key is not reported as a package.</summary>
    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= 256 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>"Newtonsoft.Json/13.0.3" (deps.json and project.assets.json library keys) → name and version.</summary>
    public static (string Name, string Version)? SplitKey(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || slash == key.Length - 1) return null;
        var name = key[..slash];
        return IsValidId(name) ? (name, key[(slash + 1)..]) : null;
    }

    /// <summary>
    /// Loads project XML within the scan's budget (<see cref="SafeXml"/>): no DTD or external resolution, so a hostile
    /// file cannot pull in other files (XXE) or expand entities ("billion laughs"); nesting, elements, bytes and time are
    /// bounded as it is read. Malformed XML becomes a <see cref="FormatException"/>.
    /// </summary>
    public static XDocument LoadXml(Stream stream, string path, ParseBudget budget) => SafeXml.Load(stream, budget, path, LoadOptions.SetLineInfo);

    /// <summary>An attribute matched without regard to case, as MSBuild and NuGet read them.</summary>
    public static string? Attribute(XElement element, string name) =>
        element.Attributes().FirstOrDefault(a => a.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;

    /// <summary>An attribute, or else a child element of that name (MSBuild accepts metadata either way).</summary>
    public static string? AttributeOrChild(XElement element, string name) =>
        Attribute(element, name)
        ?? element.Elements().FirstOrDefault(e => e.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;

    public static IEnumerable<XElement> Named(XDocument document, string localName) =>
        document.Descendants().Where(e => e.Name.LocalName.Equals(localName, StringComparison.OrdinalIgnoreCase));
}
