using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// The json plugin's fields, which Falco's audit rule files use next to the source plugins' own: <c>json.value[PTR]</c>
/// and its older name <c>jevt.value[PTR]</c> (the value at a JSON pointer, strings as themselves, anything else as JSON
/// text), <c>json.obj</c>/<c>jevt.obj</c> (the whole event) and <c>json.rawtime</c>/<c>jevt.rawtime</c> (the event's
/// time in nanoseconds), plus libsinsp's <c>evt.num</c>, <c>evt.time</c> and <c>evt.time.iso8601</c>.
/// </summary>
public static class JsonFields
{
    private static readonly ConcurrentDictionary<string, string[]?> Pointers = new(StringComparer.Ordinal);

    public static FieldTable<TEvent> AddTo<TEvent>(FieldTable<TEvent> table, Func<TEvent, JsonElement> root, Func<TEvent, string> json, Func<TEvent, long> number, Func<TEvent, long> timeNs)
    {
        foreach (var prefix in new[] { "json", "jevt" })
        {
            table.AddKeyed($"{prefix}.value", (e, pointer) => JsonValues.AsText(Pointer(root(e), pointer)), description: "the value at a JSON pointer (json plugin)");
            table.Add($"{prefix}.obj", e => json(e), "the whole event as JSON (json plugin)");
            table.Add($"{prefix}.rawtime", e => (long?)timeNs(e), "the event's time in nanoseconds (json plugin)");
        }
        table.Add("evt.num", e => (long?)number(e), "the event's position in its input, from 1");
        table.Add("evt.time", e => (long?)timeNs(e), "the event's time in nanoseconds");
        table.Add("evt.rawtime", e => (long?)timeNs(e), "the event's time in nanoseconds");
        table.Add("evt.time.iso8601", e => Iso8601(timeNs(e)), "the event's time, ISO 8601 UTC");
        return table;
    }

    /// <summary>The json plugin's value at a pointer, for a table that answers some pointers itself.</summary>
    public static Func<TEvent, string, string?> PointerText<TEvent>(Func<TEvent, JsonElement> root) => (e, pointer) => JsonValues.AsText(Pointer(root(e), pointer));

    public static string Iso8601(long ns)
    {
        var seconds = Math.DivRem(ns, 1_000_000_000, out var rest);
        return DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + rest.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>A JSON pointer, its tokens parsed once per distinct pointer (rules ask the same few on every event).</summary>
    private static JsonElement? Pointer(JsonElement root, string pointer)
    {
        var tokens = Pointers.GetOrAdd(pointer, Parse);
        if (tokens is null) return null;
        var current = root;
        foreach (var token in tokens)
        {
            switch (current.ValueKind)
            {
                case JsonValueKind.Object:
                    if (!current.TryGetProperty(token, out current)) return null;
                    break;
                case JsonValueKind.Array:
                    if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || (token.Length > 1 && token[0] == '0') || i >= current.GetArrayLength()) return null;
                    current = current[i];
                    break;
                default:
                    return null;
            }
        }
        return current;
    }

    private static string[]? Parse(string pointer)
    {
        if (pointer.Length == 0) return [];
        if (pointer[0] != '/') return null;
        return [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }
}
