using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// Pipfile.lock (pipenv): the <c>default</c> and <c>develop</c> (dev) sections, each <c>name → {"version": "==1.2.3"}</c>.
/// VCS and path entries carry no version and are skipped. The file gives no dependency graph.
/// </summary>
public sealed class PipfileLockCataloger : ICataloger
{
    public string Name => "python-pipfile-lock";

    public bool FileRequired(FileEntry entry) => entry.Name == "Pipfile.lock";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        using var document = JsonFile.Parse(context, entry);
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("Pipfile.lock is not a JSON object");
        var packages = new List<Package>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (section, dev) in new[] { ("default", false), ("develop", true) })
        {
            if (document.RootElement.Property(section, JsonValueKind.Object) is not { } entries) continue;
            foreach (var dependency in entries.EnumerateObject())
            {
                // Locked versions are written "==1.2.3"; anything else ("*", a VCS entry's absent version) pins nothing.
                if (dependency.Value.String("version") is not { } pinned || !pinned.StartsWith("==", StringComparison.Ordinal)) continue;
                var version = pinned.TrimStart('=').Trim();
                if (version.Length == 0) continue;
                var purl = PythonNames.Purl(dependency.Name, version);
                // A package in both sections is a run-time one.
                if (!seen.Add(purl.ToString())) continue;
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (dependency.Value.String("markers") is { } markers) metadata["markers"] = markers;
                if (dependency.Value.String("index") is { } index) metadata["index"] = index;
                if (dependency.Value.Property("hashes", JsonValueKind.Array) is { } hashes)
                    metadata["hashes"] = string.Join(' ', hashes.EnumerateArray().Where(h => h.ValueKind == JsonValueKind.String).Select(h => h.GetString()));
                packages.Add(new Package
                {
                    Name = dependency.Name,
                    Version = version,
                    Ecosystem = Ecosystem.PyPI,
                    Purl = purl,
                    FoundBy = Name,
                    Locations = [entry.Location],
                    Dev = dev,
                    Metadata = metadata,
                });
            }
        }
        return packages;
    }
}
