using Tomlyn.Model;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// uv.lock: every <c>[[package]]</c> but the project itself (source <c>editable</c> or <c>virtual</c>), the graph from
/// <c>dependencies</c> and <c>optional-dependencies</c>, and dev-only packages: those reachable from the projects'
/// <c>dev-dependencies</c> groups but not from their run-time dependencies.
/// </summary>
public sealed class UvLockCataloger : ICataloger
{
    public string Name => "python-uv-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "uv.lock";

    private sealed record Locked(TomlTable Table, string Name, string? Version, string? SourceKind, string? Source)
    {
        public bool IsProject => SourceKind is "editable" or "virtual";
    }

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var document = TomlFile.Parse(context, entry);
        var locked = new List<Locked>();
        foreach (var table in document.Tables("package"))
        {
            if (table.String("name") is not { Length: > 0 } name) throw new FormatException("uv.lock [[package]] without a name");
            var source = table.Table("source");
            var kind = source?.Keys.FirstOrDefault(k => k is "registry" or "editable" or "virtual" or "git" or "directory" or "path" or "url");
            locked.Add(new Locked(table, name, table.String("version"), kind, kind is null ? null : source![kind] as string));
        }

        var byName = locked.GroupBy(l => PythonNames.Normalize(l.Name)).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        Locked? Find(TomlTable dependency)
        {
            if (dependency.String("name") is not { } n || !byName.TryGetValue(PythonNames.Normalize(n), out var candidates)) return null;
            // Forked resolutions lock one name at several versions; the reference then names the version.
            var version = dependency.String("version");
            return version is null ? candidates[0] : candidates.FirstOrDefault(c => c.Version == version) ?? candidates[0];
        }
        IEnumerable<Locked> RunTime(Locked l) =>
            l.Table.Tables("dependencies")
                .Concat(l.Table.Table("optional-dependencies")?.Values.OfType<TomlArray>().SelectMany(a => a.OfType<TomlTable>()) ?? [])
                .Select(Find).Where(d => d is not null).Select(d => d!);
        IEnumerable<Locked> DevRoots(Locked l) =>
            (l.Table.Table("dev-dependencies")?.Values ?? []).OfType<TomlArray>().SelectMany(a => a.OfType<TomlTable>())
                .Select(Find).Where(d => d is not null).Select(d => d!);

        var projects = locked.Where(l => l.IsProject).ToList();
        var runTime = Reachable(projects.SelectMany(RunTime), RunTime);
        var dev = Reachable(projects.SelectMany(DevRoots), RunTime);

        var purls = locked.Where(l => !l.IsProject && l.Version is { Length: > 0 })
            .ToDictionary(l => l, l => PythonNames.Purl(l.Name, l.Version!));
        foreach (var (l, purl) in purls)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (l.SourceKind is not null) metadata["sourceType"] = l.SourceKind;
            if (l.Source is not null) metadata["source"] = l.Source;
            yield return new Package
            {
                Name = l.Name,
                Version = l.Version!,
                Ecosystem = Ecosystem.PyPI,
                Purl = purl,
                FoundBy = Name,
                Locations = [entry.Location],
                // With no project in the lock (a script lock), nothing can be told apart as dev-only.
                Dev = projects.Count > 0 && dev.Contains(l) && !runTime.Contains(l),
                DependsOn = RunTime(l).Where(purls.ContainsKey).Select(d => PackageId.For(purls[d], entry.Path)).Distinct().ToList(),
                Metadata = metadata,
            };
        }
    }

    private static HashSet<Locked> Reachable(IEnumerable<Locked> roots, Func<Locked, IEnumerable<Locked>> next)
    {
        var seen = new HashSet<Locked>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<Locked>(roots);
        while (pending.Count > 0)
        {
            var l = pending.Pop();
            if (!seen.Add(l)) continue;
            foreach (var d in next(l)) pending.Push(d);
        }
        return seen;
    }
}
