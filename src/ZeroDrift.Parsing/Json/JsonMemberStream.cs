using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Parsing.Json;

/// <summary>What <see cref="JsonMemberStream.Read"/> asks and tells as it goes through a document.</summary>
public interface IJsonMemberVisitor
{
    /// <summary>True for a top-level member whose own members (or elements) are handed over one by one instead of
    /// as one value: the large collection of the format (npm's <c>packages</c>).</summary>
    bool Streams(string name);

    /// <summary>True when the member is wanted; an unwanted one is skipped without being parsed.</summary>
    /// <param name="parent">The streamed member it is inside, or null at the top level.</param>
    bool Wants(string? parent, string name);

    /// <summary>One wanted member. <paramref name="value"/> lives until this returns (<c>Clone()</c> it to keep it).</summary>
    /// <param name="name">Its name, or its index as a string inside a streamed array.</param>
    void Visit(string? parent, string name, JsonElement value);

    /// <summary>A streamed member begins; <paramref name="kind"/> says whether it is an object or an array (any other
    /// value is visited as a whole instead).</summary>
    void Begin(string name, JsonValueKind kind) { }
}

/// <summary>
/// Reads a JSON document whose top level is an object from a stream, through a window that holds one member at a
/// time, so memory follows the largest member, not the file: a 150 MiB lockfile costs its largest package entry.
/// Bytes, time and members are charged to a <see cref="ParseMeter"/> (a single member larger than the budget's bytes
/// is refused as it grows), and nesting is bounded by the reader. Malformed JSON is a <see cref="JsonException"/>.
/// </summary>
public static class JsonMemberStream
{
    private const int InitialWindow = 64 * 1024;

    public static void Read(Stream source, ParseMeter meter, IJsonMemberVisitor visitor)
    {
        var stream = new MeteredStream(source, meter);
        var documentOptions = SafeJson.DocumentOptions(meter.Budget);
        var window = new Window(stream);
        var state = new JsonReaderState(SafeJson.ReaderOptions(meter.Budget));
        var walk = new Walk();
        try
        {
            while (true)
            {
                var reader = new Utf8JsonReader(window.Data, window.Final, state);
                var done = Step(ref reader, walk, visitor, meter, documentOptions);
                window.Consumed((int)reader.BytesConsumed);
                state = reader.CurrentState;
                if (done) return;
                if (window.Final) throw new JsonException($"{meter.What}: unexpected end of JSON");
                window.Fill();
            }
        }
        finally
        {
            window.Dispose();
        }
    }

    /// <summary>Where the walk is: before the root, in the root, or in a streamed member.</summary>
    private sealed class Walk
    {
        public int Level;
        public string? Parent;
        public bool ParentIsArray;
        public int Index;
    }

    /// <summary>Reads as many whole members as the window holds. Each one starts from a copy of the reader, so one
    /// cut off by the end of the window is read again, whole, after the window is filled.</summary>
    private static bool Step(ref Utf8JsonReader reader, Walk walk, IJsonMemberVisitor visitor, ParseMeter meter, JsonDocumentOptions options)
    {
        while (true)
        {
            var checkpoint = reader;
            if (!reader.Read())
            {
                reader = checkpoint;
                return false;
            }
            switch (walk.Level)
            {
                case 0:
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw new JsonException($"{meter.What}: expected a JSON object at the top level, found {reader.TokenType}");
                    walk.Level = 1;
                    continue;
                case 1:
                {
                    if (reader.TokenType == JsonTokenType.EndObject) return true;
                    var name = reader.GetString()!;
                    if (!reader.Read())
                    {
                        reader = checkpoint;
                        return false;
                    }
                    if (visitor.Streams(name) && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        walk.Level = 2;
                        walk.Parent = name;
                        walk.ParentIsArray = reader.TokenType == JsonTokenType.StartArray;
                        walk.Index = 0;
                        visitor.Begin(name, walk.ParentIsArray ? JsonValueKind.Array : JsonValueKind.Object);
                        continue;
                    }
                    if (!Member(ref reader, null, name, visitor, options))
                    {
                        reader = checkpoint;
                        return false;
                    }
                    meter.Item();
                    continue;
                }
                default:
                {
                    if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                    {
                        walk.Level = 1;
                        walk.Parent = null;
                        continue;
                    }
                    string name;
                    if (walk.ParentIsArray)
                    {
                        name = walk.Index.ToString(CultureInfo.InvariantCulture);
                    }
                    else
                    {
                        name = reader.GetString()!;
                        if (!reader.Read())
                        {
                            reader = checkpoint;
                            return false;
                        }
                    }
                    if (!Member(ref reader, walk.Parent, name, visitor, options))
                    {
                        reader = checkpoint;
                        return false;
                    }
                    walk.Index++;
                    meter.Item();
                    continue;
                }
            }
        }
    }

    /// <summary>Visits or skips the value the reader is on; false when the window does not hold all of it.</summary>
    private static bool Member(ref Utf8JsonReader reader, string? parent, string name, IJsonMemberVisitor visitor, JsonDocumentOptions options)
    {
        if (!visitor.Wants(parent, name)) return reader.TrySkip();
        if (!JsonDocument.TryParseValue(ref reader, out var document)) return false;
        using (document) visitor.Visit(parent, name, document!.RootElement);
        return true;
    }

    /// <summary>The bytes read and not yet consumed; grows only when one member does not fit.</summary>
    private sealed class Window(Stream stream) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialWindow);
        private int _start;
        private int _end;

        public bool Final { get; private set; }

        public ReadOnlySpan<byte> Data => _buffer.AsSpan(_start, _end - _start);

        public void Consumed(int bytes) => _start += bytes;

        public void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                // The stream is metered: the window cannot outgrow the budget's bytes.
                var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, Array.MaxLength));
                Buffer.BlockCopy(_buffer, 0, grown, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = grown;
            }
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0) Final = true;
            _end += read;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }
}
