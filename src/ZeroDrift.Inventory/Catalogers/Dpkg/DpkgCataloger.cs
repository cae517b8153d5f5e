using System.Text.RegularExpressions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Dpkg;

/// <summary>
/// Debian and Ubuntu packages from dpkg's database: <c>/var/lib/dpkg/status</c>, or one stanza a file in
/// <c>/var/lib/dpkg/status.d/</c> as distroless images keep it. Installed files come from <c>info/NAME.list</c>
/// (or <c>status.d/NAME.md5sums</c>), licences from <c>/usr/share/doc/NAME/copyright</c>, and the dependency graph
/// from Depends and Pre-Depends.
/// </summary>
public sealed partial class DpkgCataloger : ICataloger
{
    private const string StatusFile = "/var/lib/dpkg/status";
    private const string StatusDirectory = "/var/lib/dpkg/status.d/";
    private const string InfoDirectory = "/var/lib/dpkg/info/";

    public string Name => "dpkg";

    public bool FileRequired(FileEntry entry) =>
        entry.Path == StatusFile
        || (entry.Path.StartsWith(StatusDirectory, StringComparison.Ordinal) && !entry.Path.EndsWith(".md5sums", StringComparison.Ordinal));

    public bool AuxiliaryFileRequired(FileEntry entry) =>
        (entry.Path.StartsWith(InfoDirectory, StringComparison.Ordinal) && entry.Path.EndsWith(".list", StringComparison.Ordinal))
        || (entry.Path.StartsWith(StatusDirectory, StringComparison.Ordinal) && entry.Path.EndsWith(".md5sums", StringComparison.Ordinal))
        || (entry.Path.StartsWith("/usr/share/doc/", StringComparison.Ordinal) && entry.Path.EndsWith("/copyright", StringComparison.Ordinal));

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var reader = new StringReader(context.ReadText(entry));
        var stanzas = DebianControl.Parse(reader).Where(IsInstalled).ToList();
        var distroless = entry.Path.StartsWith(StatusDirectory, StringComparison.Ordinal);

