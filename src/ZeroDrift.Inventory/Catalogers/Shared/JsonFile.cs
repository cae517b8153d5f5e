using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Parsing.Json;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>JSON package files parsed straight from their stream within the scan's budget (size from stat first, then
/// bytes, nesting and time as it is read).</summary>
internal static class JsonFile
{
    public static JsonDocument Parse(CatalogContext context, FileEntry entry)
    {
        using var stream = context.Open(entry);
        return SafeJson.Parse(stream, context.Budget, entry.Path);
    }

    public static string? String(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static JsonElement? Property(this JsonElement element, string property, JsonValueKind kind) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == kind ? v : null;
}
