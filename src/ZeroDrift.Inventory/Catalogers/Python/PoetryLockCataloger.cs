using Tomlyn.Model;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// poetry.lock: every <c>[[package]]</c> with its version; dev-only packages from <c>category = "dev"</c> (Poetry
/// before 1.5) or <c>groups</c> without "main" (Poetry 2); the graph from <c>[package.dependencies]</c>.
/// </summary>
public sealed class PoetryLockCataloger : ICataloger
{
    public string Name => "python-poetry-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "poetry.lock";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var document = TomlFile.Parse(context, entry);
        var locked = new List<(TomlTable Table, string Name, string Version, PackageUrl Purl)>();
        foreach (var table in document.Tables("package"))
        {
            if (table.String("name") is not { Length: > 0 } name || table.String("version") is not { Length: > 0 } version)
                throw new FormatException("poetry.lock [[package]] without name or version");
            locked.Add((table, name, version, PythonNames.Purl(name, version)));
        }
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in locked) ids.TryAdd(PythonNames.Normalize(p.Name), PackageId.For(p.Purl, entry.Path));

        foreach (var (table, name, version, purl) in locked)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (table.String("category") is { } category) metadata["category"] = category;
            var groups = table.Strings("groups").ToList();
            if (groups.Count > 0) metadata["groups"] = string.Join(',', groups);
            if (table.TryGetValue("optional", out var optional) && optional is true) metadata["optional"] = "true";
            if (table.Table("source") is { } source)
            {
                if (source.String("type") is { } type) metadata["sourceType"] = type;
                if (source.String("url") is { } url) metadata["sourceUrl"] = url;
                if (source.String("resolved_reference") is { } reference) metadata["sourceReference"] = reference;
            }
            var dependencies = table.Table("dependencies")?.Keys ?? [];
            yield return new Package
            {
                Name = name,
                Version = version,
                Ecosystem = Ecosystem.PyPI,
                Purl = purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Dev = table.String("category") == "dev" || (groups.Count > 0 && !groups.Contains("main")),
                DependsOn = dependencies.Select(d => ids.GetValueOrDefault(PythonNames.Normalize(d))).Where(d => d is not null).Select(d => d!).Distinct().ToList(),
                Metadata = metadata,
            };
        }
    }
}