        var records = stanzas.Select(s => ToRecord(s, context, entry)).Where(r => r is not null).Select(r => r!).ToList();
        // Names (and names provided) → package id, for the dependency graph.
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            byName.TryAdd(r.Name, r.Id);
            foreach (var provided in r.Provides) byName.TryAdd(provided, r.Id);
        }
        foreach (var r in records)
        {
            var files = ReadFiles(context, r, distroless);
            yield return new Package
            {
                Name = r.Name,
                Version = r.Version,
                Ecosystem = Ecosystem.Dpkg,
                Purl = r.Purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Arch = r.Arch,
                SourceName = r.SourceName,
                SourceVersion = r.SourceVersion,
                Files = files,
                Licenses = ReadLicenses(context, r.Name),
                DependsOn = r.Depends.Select(d => byName.GetValueOrDefault(d)).Where(d => d is not null && d != r.Id).Select(d => d!).Distinct().ToList(),
                Metadata = r.Metadata,
            };
        }
    }

    private static bool IsInstalled(Dictionary<string, string> stanza) =>
        // distroless status.d stanzas carry no Status field; a dpkg status file always does.
        !stanza.TryGetValue("Status", out var status) || status.Split(' ').LastOrDefault() is "installed" or "half-configured" or "triggers-awaited" or "triggers-pending" or "unpacked" or "half-installed";

    private sealed record Record(string Name, string Version, string? Arch, string? SourceName, string? SourceVersion,
        PackageUrl Purl, string Id, List<string> Depends, List<string> Provides, Dictionary<string, string> Metadata);

    private Record? ToRecord(Dictionary<string, string> stanza, CatalogContext context, FileEntry entry)
    {
        if (!stanza.TryGetValue("Package", out var name) || !stanza.TryGetValue("Version", out var version)) return null;
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(version))
        {
            context.Warn($"{entry.Path}: dpkg: a package entry with an empty {(string.IsNullOrWhiteSpace(name) ? "Package" : "Version")} field; skipped");
            return null;
        }
        var distro = context.Distro;
        stanza.TryGetValue("Architecture", out var arch);
        string? sourceName = null, sourceVersion = null;
        if (stanza.TryGetValue("Source", out var source) && SourceField().Match(source) is { Success: true } m)
        {
            sourceName = m.Groups["name"].Value;
            sourceVersion = m.Groups["version"].Success ? m.Groups["version"].Value : version;
        }
        var qualifiers = new List<KeyValuePair<string, string>>();
        if (arch is not null) qualifiers.Add(new("arch", arch));
        if (distro is not null) qualifiers.Add(new("distro", distro.VersionId is null ? distro.Id : $"{distro.Id}-{distro.VersionId}"));
        if (sourceName is not null)
            qualifiers.Add(new("upstream", sourceVersion is not null && sourceVersion != version ? $"{sourceName}@{sourceVersion}" : sourceName));
        var purl = PackageUrl.For(Ecosystem.Dpkg, distro?.Id ?? "debian", name, version, qualifiers);
        var depends = new List<string>();
        foreach (var field in new[] { "Depends", "Pre-Depends" })
            if (stanza.TryGetValue(field, out var value)) depends.AddRange(Relations(value));
        var provides = stanza.TryGetValue("Provides", out var p) ? Relations(p).ToList() : [];
        var metadata = new Dictionary<string, string>();
        foreach (var key in new[] { "Maintainer", "Installed-Size", "Multi-Arch" })
            if (stanza.TryGetValue(key, out var v)) metadata[key.ToLowerInvariant()] = v;
        return new Record(name, version, arch, sourceName, sourceVersion, purl, PackageId.For(purl, entry.Path), depends, provides, metadata);
    }

    /// <summary>"libc6 (>= 2.34), libfoo1 | libbar1, perl:any" → the first alternative's names.</summary>
    private static IEnumerable<string> Relations(string field) =>
        field.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(rel => rel.Split('|')[0].Trim())
            .Select(rel => rel.Split([' ', '(', '['], 2)[0].Split(':')[0])
            .Where(n => n.Length > 0);

    private static IReadOnlyList<string> ReadFiles(CatalogContext context, Record r, bool distroless)
    {
        var candidates = distroless
            ? new[] { $"{StatusDirectory}{r.Name}.md5sums" }
            : new[] { $"{InfoDirectory}{r.Name}:{r.Arch}.list", $"{InfoDirectory}{r.Name}.list" };
        foreach (var path in candidates)
        {
            string? text;
            try { text = context.FileSystem.ReadText(path, context.Limits.MaxFileBytes); }
            catch (Artifacts.ArtifactException e) { context.Warn(e.Message); continue; }
            if (text is null) continue;
            var files = new List<string>();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0) continue;
                // md5sums lines are "HASH  relative/path".
                if (distroless) line = "/" + (line.Split("  ", 2) is { Length: 2 } parts ? parts[1] : line).TrimStart('/');
                if (line == "/.") continue;
                files.Add(line);
            }
            return files;
        }
        return [];
    }

    private static IReadOnlyList<string> ReadLicenses(CatalogContext context, string name)
    {
        string? text;
        try { text = context.FileSystem.ReadText($"/usr/share/doc/{name}/copyright", 4 << 20); }
        catch (Artifacts.ArtifactException) { return []; }
        if (text is null) return [];
        return LicenseLine().Matches(text)
            .Select(m => m.Groups["license"].Value.Trim())
            .Where(l => l.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex(@"^(?<name>[^\s(]+)(\s*\((?<version>[^)]+)\))?")]
    private static partial Regex SourceField();

    [GeneratedRegex(@"^License:\s*(?<license>\S[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex LicenseLine();
}
