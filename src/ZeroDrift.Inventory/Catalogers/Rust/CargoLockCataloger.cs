using Tomlyn.Model;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Rust;

/// <summary>
/// Cargo.lock, lock format v1 to v4: each <c>[[package]]</c> with a <c>source</c> (registry, git, sparse registry).
/// Packages without one are the workspace's own crates (members and path dependencies) and are not reported.
/// The graph comes from <c>dependencies</c>: "name", "name version" or "name version (source)" as the format gives it.
/// </summary>
public sealed class CargoLockCataloger : ICataloger
{
    public string Name => "rust-cargo-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "Cargo.lock";

    private sealed record Locked(string Name, string Version, string? Source, string? Checksum, IReadOnlyList<string> Dependencies);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var document = TomlFile.Parse(context.ReadText(entry), entry.Path, context.Limits.MaxNesting);
        // v1 keeps checksums in [metadata] as "checksum NAME VERSION (SOURCE)" = "HASH".
        var v1Checksums = document.Table("metadata") is { } meta
            ? meta.Where(kv => kv.Key.StartsWith("checksum ", StringComparison.Ordinal) && kv.Value is string).ToDictionary(kv => kv.Key["checksum ".Length..], kv => (string)kv.Value, StringComparer.Ordinal)
            : [];
        var locked = new List<Locked>();
        foreach (var table in document.Tables("package"))
        {
            if (table.String("name") is not { Length: > 0 } name || table.String("version") is not { Length: > 0 } version)
                throw new FormatException("Cargo.lock [[package]] without name or version");
            var source = table.String("source");
            var checksum = table.String("checksum") ?? (source is null ? null : v1Checksums.GetValueOrDefault($"{name} {version} ({source})"));
            locked.Add(new Locked(name, version, source, checksum, table.Strings("dependencies").ToList()));
        }

        var reported = locked.Where(l => l.Source is not null).ToDictionary(l => l, l => PackageUrl.For(Ecosystem.Cargo, null, l.Name, l.Version));
        var byName = locked.GroupBy(l => l.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        Locked? Resolve(string reference)
        {
            var parts = reference.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || !byName.TryGetValue(parts[0], out var candidates)) return null;
            IEnumerable<Locked> matches = candidates;
            if (parts.Length >= 2) matches = matches.Where(c => c.Version == parts[1]);
            if (parts.Length == 3) matches = matches.Where(c => c.Source == parts[2].Trim('(', ')'));
            return matches.FirstOrDefault();
        }

        foreach (var (l, purl) in reported)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["source"] = l.Source! };
            if (l.Checksum is not null) metadata["checksum"] = l.Checksum;
            if (!l.Source!.StartsWith("registry+", StringComparison.Ordinal) && !l.Source.StartsWith("sparse+", StringComparison.Ordinal))
                metadata["sourceType"] = l.Source.Split('+', 2)[0];
            yield return new Package
            {
                Name = l.Name,
                Version = l.Version,
                Ecosystem = Ecosystem.Cargo,
                Purl = purl,
                FoundBy = Name,
                Locations = [entry.Location],
                DependsOn = l.Dependencies.Select(Resolve).Where(d => d is not null && reported.ContainsKey(d)).Select(d => PackageId.For(reported[d!], entry.Path)).Distinct().ToList(),
                Metadata = metadata,
            };
        }
    }
}
