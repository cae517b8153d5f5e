using System.Globalization;
using System.Text;
using System.Text.Json;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>
/// One agent batch: NDJSON, one record per line, each an object with a <c>type</c> (host, container, event,
/// alert, profile) and the fields docs/server.md lists. Times are RFC 3339 strings or Unix milliseconds.
/// A malformed line rejects the whole batch with its line number, so the agent never believes half a batch landed.
/// </summary>
public static class AgentBatchParser
{
    public const int MaxRecords = 200_000;
    public static readonly string[] Modes = ["learn", "monitor", "protect"];
    public static readonly string[] Severities = ["critical", "high", "medium", "low", "info"];

    public static async Task<AgentBatch> ParseAsync(Stream body, long now, CancellationToken ct)
    {
        var hosts = new List<HostRow>();
        var containers = new List<ContainerRow>();
        var events = new List<EventRow>();
        var alerts = new List<AlertRow>();
        var profiles = new List<ProfileRow>();
        // The whole body (bounded by the server's request limit) as UTF-8 bytes, split on '\n': no per-line
        // string decoding, and a record's detail is its own bytes rather than a re-serialisation.
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var all = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        var number = 0;
        var records = 0;
        while (!all.IsEmpty)
        {
            var end = all.Span.IndexOf((byte)'\n');
            var bytes = end < 0 ? all : all[..end];
            all = end < 0 ? ReadOnlyMemory<byte>.Empty : all[(end + 1)..];
            number++;
            if (bytes.Span.Trim(" \t\r"u8).IsEmpty) continue;
            if (++records > MaxRecords) throw new IngestException($"a batch holds at most {MaxRecords} records");
            var where = new Where(number);
            var line = bytes;
            // Events are nearly every record: read them without building a document. Anything unusual (another
            // type, a missing or mistyped field, broken JSON) goes the general way below, which explains the error.
            if (TryReadEvent(line.Span) is { } fast)
            {
                events.Add(fast);
                continue;
            }
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 32 });
            }
            catch (JsonException e)
            {
                throw new IngestException($"{where}: not valid JSON: {e.Message}");
            }
            using (doc)
            {
                var r = doc.RootElement;
                if (r.ValueKind != JsonValueKind.Object) throw new IngestException($"{where}: a record must be a JSON object");
                var type = ScanReportParser.OptionalString(r, "type");
                switch (type)
                {
                    case "host":
                        hosts.Add(new HostRow(Req(r, "name", where), r.GetRawText(), Time(r, "time", where) ?? now));
                        break;
                    case "container":
                        var state = ScanReportParser.OptionalString(r, "state") ?? "running";
                        if (state is not ("running" or "paused" or "exited")) throw new IngestException($"{where}: \"state\" must be running, paused or exited");
                        containers.Add(new ContainerRow(Req(r, "id", where), Req(r, "host", where), Req(r, "workload", where), Req(r, "image", where),
                            ScanReportParser.OptionalString(r, "imageDigest") ?? "", state, Bool(r, "exposed", where), Time(r, "startedAt", where) ?? now, Time(r, "time", where) ?? now));
                        break;
                    case "event":
                        events.Add(new EventRow(Req(r, "kind", where), Time(r, "time", where) ?? throw new IngestException($"{where}: an event needs \"time\""),
                            Req(r, "containerId", where), Req(r, "workload", where), ScanReportParser.OptionalString(r, "path") ?? "",
                            ScanReportParser.OptionalString(r, "process") ?? "", Encoding.UTF8.GetString(line.Span).Trim()));
                        break;
                    case "alert":
                        var severity = Req(r, "severity", where).ToLowerInvariant();
                        if (!Severities.Contains(severity)) throw new IngestException($"{where}: \"severity\" must be one of {string.Join(", ", Severities)}");
                        var action = ScanReportParser.OptionalString(r, "action") ?? "none";
                        if (action is not ("none" or "blocked" or "killed" or "paused" or "quarantined")) throw new IngestException($"{where}: \"action\" must be none, blocked, killed, paused or quarantined");
                        var eventAt = Time(r, "eventTime", where) ?? throw new IngestException($"{where}: an alert needs \"eventTime\" (the offending kernel event)");
                        alerts.Add(new AlertRow(Req(r, "id", where), Req(r, "rule", where), severity, eventAt, Time(r, "time", where) ?? now,
                            Req(r, "containerId", where), Req(r, "workload", where), action, Time(r, "actionTime", where), r.GetRawText()));
                        break;
                    case "profile":
                        var mode = Req(r, "mode", where).ToLowerInvariant();
                        if (!Modes.Contains(mode)) throw new IngestException($"{where}: \"mode\" must be learn, monitor or protect");
                        var profile = r.TryGetProperty("profile", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetRawText() : throw new IngestException($"{where}: \"profile\" must be an object");
                        profiles.Add(new ProfileRow(Req(r, "workload", where), mode, profile, Time(r, "time", where) ?? now));
                        break;
                    default:
                        throw new IngestException($"{where}: \"type\" must be host, container, event, alert or profile");
                }
            }
        }
        return new AgentBatch(hosts, containers, events, alerts, profiles);
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 32 };

    /// <summary>An event record in one forward pass; null when the general parser must look at it.</summary>
    internal static EventRow? TryReadEvent(ReadOnlySpan<byte> line)
    {
        string? type = null, kind = null, container = null, workload = null, path = null, process = null;
        long? time = null;
        try
        {
            var reader = new Utf8JsonReader(line, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var escaped = reader.ValueIsEscaped;
                if (!reader.Read()) return null;
                if (escaped) { reader.Skip(); continue; }
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (name.SequenceEqual("type"u8)) type = reader.GetString();
                    else if (name.SequenceEqual("kind"u8)) kind = reader.GetString();
                    else if (name.SequenceEqual("containerId"u8)) container = reader.GetString();
                    else if (name.SequenceEqual("workload"u8)) workload = reader.GetString();
                    else if (name.SequenceEqual("path"u8)) path = reader.GetString();
                    else if (name.SequenceEqual("process"u8)) process = reader.GetString();
                    else if (name.SequenceEqual("time"u8))
                    {
                        // RFC 3339 with its offset, as agents write it ("O"); anything else (no offset: UTC is assumed) goes the general way.
                        var text = reader.ValueSpan;
                        var offset = text.Length > 6 && (text[^1] == (byte)'Z' || (text[^6] is (byte)'+' or (byte)'-' && text[^3] == (byte)':'));
                        if (reader.ValueIsEscaped || !offset || !reader.TryGetDateTimeOffset(out var at)) return null;
                        time = at.ToUnixTimeMilliseconds();
                        if (time < 0) return null;
                    }
                }
                else if (name.SequenceEqual("time"u8))
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var ms) || ms < 0) return null;
                    time = ms;
                }
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                else if (name.SequenceEqual("type"u8) || name.SequenceEqual("kind"u8) || name.SequenceEqual("containerId"u8)
                         || name.SequenceEqual("workload"u8) || name.SequenceEqual("path"u8) || name.SequenceEqual("process"u8)) return null;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return null;
        }
        catch (JsonException)
        {
            return null;
        }
        if (type != "event" || time is null || !Usable(kind) || !Usable(container) || !Usable(workload) || path?.Length > 2000 || process?.Length > 2000) return null;
        return new EventRow(kind!, time.Value, container!, workload!, path ?? "", process ?? "", Encoding.UTF8.GetString(line).Trim());

        static bool Usable(string? s) => s is { Length: > 0 and <= 2000 };
    }

    /// <summary>Where a record is, for error messages only: formatted when an error is raised, not for every line.</summary>
    internal readonly record struct Where(int Line)
    {
        public override string ToString() => $"line {Line.ToString(CultureInfo.InvariantCulture)}";
        public static implicit operator string(Where w) => w.ToString();
    }

    private static string Req(JsonElement r, string name, Where where)
    {
        // The common case without building the location text: a present, non-empty string.
        if (r.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            var s = value.GetString()!;
            if (s.Length is > 0 and <= 2000) return s;
        }
        return ScanReportParser.String(r, name, where);
    }

    private static bool Bool(JsonElement r, string name, Where where) =>
        !r.TryGetProperty(name, out var v) ? false
        : v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw new IngestException($"{where}: \"{name}\" must be true or false") };

    internal static long? Time(JsonElement r, string name, Where where)
    {
        if (!r.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms) && ms >= 0) return ms;
        if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            return t.ToUnixTimeMilliseconds();
        throw new IngestException($"{where}: \"{name}\" must be an RFC 3339 time or Unix milliseconds");
    }
}
