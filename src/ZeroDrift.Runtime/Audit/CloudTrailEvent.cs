using System.Text.Json;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// One AWS CloudTrail record (an element of a log file's <c>Records</c>). The fields every rule tests (eventName,
/// errorCode, eventSource) are read once; the rest from <see cref="Root"/> on demand. <see cref="Root"/> belongs to
/// the document the record came from.
/// </summary>
public sealed class CloudTrailEvent
{
    private string? _compact;

    public JsonElement Root { get; }
    public long Number { get; }
    /// <summary>eventTime in Unix nanoseconds, else when the record was read.</summary>
    public long TimeNs { get; }
    public string? Name { get; }
    public string? Error { get; }
    public string? Source { get; }

    private CloudTrailEvent(JsonElement root, long number, long timeNs)
    {
        Root = root;
        Number = number;
        TimeNs = timeNs;
        Name = JsonValues.GetString(root, "eventName");
        Error = JsonValues.GetString(root, "errorCode");
        Source = JsonValues.GetString(root, "eventSource");
    }

    /// <summary>The record, or null with why when it is not one (not an object, or no eventName).</summary>
    public static CloudTrailEvent? From(JsonElement root, long number, long fallbackTimeNs, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = $"a CloudTrail record must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}";
            return null;
        }
        if (JsonValues.GetString(root, "eventName") is not { Length: > 0 })
        {
            problem = "not a CloudTrail record: no \"eventName\" string";
            return null;
        }
        var time = JsonValues.GetString(root, "eventTime") is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100
            : fallbackTimeNs;
        return new CloudTrailEvent(root, number, time);
    }

    public string Json => _compact ??= JsonValues.Compact(Root);
}
