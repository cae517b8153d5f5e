using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Inventory.Catalogers;

/// <summary>
/// Reading package-manager JSON (lockfiles, deps files, package.json) defensively: bounded size and depth, and
/// accessors that treat a field of the wrong type as absent instead of throwing deep inside a cataloger.
/// </summary>
internal static class LockfileJson
{
    public static JsonDocument Parse(CatalogContext context, FileEntry entry)
    {
        var document = Shared.JsonFile.Parse(context, entry);
        var kind = document.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new FormatException($"{entry.Path}: expected a JSON object at the top level, found {kind}");
        }
        return document;
    }

    public static string? Str(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool Flag(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;

    public static JsonElement? Obj(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    /// <summary>The properties of an object-valued field; none when it is absent or not an object.</summary>
    public static IEnumerable<JsonProperty> Props(this JsonElement element, string property) =>
        element.Obj(property) is { } obj ? obj.EnumerateObject() : [];

    /// <summary>name → string value of an object-valued field ("dependencies": {"a": "^1.0.0"}); non-strings are skipped.</summary>
    public static IEnumerable<KeyValuePair<string, string>> StringMap(this JsonElement element, string property) =>
        element.Props(property)
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!));
}
