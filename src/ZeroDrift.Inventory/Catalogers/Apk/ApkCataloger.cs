using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Apk;

/// <summary>
/// Alpine (and Wolfi, Chainguard, postmarketOS) packages from apk's database <c>/lib/apk/db/installed</c>, with
/// their installed files and the dependency graph from D: resolved against package names and p: provides
/// (<c>so:</c> libraries, <c>cmd:</c> commands, <c>pc:</c> pkg-config files).
/// </summary>
public sealed class ApkCataloger : ICataloger
{
    private const string InstalledDb = "/lib/apk/db/installed";

    public string Name => "apk";

    public bool FileRequired(FileEntry entry) => entry.Path == InstalledDb;

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var reader = new StringReader(context.ReadText(entry));
        var records = ApkInstalledDb.Parse(reader, context.Warn, entry.Path);
        var distro = context.Distro;
        var ns = distro?.Id ?? "alpine";
        var purls = records.Select(r => Purl(r, ns, distro)).ToList();
        var ids = purls.Select(p => PackageId.For(p, entry.Path)).ToList();

        // Package names first, then provides: a real package named "foo" wins over another package providing "foo".
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++) byName.TryAdd(records[i].Name, ids[i]);
        for (var i = 0; i < records.Count; i++)
            foreach (var provided in records[i].Provides)
                if (ApkInstalledDb.RelationName(provided) is { } name) byName.TryAdd(name, ids[i]);

        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var unresolved = new List<string>();
            var depends = new List<string>();
            foreach (var d in r.Depends)
            {
                if (ApkInstalledDb.RelationName(d) is not { } name) continue;
                if (byName.TryGetValue(name, out var id)) { if (id != ids[i] && !depends.Contains(id)) depends.Add(id); }
                else unresolved.Add(name);
            }
            var metadata = new Dictionary<string, string>();
            Put(metadata, "origin", r.Origin);
            Put(metadata, "maintainer", r.Maintainer);
            Put(metadata, "buildTime", r.BuildTime);
            Put(metadata, "commit", r.Commit);
            Put(metadata, "url", r.Url);
            Put(metadata, "description", r.Description);
            Put(metadata, "size", r.Size);
            Put(metadata, "installedSize", r.InstalledSize);
            if (r.Provides.Count > 0) metadata["provides"] = string.Join(' ', r.Provides);
            if (unresolved.Count > 0) metadata["unresolvedDepends"] = string.Join(' ', unresolved);
            yield return new Package
            {
                Name = r.Name,
                Version = r.Version,
                Ecosystem = Ecosystem.Apk,
                Purl = purls[i],
                FoundBy = Name,
                Locations = [entry.Location],
                Arch = r.Arch,
                SourceName = r.Origin,
                SourceVersion = r.Origin is null ? null : r.Version,
                Licenses = string.IsNullOrWhiteSpace(r.License) ? [] : [r.License.Trim()],
                Files = r.Files,
                DependsOn = depends,
                Metadata = metadata,
            };
        }
    }

    private static PackageUrl Purl(ApkRecord r, string ns, Distro? distro)
    {
        var qualifiers = new List<KeyValuePair<string, string>>();
        if (r.Arch is not null) qualifiers.Add(new("arch", r.Arch));
        if (distro is not null) qualifiers.Add(new("distro", distro.VersionId is null ? distro.Id : $"{distro.Id}-{distro.VersionId}"));
        // As Syft does: the origin (source package) when it differs from the binary package's name.
        if (r.Origin is not null && r.Origin != r.Name) qualifiers.Add(new("upstream", r.Origin));
        return PackageUrl.For(Ecosystem.Apk, ns, r.Name, r.Version, qualifiers);
    }

    private static void Put(Dictionary<string, string> metadata, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) metadata[key] = value;
    }
}
