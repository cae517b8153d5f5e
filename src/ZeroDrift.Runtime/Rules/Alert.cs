using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.Runtime.Rules;

/// <summary>
/// An alert in Falco's JSON shape, so that Falcosidekick and other consumers of Falco's <c>json_output</c> read it
/// unchanged: <c>hostname</c>, <c>output</c>, <c>output_fields</c>, <c>priority</c>, <c>rule</c>, <c>source</c>,
/// <c>tags</c>, <c>time</c>. <see cref="UnixTimeNanoseconds"/> is the event's time; output field values are strings,
/// numbers, booleans or null (the event had no value).
/// </summary>
public sealed record Alert(
    long UnixTimeNanoseconds,
    string Rule,
    Priority Priority,
    string Output,
    IReadOnlyDictionary<string, object?> OutputFields,
    string Source,
    IReadOnlyList<string> Tags,
    string Hostname)
{
    /// <summary>RFC 3339 UTC with nanoseconds, as Falco writes <c>time</c>: <c>2026-11-29T05:12:16.123456789Z</c>.</summary>
    public string Time
    {
        get
        {
            var seconds = Math.DivRem(UnixTimeNanoseconds, 1_000_000_000, out var nanos);
            if (nanos < 0) { seconds--; nanos += 1_000_000_000; }
            var t = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + nanos.ToString("D9", CultureInfo.InvariantCulture) + "Z";
        }
    }
}

/// <summary>
/// Writes alerts as Falco writes them with <c>json_output: true</c>: one JSON object per alert, keys in Falco's
/// order. <see cref="WriteFields"/> lets a caller add its own keys (ZeroDrift's deviation, mode, action, latency)
/// after Falco's, inside the same object.
/// </summary>
public static class AlertJsonWriter
{
    public static void Write(Utf8JsonWriter json, Alert alert, Action<Utf8JsonWriter>? extra = null)
    {
        json.WriteStartObject();
        WriteFields(json, alert);
        extra?.Invoke(json);
        json.WriteEndObject();
    }

    public static void WriteFields(Utf8JsonWriter json, Alert alert)
    {
        json.WriteString("hostname", alert.Hostname);
        json.WriteString("output", alert.Output);
        json.WriteStartObject("output_fields");
        json.WriteNumber("evt.time", alert.UnixTimeNanoseconds);
        foreach (var (key, value) in alert.OutputFields)
        {
            switch (value)
            {
                case null: json.WriteNull(key); break;
                case long l: json.WriteNumber(key, l); break;
                case int i: json.WriteNumber(key, i); break;
                case bool b: json.WriteBoolean(key, b); break;
                default: json.WriteString(key, value.ToString()); break;
            }
        }
        json.WriteEndObject();
        json.WriteString("priority", alert.Priority.ToString());
        json.WriteString("rule", alert.Rule);
        json.WriteString("source", alert.Source);
        json.WriteStartArray("tags");
        foreach (var tag in alert.Tags) json.WriteStringValue(tag);
        json.WriteEndArray();
        json.WriteString("time", alert.Time);
    }

    /// <summary>One alert as one line of JSON (JSON Lines), without a trailing newline.</summary>
    public static string ToJson(Alert alert)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
            Write(json, alert);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
