using System.Text.Json;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// The plugins' ways of reading a JSON document: keys followed from an object, arrays expanded on the way (the k8saudit
/// plugin's getValuesRecursive), JSON pointers (the json plugin's <c>json.value[/a/b/0]</c>), and a value as the
/// plugins print it: a string as itself, anything else as its JSON text.
/// </summary>
public static class JsonValues
{
    /// <summary>The value at <paramref name="keys"/> below <paramref name="start"/>, or null when a key is missing or a step is not an object.</summary>
    public static JsonElement? Get(JsonElement start, params ReadOnlySpan<string> keys)
    {
        var current = start;
        foreach (var key in keys)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(key, out current)) return null;
        }
        return current;
    }

    /// <summary>A string value, or null when absent or not a string (the cloudtrail plugin's GetStringBytes).</summary>
    public static string? GetString(JsonElement start, params ReadOnlySpan<string> keys) =>
        Get(start, keys) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    /// <summary>A value as the k8saudit plugin prints it (jsonValueAsString): strings as themselves, others as JSON text.</summary>
    public static string? AsText(JsonElement? value) => value switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Undefined } => null,
        { } v => Compact(v),
    };

    /// <summary>JSON text without insignificant whitespace (what fastjson's MarshalTo writes).</summary>
    public static string Compact(JsonElement value)
    {
        if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) return value.GetRawText();
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) value.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Every value reached by following <paramref name="keys"/>, expanding each array met on the way into its elements
    /// (or only element <paramref name="index"/> when it is not negative). A branch that ends early below an array adds an undefined value; null
    /// when the first array or key on the way is missing (the plugin's "not available").
    /// </summary>
    public static List<JsonElement>? Collect(JsonElement start, int index, params string[] keys)
    {
        var found = new List<JsonElement>();
        return Walk(start, index, keys, 0, found, top: true) ? found : null;
    }

    private static bool Walk(JsonElement current, int index, string[] keys, int from, List<JsonElement> found, bool top)
    {
        for (var i = from; i < keys.Length; i++)
        {
            if (current.ValueKind == JsonValueKind.Array)
            {
                if (index < 0)
                {
                    foreach (var element in current.EnumerateArray()) Walk(element, index, keys, i, found, top: false);
                    return true;
                }
                if (index >= current.GetArrayLength()) return Missing(found, top);
                current = current[index];
            }
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(keys[i], out current)) return Missing(found, top);
        }
        found.Add(current);
        return true;
    }

    /// <summary>A branch below an expanded array that ends early is kept as an undefined value (the plugin's nil).</summary>
    private static bool Missing(List<JsonElement> found, bool top)
    {
        if (top) return false;
        found.Add(default);
        return true;
    }

    /// <summary>Each value as text (<see cref="AsText"/>), skipping nulls.</summary>
    public static IReadOnlyList<string> Texts(List<JsonElement>? values)
    {
        if (values is null) return [];
        var texts = new List<string>(values.Count);
        foreach (var v in values)
            if (AsText(v) is { } text) texts.Add(text);
        return texts;
    }
}
