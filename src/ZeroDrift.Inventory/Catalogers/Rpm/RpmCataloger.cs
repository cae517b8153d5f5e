using System.Globalization;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Rpm;

/// <summary>
/// Red Hat, Fedora, CentOS Stream, Rocky, AlmaLinux, Amazon Linux 2023, openSUSE and Mariner packages from rpm's
/// SQLite database (<c>rpmdb.sqlite</c>, rpm ≥ 4.16): each row of its <c>Packages</c> table is one header blob.
/// The older Berkeley DB <c>Packages</c> and NDB <c>Packages.db</c> formats are not read; when one is present
/// without an SQLite database the scan says so.
/// </summary>
public sealed class RpmCataloger : ICataloger
{
    private static readonly string[] DatabaseDirectories = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];

    /// <summary>Damaged rows named one by one in warnings; the rest are counted in one line.</summary>
    private const int MaxDamagedWarnings = 20;

    public string Name => "rpm";

    public bool FileRequired(FileEntry entry) =>
        DatabaseDirectories.Any(d => entry.Path.StartsWith(d, StringComparison.Ordinal)
            && entry.Path.AsSpan(d.Length) is "rpmdb.sqlite" or "Packages" or "Packages.db");

    public bool AuxiliaryFileRequired(FileEntry entry) =>
        DatabaseDirectories.Any(d => entry.Path == d + "rpmdb.sqlite-wal");

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        if (!entry.Path.EndsWith("/rpmdb.sqlite", StringComparison.Ordinal))
        {
            WarnUnsupported(context, entry);
            return [];
        }
        return ReadSqlite(context, entry);
    }

    private static void WarnUnsupported(CatalogContext context, FileEntry entry)
    {
        var hasSqlite = DatabaseDirectories.Any(d => context.FileSystem.Resolve(d + "rpmdb.sqlite") is { Kind: FileKind.Regular or FileKind.Hardlink });
        if (hasSqlite) return;
        var format = entry.Path.EndsWith(".db", StringComparison.Ordinal) ? "NDB (Packages.db, SUSE)" : "Berkeley DB (Packages, RHEL/CentOS 8 and older, Amazon Linux 2)";
        context.Warn($"{entry.Path}: rpm database in the {format} format is not read; rpm packages of this target are not listed");
    }

    private IEnumerable<Package> ReadSqlite(CatalogContext context, FileEntry entry)
    {
        // The database may come out of an image layer as a stream, and it is attacker data: SQLite reads a private copy,
        // with everything in it that could run a query of the file's choosing refused.
        var records = new List<RpmRecord>();
        var damaged = 0;
        void Damaged(string warning)
        {
            // One damaged header does not hide the others; a database of nothing but damaged rows does not flood the report.
            if (++damaged <= MaxDamagedWarnings) context.Warn(warning);
        }
        using (var database = UntrustedSqlite.Open(context, entry))
        {
            database.RequirePlainTable("Packages", "hnum", "blob");
            database.ReadBlobs("Packages", "hnum", "blob", (row, blob, length) =>
            {
                var what = $"{entry.Path}: Packages row hnum={row}";
                if (blob is null)
                {
                    Damaged($"{what}: a header of {length} bytes, larger than the database file or the byte limit; skipped");
                    return;
                }
                try
                {
                    if (RpmRecord.From(RpmHeader.Parse(blob, what), what) is { } record) records.Add(record);
                }
                catch (FormatException e)
                {
                    Damaged(e.Message.StartsWith(what, StringComparison.Ordinal) ? e.Message : $"{what}: {e.Message}");
                }
            });
        }
        if (damaged > MaxDamagedWarnings)
            context.Warn($"{entry.Path}: {damaged - MaxDamagedWarnings} more damaged Packages rows skipped ({damaged} in all)");
        return ToPackages(context, entry, records);
    }

    private IEnumerable<Package> ToPackages(CatalogContext context, FileEntry entry, List<RpmRecord> records)
    {
        var distro = context.Distro;
        var ns = distro?.Id ?? "redhat";
        var purls = records.Select(r => Purl(r, ns, distro)).ToList();
        var ids = purls.Select(p => PackageId.For(p, entry.Path)).ToList();

        // Capabilities: package names, then provides, then owned files (a Requires of "/bin/sh" names a file).
        var providers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++) providers.TryAdd(records[i].Name, ids[i]);
        for (var i = 0; i < records.Count; i++)
            foreach (var provided in records[i].Provides) providers.TryAdd(provided, ids[i]);
        for (var i = 0; i < records.Count; i++)
            foreach (var file in records[i].Files) providers.TryAdd(file, ids[i]);

        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var depends = new List<string>();
            foreach (var required in r.Requires)
            {
                if (required.StartsWith("rpmlib(", StringComparison.Ordinal)) continue;
                if (providers.TryGetValue(required, out var id) && id != ids[i] && !depends.Contains(id)) depends.Add(id);
            }
            var metadata = new Dictionary<string, string> { ["release"] = r.Release };
            if (r.Epoch is { } epoch) metadata["epoch"] = epoch.ToString(CultureInfo.InvariantCulture);
            if (r.SourceRpm is not null) metadata["sourceRpm"] = r.SourceRpm;
            if (r.Vendor is not null) metadata["vendor"] = r.Vendor;
            if (r.Size is { } size) metadata["size"] = size.ToString(CultureInfo.InvariantCulture);
            if (r.ModularityLabel is not null) metadata["modularityLabel"] = r.ModularityLabel;
            yield return new Package
            {
                Name = r.Name,
                Version = r.Epoch is { } e ? $"{e}:{r.Version}-{r.Release}" : $"{r.Version}-{r.Release}",
                Ecosystem = Ecosystem.Rpm,
                Purl = purls[i],
                FoundBy = Name,
                Locations = [entry.Location],
                Arch = r.Arch,
                SourceName = r.SourceName,
                SourceVersion = r.SourceVersion,
                Licenses = string.IsNullOrWhiteSpace(r.License) ? [] : [r.License.Trim()],
                Files = r.Files,
                DependsOn = depends,
                Metadata = metadata,
            };
        }
    }

    private static PackageUrl Purl(RpmRecord r, string ns, Distro? distro)
    {
        var qualifiers = new List<KeyValuePair<string, string>>();
        if (r.Arch is not null) qualifiers.Add(new("arch", r.Arch));
        if (r.Epoch is { } epoch) qualifiers.Add(new("epoch", epoch.ToString(CultureInfo.InvariantCulture)));
        if (distro is not null) qualifiers.Add(new("distro", distro.VersionId is null ? distro.Id : $"{distro.Id}-{distro.VersionId}"));
        // As Syft does: the source RPM's file name.
        if (r.SourceRpm is not null) qualifiers.Add(new("upstream", r.SourceRpm));
        return PackageUrl.For(Ecosystem.Rpm, ns, r.Name, $"{r.Version}-{r.Release}", qualifiers);
    }
}
