using System.Text.Json;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>What the npm-family catalogers share: purls, name parsing, licences, and merging duplicates.</summary>
internal static class NpmPackages
{
    /// <summary>pkg:npm/%40scope/name@version: the scope (with its "@") is the namespace.</summary>
    public static PackageUrl Purl(string name, string version)
    {
        var slash = name.StartsWith('@') ? name.IndexOf('/') : -1;
        return slash > 0
            ? PackageUrl.For(Ecosystem.Npm, name[..slash], name[(slash + 1)..], version)
            : PackageUrl.For(Ecosystem.Npm, null, name, version);
    }

    /// <summary>True for a plausible npm package name ("name" or "@scope/name"), so a malformed key is not reported as a package.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 214 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return false;
        if (!name.StartsWith('@')) return !name.Contains('/');
        var slash = name.IndexOf('/');
        return slash > 1 && slash < name.Length - 1 && name.IndexOf('/', slash + 1) < 0;
    }

    /// <summary>Splits "name@range" or "@scope/name@range" at the "@" that ends the name; null when there is none.</summary>
    public static (string Name, string Tail)? SplitSpec(string spec)
    {
        var at = spec.IndexOf('@', spec.StartsWith('@') ? 1 : 0);
        return at <= 0 ? null : (spec[..at], spec[(at + 1)..]);
    }

    /// <summary>"npm:real-name@1.2.3" (an alias) → ("real-name", "1.2.3"); null for anything else.</summary>
    public static (string Name, string Version)? ParseAlias(string value)
    {
        if (!value.StartsWith("npm:", StringComparison.Ordinal)) return null;
        return SplitSpec(value[4..]) is { } split ? (split.Name, split.Tail) : null;
    }

    /// <summary>package.json / lockfile licence forms: "MIT", {"type": "MIT"}, [{"type": …}, "ISC"], and the legacy "licenses" array.</summary>
    public static IReadOnlyList<string> Licenses(JsonElement package)
    {
        var found = new List<string>();
        foreach (var field in new[] { "license", "licenses" })
        {
            if (package.ValueKind != JsonValueKind.Object || !package.TryGetProperty(field, out var value)) continue;
            if (value.ValueKind == JsonValueKind.Array)
                foreach (var item in value.EnumerateArray()) Add(item);
            else
                Add(value);
        }
        return found.Distinct(StringComparer.Ordinal).ToList();

        void Add(JsonElement value)
        {
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object => value.Str("type") ?? value.Str("name"),
                _ => null,
            };
            if (!string.IsNullOrWhiteSpace(text)) found.Add(text.Trim());
        }
    }
}
