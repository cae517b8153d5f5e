using System.Text.Json;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>JSON lockfiles parsed with the scan's nesting bound.</summary>
internal static class JsonFile
{
    public static JsonDocument Parse(string text, int maxDepth) =>
        JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = maxDepth, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });

    public static string? String(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static JsonElement? Property(this JsonElement element, string property, JsonValueKind kind) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == kind ? v : null;
}
