using System.Globalization;
using System.Text.Json;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Typed reads from attacker-controlled Sigstore JSON (bundles, trusted roots, Rekor bodies): every wrong type,
/// missing field or bad base64 becomes one <see cref="SupplyException"/> naming the field, never a stack trace.
/// </summary>
internal static class SigstoreJson
{
    /// <summary>Deep enough for every Sigstore document (a bundle nests 7 levels), shallow enough to refuse bombs.</summary>
    public const int MaxDepth = 32;

    public static JsonDocument Parse(ReadOnlyMemory<byte> bytes, string what)
    {
        try
        {
            var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new SupplyException($"{what} is not a JSON object");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw new SupplyException($"{what} is malformed JSON ({FirstLine(e.Message)})", e);
        }
    }

    public static JsonElement? Object(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object) throw new SupplyException($"{what}: '{name}' must be an object");
        return value;
    }

    public static JsonElement RequiredObject(JsonElement parent, string name, string what) =>
        Object(parent, name, what) ?? throw new SupplyException($"{what}: '{name}' is missing");

    public static IReadOnlyList<JsonElement> Array(JsonElement parent, string name, string what, int max)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array) throw new SupplyException($"{what}: '{name}' must be an array");
        var length = value.GetArrayLength();
        if (length > max) throw new SupplyException($"{what}: '{name}' has {length} items, more than the {max} accepted");
        return value.EnumerateArray().ToList();
    }

    public static string? String(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new SupplyException($"{what}: '{name}' must be a string");
        return value.GetString();
    }

    public static string RequiredString(JsonElement parent, string name, string what) =>
        String(parent, name, what) ?? throw new SupplyException($"{what}: '{name}' is missing");

    public static byte[] RequiredBase64(JsonElement parent, string name, string what) =>
        Base64(RequiredString(parent, name, what), $"{what}: '{name}'");

    public static byte[]? OptionalBase64(JsonElement parent, string name, string what) =>
        String(parent, name, what) is { } s ? Base64(s, $"{what}: '{name}'") : null;

    public static byte[] Base64(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new SupplyException($"{what} is not valid base64", e);
        }
    }

    /// <summary>protobuf-JSON int64: a decimal string (or a number); absent means 0, as protobuf's default.</summary>
    public static long Int64(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return 0;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n)) return n;
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        throw new SupplyException($"{what}: '{name}' must be a 64-bit integer");
    }

    public static DateTimeOffset? Time(JsonElement parent, string name, string what)
    {
        if (String(parent, name, what) is not { } text) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
        throw new SupplyException($"{what}: '{name}' is not an RFC 3339 time");
    }

    private static string FirstLine(string message) => message.Split('\n')[0];
}
