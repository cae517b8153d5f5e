using System.IO.Compression;
using System.Text.Json;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// Reads audit input into events: the API server's webhook body (an <c>audit.k8s.io/v1</c> EventList, or one Event,
/// or JSON lines of Events as the log backend writes them) and CloudTrail log files (<c>{"Records": [...]}</c>, plain or
/// gzip as delivered to S3). Whole-input problems raise <see cref="AuditInputException"/>; a record that is not an
/// event becomes a warning naming it and the others are read.
/// </summary>
public static class AuditReader
{
    /// <summary>Bytes of a stream up to <paramref name="limit"/>; more is a refusal, not a truncation.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream input, long limit, string what, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await input.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
                throw new AuditInputException($"{what} is larger than {Size(limit)}", tooLarge: true);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    public static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";

    public static JsonDocument Parse(ReadOnlyMemory<byte> bytes, string what, AuditLimits limits)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = limits.MaxDepth });
        }
        catch (JsonException e)
        {
            var why = e.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase) ? $"nested deeper than {limits.MaxDepth} levels" : $"not valid JSON ({FirstLine(e.Message)})";
            throw new AuditInputException($"{what} is {why}");
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('.');

    /// <summary>
    /// The events of a webhook body or audit log: an EventList's <c>items</c>, a single Event, or one Event per line.
    /// The document must outlive the events (they read from it).
    /// </summary>
    public static (JsonDocument[] Documents, List<K8sAuditEvent> Events, List<string> Warnings) ReadK8s(byte[] bytes, string what, AuditLimits limits, long nowNs)
    {
        var events = new List<K8sAuditEvent>();
        var warnings = new List<string>();
        var trimmed = bytes.AsSpan().TrimStart(" \t\r\n"u8);
        // JSON lines (the log backend's file): one event per line, each its own document.
        if (trimmed.Length > 0 && trimmed[0] == (byte)'{' && LooksLikeLines(trimmed))
        {
            var documents = new List<JsonDocument>();
            var line = 0;
            foreach (var range in Lines(bytes))
            {
                line++;
                if (bytes.AsSpan(range).Trim(" \t\r"u8).IsEmpty) continue;
                if (events.Count + warnings.Count >= limits.MaxRecords) throw new AuditInputException($"{what} has more than {limits.MaxRecords} events", tooLarge: true);
                JsonDocument doc;
                try
                {
                    doc = Parse(bytes.AsMemory(range), $"line {line}", limits);
                }
                catch (AuditInputException e)
                {
                    warnings.Add($"{what}: {e.Message}: skipped");
                    continue;
                }
                documents.Add(doc);
                Add(doc.RootElement, $"{what}: line {line}", events, warnings, nowNs);
            }
            return ([.. documents], events, warnings);
        }
        var document = Parse(bytes, what, limits);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && JsonValues.GetString(root, "kind") == "EventList")
        {
            if (!root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                document.Dispose();
                throw new AuditInputException($"{what} is an EventList without an \"items\" array");
            }
            if (items.GetArrayLength() > limits.MaxRecords)
            {
                document.Dispose();
                throw new AuditInputException($"{what} has {items.GetArrayLength()} events, more than {limits.MaxRecords}", tooLarge: true);
            }
            var i = 0;
            foreach (var item in items.EnumerateArray()) Add(item, $"{what}: items[{i++}]", events, warnings, nowNs);
        }
        else if (root.ValueKind == JsonValueKind.Object)
        {
            Add(root, what, events, warnings, nowNs);
        }
        else
        {
            document.Dispose();
            throw new AuditInputException($"{what} is not an audit.k8s.io EventList or Event (a JSON {root.ValueKind.ToString().ToLowerInvariant()})");
        }
        return ([document], events, warnings);
    }

    private static void Add(JsonElement item, string where, List<K8sAuditEvent> events, List<string> warnings, long nowNs)
    {
        if (K8sAuditEvent.From(item, events.Count + 1, nowNs, out var problem) is { } e) events.Add(e);
        else warnings.Add($"{where}: {problem}: skipped");
    }

    /// <summary>More than one top-level value: the first line holds a whole object and another follows.</summary>
    private static bool LooksLikeLines(ReadOnlySpan<byte> text)
    {
        var newline = text.IndexOf((byte)'\n');
        if (newline < 0) return false;
        var rest = text[(newline + 1)..].TrimStart(" \t\r\n"u8);
        if (rest.IsEmpty || rest[0] != (byte)'{') return false;
        var reader = new Utf8JsonReader(text[..newline]);
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static IEnumerable<Range> Lines(byte[] bytes)
    {
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            yield return start..end;
            start = end + 1;
        }
    }

    /// <summary>
    /// The records of one CloudTrail log file (gzip recognised by its magic bytes, whatever its name). The file is
    /// read no further than the limits allow: a gzip that inflates past <see cref="AuditLimits.MaxDecompressedBytes"/>
    /// is refused without being inflated whole.
    /// </summary>
    public static (JsonDocument Document, List<CloudTrailEvent> Events, List<string> Warnings) ReadCloudTrail(Stream file, string what, AuditLimits limits, long firstNumber, long nowNs)
    {
        var head = new byte[2];
        var read = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        byte[] bytes;
        using (var rest = new MemoryStream())
        {
            rest.Write(head, 0, read);
            if (read == 2 && head[0] == 0x1f && head[1] == 0x8b)
            {
                using var joined = new ConcatStream(head, file);
                using var gzip = new GZipStream(joined, CompressionMode.Decompress);
                try
                {
                    bytes = ReadBoundedAsync(gzip, limits.MaxDecompressedBytes, $"{what} (decompressed)", CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (InvalidDataException e)
                {
                    throw new AuditInputException($"{what} is not a valid gzip file ({e.Message.TrimEnd('.')})");
                }
            }
            else
            {
                var body = ReadBoundedAsync(file, limits.MaxDocumentBytes - read, what, CancellationToken.None).GetAwaiter().GetResult();
                rest.Write(body);
                bytes = rest.ToArray();
            }
        }
        var document = Parse(bytes, what, limits);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            document.Dispose();
            throw new AuditInputException($"{what} is not a CloudTrail log file (no \"Records\" array)");
        }
        if (records.GetArrayLength() > limits.MaxRecords)
        {
            document.Dispose();
            throw new AuditInputException($"{what} has {records.GetArrayLength()} records, more than {limits.MaxRecords}", tooLarge: true);
        }
        var events = new List<CloudTrailEvent>();
        var warnings = new List<string>();
        var i = 0;
        foreach (var record in records.EnumerateArray())
        {
            if (CloudTrailEvent.From(record, firstNumber + events.Count, nowNs, out var problem) is { } e) events.Add(e);
            else warnings.Add($"{what}: Records[{i}]: {problem}: skipped");
            i++;
        }
        return (document, events, warnings);
    }

    /// <summary>
    /// CloudTrail files under a folder, as delivered to S3 (<c>AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz</c>)
    /// or put there by hand (<c>*.json</c>), in name order. Symbolic links are not followed, so nothing outside the
    /// folder is read.
    /// </summary>
    public static IReadOnlyList<string> CloudTrailFiles(string folder, AuditLimits limits)
    {
        if (File.Exists(folder)) return [folder];
        if (!Directory.Exists(folder)) throw new AuditInputException($"{folder}: no such file or directory");
        var files = new List<string>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(folder));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null) continue;
                if (entry is DirectoryInfo sub) pending.Push(sub);
                else if (entry.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || entry.Name.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase))
                {
                    if (files.Count >= limits.MaxFiles) throw new AuditInputException($"{folder} holds more than {limits.MaxFiles} CloudTrail files", tooLarge: true);
                    files.Add(entry.FullName);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The two bytes already read, then the rest of the stream: gzip needs its header back.</summary>
    private sealed class ConcatStream(byte[] head, Stream tail) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position < head.Length)
            {
                var n = Math.Min(count, head.Length - _position);
                Array.Copy(head, _position, buffer, offset, n);
                _position += n;
                return n;
            }
            return tail.Read(buffer, offset, count);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
