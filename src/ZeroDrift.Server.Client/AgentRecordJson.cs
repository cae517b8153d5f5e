using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZeroDrift.Server.Client;

/// <summary>The agent channel's JSON, generated at build: camelCase names, nulls left out, times and enums as <see cref="AgentTimeConverter"/> and <see cref="WireEnumConverter{T}"/> write them.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(AgentTimeConverter)], MaxDepth = AgentRecordCodec.MaxDepth)]
[JsonSerializable(typeof(AgentRecord))]
[JsonSerializable(typeof(HostRecord))]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(AlertRecord))]
[JsonSerializable(typeof(ProfileRecord))]
[JsonSerializable(typeof(ProfileModel))]
[JsonSerializable(typeof(BatchAnswer))]
[JsonSerializable(typeof(SetModePayload))]
[JsonSerializable(typeof(CommandOutcome))]
public sealed partial class AgentRecordJson : JsonSerializerContext;

/// <summary>
/// Times as RFC 3339 strings (written in UTC, <c>2026-06-01T10:00:00.1234567Z</c>) or Unix milliseconds; a string
/// without an offset is UTC.
/// </summary>
public sealed class AgentTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Expected = "an RFC 3339 time or Unix milliseconds";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) && ms is >= 0 and <= 253_402_300_799_999)
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        // The agent's own format parses without a string; anything else (no offset, fewer digits) the general way.
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.TryGetDateTimeOffset(out var exact)) return exact;
            if (DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return parsed;
        }
        throw new JsonException($"must be {Expected}");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value.UtcDateTime);
}

/// <summary>
/// An enum as its kebab-case name (<c>user-space</c>, <c>kill-failed</c>), read without regard to case; any other value
/// is refused with the names it may take. Named on each property rather than on the enum: a property's converter wins
/// over the serializer options' own (the server's API turns enums into their C# names), so the names stay the wire's
/// wherever the records are written.
/// </summary>
public sealed class WireEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    private static readonly (T Value, string Name)[] Table =
        [.. Enum.GetValues<T>().Select(v => (v, JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString())))];

    /// <summary>The names, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Select(t => t.Name)];

    public static string Name(T value)
    {
        foreach (var (v, name) in Table)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name}");
    }

    public static bool TryParse(string? text, out T value)
    {
        foreach (var (v, name) in Table)
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        value = default;
        return false;
    }

    /// <summary>How a wrong value is explained.</summary>
    public static string Expected => $"one of {string.Join(", ", Names)}";

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            foreach (var (v, name) in Table)
                if (reader.ValueTextEquals(name)) return v;
            if (TryParse(reader.GetString(), out var any)) return any; // CRITICAL, User-Space
        }
        throw new JsonException($"must be {Expected}");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
}
