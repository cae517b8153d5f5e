using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ZeroDrift.Server.Client;

/// <summary>A line of an agent batch that is not a record this side reads; the message is the reason, one line.</summary>
public sealed class AgentRecordException(string message) : Exception(message);

/// <summary>
/// <see cref="AgentRecord"/>s to NDJSON and back: what the agent writes into a batch (HTTP or NATS) and the server
/// reads out of it, through the same generated JSON code. Reading refuses, with the reason, a line that is not JSON,
/// not an object, of an unknown type or a newer version, or that lacks or mistypes a field.
/// </summary>
public static class AgentRecordCodec
{
    public const int MaxDepth = 32;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // NDJSON for the server, not HTML: '+' and '<' need no escaping (times are full of '+').
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>One NDJSON body, straight to UTF-8 (no intermediate strings: the agent's CPU belongs to the workloads it watches).</summary>
    public static byte[] ToNdjson(IReadOnlyCollection<AgentRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, records.Count * 256));
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        foreach (var record in records)
        {
            JsonSerializer.Serialize(writer, record, AgentRecordJson.Default.AgentRecord);
            writer.Flush();
            buffer.Write("\n"u8);
            writer.Reset();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One record as its JSON line (without the newline).</summary>
    public static string ToJson(AgentRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            JsonSerializer.Serialize(writer, record, AgentRecordJson.Default.AgentRecord);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The record one NDJSON line holds.</summary>
    /// <exception cref="AgentRecordException">Why the line is not a record this side reads.</exception>
    public static AgentRecord Read(ReadOnlySpan<byte> line)
    {
        // A line as this codec writes it names its type and version first: nothing to look for. Anything else is read
        // twice, the envelope first.
        var (type, version) = WrittenByUs(line, out var known) ? known : Envelope(line);
        CheckVersion(version);
        var info = type switch
        {
            RecordType.Host => (JsonTypeInfo)AgentRecordJson.Default.HostRecord,
            RecordType.Container => AgentRecordJson.Default.ContainerRecord,
            RecordType.Event => AgentRecordJson.Default.EventRecord,
            RecordType.Alert => AgentRecordJson.Default.AlertRecord,
            RecordType.Profile => AgentRecordJson.Default.ProfileRecord,
            _ => throw new AgentRecordException($"\"type\" must be {string.Join(", ", TypeNames[..^1])} or {TypeNames[^1]}"),
        };
        AgentRecord record;
        try
        {
            record = (AgentRecord)JsonSerializer.Deserialize(line, info)!;
        }
        catch (JsonException e)
        {
            Envelope(line); // broken JSON is said as such, not as the field the serializer stopped at
            throw new AgentRecordException(Explain(e, info, TypeNames[(int)type], line));
        }
        CheckVersion(record.Version); // a second "v" further on
        return record.Problem() is { } problem ? throw new AgentRecordException(problem) : record;
    }

    private static void CheckVersion(int version)
    {
        if (version > AgentRecord.CurrentVersion)
            throw new AgentRecordException($"record version {version} is newer than this server reads (up to {AgentRecord.CurrentVersion}): upgrade the server");
    }

    /// <summary>The type and version of a line that starts as <see cref="ToNdjson"/> writes one: <c>{"type":"event","v":1,</c>.</summary>
    private static bool WrittenByUs(ReadOnlySpan<byte> line, out (RecordType Type, int Version) envelope)
    {
        envelope = default;
        if (!line.StartsWith("{\"type\":\""u8)) return false;
        var rest = line[9..];
        var quote = rest.IndexOfAny((byte)'"', (byte)'\\');
        if (quote <= 0 || rest[quote] != (byte)'"') return false;
        var type = -1;
        for (var i = 0; i < TypeUtf8.Length && type < 0; i++)
            if (rest[..quote].SequenceEqual(TypeUtf8[i])) type = i;
        rest = rest[(quote + 1)..];
        if (type < 0 || !rest.StartsWith(",\"v\":"u8)) return false;
        rest = rest[5..];
        if (!System.Buffers.Text.Utf8Parser.TryParse(rest, out int version, out var digits) || version < 1 || digits >= rest.Length || rest[digits] is not ((byte)',' or (byte)'}'))
            return false;
        envelope = ((RecordType)type, version);
        return true;
    }

    private enum RecordType { Host, Container, Event, Alert, Profile, Unknown }

    private static readonly string[] TypeNames = ["host", "container", "event", "alert", "profile"];
    private static readonly byte[][] TypeUtf8 = [.. TypeNames.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>The record's <c>type</c> and <c>v</c>, read before its body: a newer version is refused as such, not for a field it renamed.</summary>
    private static (RecordType Type, int Version) Envelope(ReadOnlySpan<byte> line)
    {
        var type = RecordType.Unknown;
        var version = 1;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new AgentRecordException("a record must be a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? TypeOf(ref reader) : RecordType.Unknown;
                }
                else if (reader.ValueTextEquals("v"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out version) || version < 1)
                        throw new AgentRecordException("\"v\" must be a positive integer (the record's version)");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            while (reader.Read()) { } // anything after the object is an error the reader raises
        }
        catch (JsonException e)
        {
            throw new AgentRecordException($"not valid JSON: {e.Message}");
        }
        return (type, version);
    }

    private static RecordType TypeOf(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < TypeNames.Length; i++)
            if (reader.ValueTextEquals(TypeNames[i])) return (RecordType)i;
        return RecordType.Unknown;
    }

    /// <summary>The serializer's refusal as the field and what it must be, from the types themselves.</summary>
    private static string Explain(JsonException e, JsonTypeInfo info, string type, ReadOnlySpan<byte> line)
    {
        if (e.Path is null or "$")
        {
            var present = TopLevelNames(line);
            var missing = info.Properties.FirstOrDefault(p => p.IsRequired && !present.Contains(p.Name));
            return missing is not null ? $"{Article(type)} {type} record needs \"{missing.Name}\"" : $"not {Article(type)} {type} record: {FirstSentence(e.Message)}";
        }
        var field = e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
        return Resolve(info, field) is { } expected ? $"\"{field}\" must be {expected}" : $"\"{field}\" has the wrong type";
    }

    /// <summary>What the member at <paramref name="path"/> (<c>profile.exec[0]</c>) must be, walking the generated metadata.</summary>
    private static string? Resolve(JsonTypeInfo info, string path)
    {
        var current = info;
        foreach (var segment in path.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            var property = current.Properties.FirstOrDefault(p => p.Name == name);
            if (property is null) return null;
            current = AgentRecordJson.Default.GetTypeInfo(property.PropertyType);
            if (current is null) return Describe(property.PropertyType, null);
            // Each [n] steps into the list's elements.
            for (var i = bracket; i >= 0 && i < segment.Length; i = segment.IndexOf('[', i + 1))
            {
                if (current.ElementType is not { } element) return null;
                var elementInfo = AgentRecordJson.Default.GetTypeInfo(element);
                if (elementInfo is null) return Describe(element, null);
                current = elementInfo;
            }
        }
        return Describe(current.Type, current);
    }

    private static string Describe(Type type, JsonTypeInfo? info)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(DateTimeOffset)) return AgentTimeConverter.Expected;
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName))}";
        if (info?.Kind == JsonTypeInfoKind.Enumerable) return info.ElementType == typeof(string) ? "a list of strings" : "a list";
        if (info?.Kind == JsonTypeInfoKind.Object)
        {
            var required = info.Properties.Where(p => p.IsRequired).Select(p => $"\"{p.Name}\"").ToList();
            return required.Count == 0 ? "an object" : $"an object with {string.Join(" and ", required)}";
        }
        return $"a {type.Name}";
    }

    private static HashSet<string> TopLevelNames(ReadOnlySpan<byte> line)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth });
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            names.Add(reader.GetString()!);
            reader.Read();
            reader.Skip();
        }
        return names;
    }

    private static string Article(string word) => word[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an" : "a";

    private static string FirstSentence(string message)
    {
        var path = message.IndexOf(" Path:", StringComparison.Ordinal);
        return path > 0 ? message[..path] : message;
    }
}
