using System.IO.Compression;
using System.Text;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// Java archives (jar, war, ear, Jenkins jpi/hpi, …): a package for every
/// <c>META-INF/maven/&lt;group&gt;/&lt;artifact&gt;/pom.properties</c>, or, when there is none, one from
/// <c>META-INF/MANIFEST.MF</c> and the file name, as Syft does. Archives nested inside (WEB-INF/lib, BOOT-INF/lib,
/// an ear's lib/) are opened in turn, up to <see cref="ScanLimits.MaxArchiveDepth"/> deep, all of them within one
/// budget of entries and inflated bytes, with the compression ratio of each checked: a jar is a zip, and zips bomb.
/// </summary>
public sealed class JavaArchiveCataloger : ICataloger
{
    // Manifests and pom.properties are a few kilobytes; an embedded pom.xml rarely passes a hundred.
    private const long MaxTextEntryBytes = 1 << 20;
    private const long MaxPomEntryBytes = 4 << 20;

    public string Name => "java-archive";

    public bool FileRequired(FileEntry entry) => ArchiveFileName.IsArchive(entry.Name);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var budget = new ArchiveBudget(context.Limits, context.Limits.MaxFileBytes);
        var found = new List<Found>();
        using (var stream = budget.Seekable(context.Open(entry), entry.Size, context.Limits.MaxFileBytes, entry.Path))
        {
            ZipArchive archive;
            try
            {
                archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{entry.Path}: not a readable zip archive: {e.Message}", e);
            }
            using (archive)
            {
                budget.CountEntries(archive.Entries.Count, entry.Path);
                new Walker(context, entry, budget, found).Read(archive, nestedPath: null, fileName: entry.Name, depth: 1);
            }
        }
        return ToPackages(entry, found);
    }

    /// <summary>A package found in one of the archives, before ids are known.</summary>
    private sealed record Found(string? GroupId, string ArtifactId, string Version, IReadOnlyList<string> Licenses,
        Dictionary<string, string> Metadata, List<int> Nested);

    private List<Package> ToPackages(FileEntry entry, List<Found> found)
    {
        var purls = found.Select(f => PackageUrl.For(Ecosystem.Maven, f.GroupId, f.ArtifactId, f.Version)).ToList();
        var ids = purls.Select(p => PackageId.For(p, entry.Path)).ToList();
        var packages = new List<Package>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < found.Count; i++)
        {
            // The same library twice in one archive (two lib/ folders, a shaded copy) is one package.
            if (!seen.Add(ids[i])) continue;
            var f = found[i];
            packages.Add(new Package
            {
                Name = f.ArtifactId,
                Version = f.Version,
                Ecosystem = Ecosystem.Maven,
                Purl = purls[i],
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = f.Licenses,
                DependsOn = f.Nested.Select(n => ids[n]).Where(id => id != ids[i]).Distinct().ToList(),
                Metadata = f.Metadata,
            });
        }
        return packages;
    }

    private sealed class Walker(CatalogContext context, FileEntry outer, ArchiveBudget budget, List<Found> found)
    {
        /// <summary>Reads one archive and those nested in it; returns the indexes of its own packages.</summary>
        public List<int> Read(ZipArchive archive, string? nestedPath, string fileName, int depth)
        {
            var where = nestedPath is null ? outer.Path : $"{outer.Path}: {nestedPath}";
            var pomProperties = new List<ZipArchiveEntry>();
            var pomXml = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            var nested = new List<ZipArchiveEntry>();
            ZipArchiveEntry? manifestEntry = null;
            foreach (var e in archive.Entries)
            {
                var name = e.FullName;
                if (name.EndsWith('/')) continue;
                if (name.Equals("META-INF/MANIFEST.MF", StringComparison.OrdinalIgnoreCase)) manifestEntry = e;
                else if (IsMavenMetadata(name, "pom.properties")) pomProperties.Add(e);
                else if (IsMavenMetadata(name, "pom.xml")) pomXml[name[..^"pom.xml".Length]] = e;
                else if (ArchiveFileName.IsArchive(e.Name)) nested.Add(e);
            }

            var manifest = manifestEntry is null ? null : ReadManifest(manifestEntry, where);
            var fromPoms = pomProperties
                .Select(e => FromPomProperties(e, pomXml, nestedPath, where))
                .Where(f => f is not null).Select(f => f!).ToList();
            var (own, primary) = AddOwnPackages(manifest, fromPoms, fileName, nestedPath);

            var children = new List<int>();
            foreach (var e in nested)
            {
                if (budget.Exhausted) break;
                var childPath = $"{nestedPath ?? fileName}!/{e.FullName}";
                if (depth + 1 > budget.Limits.MaxArchiveDepth)
                {
                    context.Warn($"{outer.Path}: {childPath}: nested more than {budget.Limits.MaxArchiveDepth} archives deep, not opened");
                    continue;
                }
                children.AddRange(ReadNested(e, childPath, depth + 1));
            }
            // The archive's own package depends on the libraries it bundles.
            if (primary is { } main) found[main].Nested.AddRange(children);
            return own;
        }

        /// <summary>
        /// Adds the archive's packages: every pom.properties, and the archive itself from its manifest and file name
        /// when none of them is its own. Returns their indexes and the one that is the archive itself, if known.
        /// </summary>
        private (List<int> Own, int? Primary) AddOwnPackages(JavaManifest? manifest, List<Found> fromPoms, string fileName, string? nestedPath)
        {
            var fromManifest = FromManifest(manifest, fileName, nestedPath);
            // Which pom.properties is the archive's own, and not one of a library shaded into it: the one named like
            // the file, or with a version the file name or manifest gives (Debian renames maven-core-3.8.7.jar to
            // maven3-core.jar and geronimo-annotation_1.3_spec-1.3.jar to geronimo-annotation-1.3-spec.jar, but
            // keeps the manifests).
            var (fileArtifact, fileVersion) = ArchiveFileName.Split(fileName);
            string?[] versions = [fileVersion, manifest?["Implementation-Version"], manifest?["Bundle-Version"], manifest?["Specification-Version"]];
            var declaresVersion = manifest?["Implementation-Version"] is not null || manifest?["Bundle-Version"] is not null;
            var primaryPom = fromPoms.FirstOrDefault(f => f.ArtifactId == fileArtifact)
                ?? fromPoms.FirstOrDefault(f => versions.Contains(f.Version))
                ?? (fromPoms.Count == 1 && !declaresVersion ? fromPoms[0] : null);

            var own = new List<int>();
            int? primary = null;
            if (primaryPom is null && fromManifest is not null && (fromPoms.Count == 0 || declaresVersion)
                && fromPoms.All(f => f.ArtifactId != fromManifest.ArtifactId))
            {
                // A jar with only shaded pom.properties (Debian's guice.jar holds cglib's) is still itself a package,
                // as Syft's "main package from the manifest" has it.
                primary = found.Count;
                own.Add(found.Count);
                found.Add(fromManifest);
            }
            foreach (var f in fromPoms)
            {
                if (ReferenceEquals(f, primaryPom))
                {
                    primary = found.Count;
                    // Bundle-License speaks for the jar itself, so only for its own pom.properties.
                    found.Add(f.Licenses.Count == 0 && manifest is not null ? f with { Licenses = manifest.Licenses() } : f);
                }
                else
                {
                    found.Add(f);
                }
                own.Add(found.Count - 1);
            }
            if (primary is null && own.Count == 1) primary = own[0];
            return (own, primary);
        }

        private List<int> ReadNested(ZipArchiveEntry entry, string childPath, int depth)
        {
            try
            {
                using var stream = budget.Extract(entry, $"{outer.Path}: {childPath}");
                using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
                budget.CountEntries(archive.Entries.Count, $"{outer.Path}: {childPath}");
                return Read(archive, childPath, entry.Name, depth);
            }
            catch (Exception e) when (e is InvalidDataException or LimitExceededException or IOException or NotSupportedException)
            {
                // One bad nested jar does not hide the rest of the archive.
                context.Warn(e is LimitExceededException ? e.Message : $"{outer.Path}: {childPath}: not a readable zip archive: {e.Message}");
                return [];
            }
        }

        private JavaManifest? ReadManifest(ZipArchiveEntry entry, string where)
        {
            try
            {
                return JavaManifest.Parse(Encoding.UTF8.GetString(budget.ReadSmall(entry, MaxTextEntryBytes, $"{where}: {entry.FullName}")));
            }
            catch (Exception e) when (e is InvalidDataException or LimitExceededException or IOException or NotSupportedException)
            {
                context.Warn(e is LimitExceededException ? e.Message : $"{where}: {entry.FullName}: {e.Message}");
                return null;
            }
        }

        private Found? FromPomProperties(ZipArchiveEntry entry, Dictionary<string, ZipArchiveEntry> pomXml, string? nestedPath, string where)
        {
            Dictionary<string, string> properties;
            try
            {
                properties = ParseProperties(Encoding.UTF8.GetString(budget.ReadSmall(entry, MaxTextEntryBytes, $"{where}: {entry.FullName}")));
            }
            catch (Exception e) when (e is InvalidDataException or LimitExceededException or IOException or NotSupportedException)
            {
                context.Warn(e is LimitExceededException ? e.Message : $"{where}: {entry.FullName}: {e.Message}");
                return null;
            }
            var groupId = properties.GetValueOrDefault("groupId");
            var artifactId = properties.GetValueOrDefault("artifactId");
            var version = properties.GetValueOrDefault("version");
            if (string.IsNullOrEmpty(artifactId) || string.IsNullOrEmpty(version) || version.Contains("${", StringComparison.Ordinal))
            {
                context.Warn($"{where}: {entry.FullName}: no usable artifactId and version, skipped");
                return null;
            }
            var metadata = new Dictionary<string, string> { ["source"] = entry.FullName };
            if (nestedPath is not null) metadata["nestedPath"] = nestedPath;
            var directory = entry.FullName[..^"pom.properties".Length];
            IReadOnlyList<string> licenses = [];
            if (pomXml.TryGetValue(directory, out var pomEntry)) licenses = PomLicenses(pomEntry, where);
            return new Found(string.IsNullOrEmpty(groupId) ? null : groupId, artifactId, version, licenses, metadata, []);
        }

        private IReadOnlyList<string> PomLicenses(ZipArchiveEntry entry, string where)
        {
            try
            {
                var bytes = budget.ReadSmall(entry, MaxPomEntryBytes, $"{where}: {entry.FullName}");
                using var stream = new MemoryStream(bytes, writable: false);
                return MavenPom.Parse(stream, $"{where}: {entry.FullName}", context.Budget.WithMaxBytes(MaxPomEntryBytes)).Licenses
                    .Select(l => l.Name ?? l.Url!).Distinct(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or LimitExceededException or IOException or NotSupportedException)
            {
                context.Warn(e.Message);
                return [];
            }
        }

        private static Found? FromManifest(JavaManifest? manifest, string fileName, string? nestedPath)
        {
            var (fileArtifact, fileVersion) = ArchiveFileName.Split(fileName);
            var name = fileVersion is not null
                ? fileArtifact
                : FirstWord(manifest?["Implementation-Title"], manifest?["Specification-Title"], manifest?["Extension-Name"]) ?? fileArtifact;
            var version = fileVersion ?? manifest?["Implementation-Version"] ?? manifest?["Bundle-Version"]
                ?? manifest?["Specification-Version"] ?? manifest?["Plugin-Version"];
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version)) return null;
            var metadata = new Dictionary<string, string> { ["source"] = manifest is null ? "file name" : "META-INF/MANIFEST.MF" };
            if (nestedPath is not null) metadata["nestedPath"] = nestedPath;
            foreach (var key in new[] { "Bundle-SymbolicName", "Implementation-Vendor", "Main-Class", "Created-By" })
                if (manifest?[key] is { } value) metadata[char.ToLowerInvariant(key[0]) + key[1..].Replace("-", "", StringComparison.Ordinal)] = value;
            // As Syft does: with no groupId to be found, the artifactId stands in (aopalliance:aopalliance).
            return new Found(manifest?.GroupId() ?? name, name, version, manifest?.Licenses() ?? [], metadata, []);
        }

        private static string? FirstWord(params string?[] values) =>
            values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v) && !v.Any(char.IsWhiteSpace));

        /// <summary>META-INF/maven/&lt;group&gt;/&lt;artifact&gt;/&lt;file&gt;, exactly.</summary>
        private static bool IsMavenMetadata(string name, string file) =>
            name.StartsWith("META-INF/maven/", StringComparison.Ordinal) && name.EndsWith("/" + file, StringComparison.Ordinal)
            && name.Count(c => c == '/') == 4;

        /// <summary>Java .properties lines: "key=value", "key: value" or "key value"; # and ! start comments.</summary>
        private static Dictionary<string, string> ParseProperties(string text)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] is '#' or '!') continue;
                var split = line.IndexOfAny(['=', ':', ' ', '\t']);
                if (split <= 0) continue;
                result.TryAdd(line[..split].TrimEnd(), line[(split + 1)..].TrimStart(' ', '\t', '=', ':').Trim());
            }
            return result;
        }
    }
}
