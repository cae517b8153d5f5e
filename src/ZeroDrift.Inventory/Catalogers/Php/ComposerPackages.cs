using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Php;

/// <summary>
/// The package objects composer.lock and vendor/composer/installed.json share: name "vendor/project", version as
/// written (a leading "v" kept), licence array, and <c>require</c> for the graph. Requirements on the platform
/// (php, ext-*, lib-*, composer-*) name no package; virtual packages (psr/log-implementation) resolve to the
/// packages that provide or replace them.
/// </summary>
internal static class ComposerPackages
{
    public sealed record Entry(JsonElement Json, string Name, string Version, bool Dev);

    public static PackageUrl Purl(string name, string version)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            ? PackageUrl.For(Ecosystem.Packagist, name[..slash], name[(slash + 1)..], version)
            : PackageUrl.For(Ecosystem.Packagist, null, name, version);
    }

    public static Entry Read(JsonElement json, bool dev, string what)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new FormatException($"{what}: a package is not a JSON object");
        if (json.String("name") is not { Length: > 0 } name || json.String("version") is not { Length: > 0 } version)
            throw new FormatException($"{what}: a package without name or version");
        return new Entry(json, name, version, dev);
    }

    public static IEnumerable<Package> ToPackages(IReadOnlyList<Entry> entries, FileEntry file, string foundBy)
    {
        var purls = entries.Select(e => Purl(e.Name, e.Version)).ToList();
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < entries.Count; i++) ids.TryAdd(entries[i].Name, PackageId.For(purls[i], file.Path));
        for (var i = 0; i < entries.Count; i++)
            foreach (var virtualName in Keys(entries[i].Json, "provide").Concat(Keys(entries[i].Json, "replace")))
                ids.TryAdd(virtualName, PackageId.For(purls[i], file.Path));

        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (e.Json.String("type") is { } type) metadata["type"] = type;
            if (e.Json.String("description") is { Length: > 0 } description) metadata["description"] = description;
            if (e.Json.String("homepage") is { Length: > 0 } homepage) metadata["homepage"] = homepage;
            foreach (var origin in new[] { "source", "dist" })
                if (e.Json.Property(origin, JsonValueKind.Object) is { } o)
                {
                    if (o.String("type") is { } t) metadata[origin + "Type"] = t;
                    if (o.String("url") is { } u) metadata[origin + "Url"] = u;
                    if (o.String("reference") is { } r) metadata[origin + "Reference"] = r;
                }
            if (e.Json.String("install-path") is { } installPath) metadata["installPath"] = installPath;
            var licenses = e.Json.Property("license", JsonValueKind.Array) is { } array
                ? array.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!).ToList()
                : e.Json.String("license") is { Length: > 0 } single ? [single] : [];
            var self = PackageId.For(purls[i], file.Path);
            yield return new Package
            {
                Name = e.Name,
                Version = e.Version,
                Ecosystem = Ecosystem.Packagist,
                Purl = purls[i],
                FoundBy = foundBy,
                Locations = [file.Location],
                Licenses = licenses,
                Dev = e.Dev,
                DependsOn = Keys(e.Json, "require").Where(r => !IsPlatform(r)).Select(r => ids.GetValueOrDefault(r))
                    .Where(id => id is not null && id != self).Select(id => id!).Distinct().ToList(),
                Metadata = metadata,
            };
        }
    }

    private static IEnumerable<string> Keys(JsonElement json, string property) =>
        json.Property(property, JsonValueKind.Object)?.EnumerateObject().Select(p => p.Name) ?? [];

    /// <summary>php, php-64bit, hhvm, ext-json, lib-icu, composer-plugin-api…: the platform, not packages.</summary>
    private static bool IsPlatform(string name) =>
        !name.Contains('/', StringComparison.Ordinal)
        && (name is "php" or "hhvm" or "composer" || name.StartsWith("php-", StringComparison.Ordinal) || name.StartsWith("ext-", StringComparison.Ordinal)
            || name.StartsWith("lib-", StringComparison.Ordinal) || name.StartsWith("composer-", StringComparison.Ordinal));
}
