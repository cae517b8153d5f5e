using System.Text.RegularExpressions;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// The main section of a jar's <c>META-INF/MANIFEST.MF</c> (JAR File Specification): <c>Name: value</c> lines, a
/// line starting with one space continuing the previous value, sections separated by blank lines.
/// </summary>
internal sealed partial class JavaManifest
{
    private readonly Dictionary<string, string> _main;

    private JavaManifest(Dictionary<string, string> main) => _main = main;

    public IReadOnlyDictionary<string, string> Main => _main;

    public string? this[string key] => _main.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    public static JavaManifest Parse(string text)
    {
        var main = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? key = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (main.Count > 0) break; // end of the main section
                continue;
            }
            if (line[0] == ' ')
            {
                if (key is not null) main[key] += line[1..];
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) { key = null; continue; }
            key = line[..colon].Trim();
            main[key] = line[(colon + 1)..].Trim();
        }
        return new JavaManifest(main);
    }

    // Reverse domain names (org.apache.commons…) that Syft accepts as a Maven groupId.
    private static readonly HashSet<string> TopLevelDomains = new(StringComparer.Ordinal)
    {
        "com", "org", "net", "io", "edu", "gov", "mil", "dev", "app", "co", "info", "biz", "eu", "de", "uk", "fr", "nl",
        "be", "ch", "at", "it", "es", "se", "no", "dk", "fi", "pl", "cz", "ru", "cn", "jp", "kr", "in", "br", "au", "ca", "us",
    };

    /// <summary>
    /// A groupId guess for a jar without pom.properties, as Syft makes it: the first of these fields whose value
    /// looks like a reverse domain name.
    /// </summary>
    public string? GroupId()
    {
        foreach (var field in new[] { "Bundle-SymbolicName", "Extension-Name", "Specification-Vendor", "Implementation-Vendor",
                     "Implementation-Vendor-Id", "Implementation-Title", "Automatic-Module-Name" })
        {
            if (this[field] is not { } value) continue;
            var candidate = value.Split(';')[0].Trim(); // "org.foo.bar;singleton:=true"
            if (ReverseDomain().IsMatch(candidate) && TopLevelDomains.Contains(candidate.Split('.')[0])) return candidate;
        }
        return null;
    }

    /// <summary>Bundle-License: "Apache-2.0;link=…, MIT" or a URL; each clause's first part.</summary>
    public IReadOnlyList<string> Licenses()
    {
        if (this["Bundle-License"] is not { } value) return [];
        if (value.StartsWith("http", StringComparison.OrdinalIgnoreCase) && !value.Contains(',', StringComparison.Ordinal)) return [value];
        return value.Split(',').Select(c => c.Split(';')[0].Trim().Trim('"')).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")]
    private static partial Regex ReverseDomain();
}
