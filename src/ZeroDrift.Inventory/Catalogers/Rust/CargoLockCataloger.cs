using Tomlyn.Model;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Rust;

/// <summary>
/// Cargo.lock, lock format v1 to v4: each <c>[[package]]</c> with a <c>source</c> (registry, git, sparse registry),
/// and the path dependencies. Cargo.lock writes no source for the workspace's own crates nor for path dependencies;
/// the Cargo.toml beside it tells them apart (its <c>[package]</c> and <c>[workspace] members</c>). Without it every
/// sourceless package is reported as a path dependency, as Trivy, Syft and osv-scalibr do: hiding them would hide
/// real code, while a workspace crate reported too is at worst a package no advisory names.
/// The graph comes from <c>dependencies</c>: "name", "name version" or "name version (source)" as the format gives it.
/// </summary>
public sealed class CargoLockCataloger : ICataloger
{
    public string Name => "rust-cargo-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "Cargo.lock";

    public bool AuxiliaryFileRequired(FileEntry entry) => entry.Name == "Cargo.toml";

    private const int MaxWorkspaceMembers = 10_000;

    /// <summary>
    /// pkg:cargo/name@version; a git source adds the purl's <c>vcs_url</c> qualifier, so that a fork locked beside the
    /// registry crate of the same version stays a distinct package.
    /// </summary>
    private static PackageUrl Purl(Locked l) =>
        PackageUrl.For(Ecosystem.Cargo, null, l.Name, l.Version,
            l.Source is { } source && source.StartsWith("git+", StringComparison.Ordinal) ? [new("vcs_url", source)] : null);

    private sealed record Locked(string Name, string Version, string? Source, string? Checksum, IReadOnlyList<string> Dependencies);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var document = TomlFile.Parse(context, entry);
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

        var workspace = locked.Any(l => l.Source is null) ? WorkspaceCrates(context, entry) : null;
        var reported = locked.Where(l => l.Source is not null || (workspace is not null && !workspace.Contains(l.Name)))
            .ToDictionary(l => l, Purl);
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
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (l.Source is null) metadata["sourceType"] = "path";
            else
            {
                metadata["source"] = l.Source;
                if (!l.Source.StartsWith("registry+", StringComparison.Ordinal) && !l.Source.StartsWith("sparse+", StringComparison.Ordinal))
                    metadata["sourceType"] = l.Source.Split('+', 2)[0];
            }
            if (l.Checksum is not null) metadata["checksum"] = l.Checksum;
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

    /// <summary>
    /// Names of the workspace's own crates: the root package and the <c>[workspace] members</c> (a trailing "*" segment
    /// expanded over one directory level); none without a Cargo.toml; null when a Cargo.toml names members that cannot
    /// be known, and every sourceless package is then taken for a workspace crate.
    /// </summary>
    private static HashSet<string>? WorkspaceCrates(CatalogContext context, FileEntry entry)
    {
        var directory = VirtualPath.Parent(entry.Path);
        try
        {
            var manifest = ReadManifest(context, VirtualPath.Combine(directory, "Cargo.toml"));
            if (manifest is null) return [];
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (manifest.Table("package")?.String("name") is { } root) names.Add(root);
            var members = manifest.Table("workspace")?.Strings("members").ToList() ?? [];
            foreach (var member in members)
            {
                var paths = member.EndsWith("/*", StringComparison.Ordinal)
                    ? context.FileSystem.List(VirtualPath.Combine(directory, member[..^2])).Where(c => c.Kind == FileKind.Directory).Select(c => c.Path).Take(MaxWorkspaceMembers)
                    : member.Contains('*', StringComparison.Ordinal) ? null : [VirtualPath.Combine(directory, member)];
                // A glob other than "dir/*" cannot be expanded here: play safe and report no path dependency.
                if (paths is null) return null;
                foreach (var path in paths)
                    if (ReadManifest(context, VirtualPath.Combine(path, "Cargo.toml"))?.Table("package")?.String("name") is { } name) names.Add(name);
            }
            return names;
        }
        catch (Exception e) when (e is FormatException or Artifacts.ArtifactException or IOException or InvalidOperationException)
        {
            context.Warn($"{entry.Path}: cannot tell workspace crates from path dependencies: {e.Message}");
            return null;
        }
    }

    private static TomlTable? ReadManifest(CatalogContext context, string path) =>
        context.FileSystem.ReadText(path, context.Limits.MaxFileBytes) is { } text ? TomlFile.Parse(text, path, context.Budget) : null;
}
