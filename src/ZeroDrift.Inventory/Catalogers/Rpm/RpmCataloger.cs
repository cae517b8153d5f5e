using System.Globalization;
using Microsoft.Data.Sqlite;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Temp;
using ZeroDrift.Core;

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
        var rows = new List<(long Row, byte[] Blob)>();
        // The database may come out of an image layer as a stream: SQLite needs a file, so it gets a private copy.
        using (var temp = new PrivateTempDirectory("rpmdb"))
        {
            var copy = Path.Combine(temp.Path, "rpmdb.sqlite");
            using (var source = context.Open(entry))
                CopyBounded(source, copy, context.Limits.MaxFileBytes, entry.Path);
            if (context.FileSystem.Lstat(entry.Path + "-wal") is { Kind: FileKind.Regular, Size: > 0 } wal)
                using (var source = context.Open(wal))
                    CopyBounded(source, copy + "-wal", context.Limits.MaxFileBytes, wal.Path);

            var builder = new SqliteConnectionStringBuilder { DataSource = copy, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
            try
            {
                using var connection = new SqliteConnection(builder.ToString());
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT hnum, blob FROM Packages ORDER BY hnum";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (rows.Count >= context.Limits.MaxEntries)
                        throw new Artifacts.LimitExceededException($"{entry.Path}: more than {context.Limits.MaxEntries} packages");
                    rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? [] : reader.GetFieldValue<byte[]>(1)));
                }
            }
            catch (SqliteException e)
            {
                throw new InvalidDataException($"{entry.Path}: not a readable rpm SQLite database: {e.Message.Split('\n')[0]}", e);
            }
        }

        var records = new List<RpmRecord>();
        foreach (var (row, blob) in rows)
        {
            RpmRecord? record;
            var what = $"{entry.Path}: Packages row hnum={row}";
            try
            {
                record = RpmRecord.From(RpmHeader.Parse(blob, what), what);
            }
            catch (FormatException e)
            {
                // One damaged header does not hide the others.
                context.Warn(e.Message.StartsWith(what, StringComparison.Ordinal) ? e.Message : $"{what}: {e.Message}");
                continue;
            }
            if (record is not null) records.Add(record);
        }
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

    private static void CopyBounded(Stream source, string destination, long maxBytes, string what)
    {
        using var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += read;
            if (total > maxBytes)
                throw new Artifacts.LimitExceededException($"{what}: larger than the {maxBytes} byte limit for a parsed file");
            target.Write(buffer, 0, read);
        }
    }
}
