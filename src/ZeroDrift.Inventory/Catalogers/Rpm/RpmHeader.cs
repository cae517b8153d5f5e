using System.Buffers.Binary;
using System.Text;

namespace ZeroDrift.Inventory.Catalogers.Rpm;

/// <summary>RPM header tags ZeroDrift reads (rpmtag.h).</summary>
public static class RpmTag
{
    public const int Name = 1000;
    public const int Version = 1001;
    public const int Release = 1002;
    public const int Epoch = 1003;
    public const int Summary = 1004;
    public const int Size = 1009;
    public const int Vendor = 1011;
    public const int License = 1014;
    public const int Arch = 1022;
    public const int OldFileNames = 1027;
    public const int SourceRpm = 1044;
    public const int ProvideName = 1047;
    public const int RequireName = 1049;
    public const int DirIndexes = 1116;
    public const int BaseNames = 1117;
    public const int DirNames = 1118;
    public const int ModularityLabel = 5096;
}

/// <summary>
/// An RPM header as rpm stores it in its database (the "header blob" of <c>headerImport</c>): a big-endian int32
/// index count, an int32 data length, that many 16-byte index entries (tag, type, offset, count), then the data
/// store. Every offset and count is checked against the blob before it is used: the blob comes from the target.
/// </summary>
public sealed class RpmHeader
{
    // rpm's own bounds (header.c): at most 0xffff index entries and a 256 MiB data store.
    private const int MaxIndexEntries = 0xFFFF;
    private const int MaxDataLength = 256 << 20;
    private const int EntrySize = 16;

    private enum TagType : uint { Null = 0, Char = 1, Int8 = 2, Int16 = 3, Int32 = 4, Int64 = 5, String = 6, Bin = 7, StringArray = 8, I18nString = 9 }

    private readonly record struct IndexEntry(int Tag, TagType Type, int Offset, int Count);

    private readonly byte[] _blob;
    private readonly int _dataStart;
    private readonly int _dataLength;
    private readonly Dictionary<int, IndexEntry> _entries = [];

    private RpmHeader(byte[] blob, int dataStart, int dataLength)
    {
        _blob = blob;
        _dataStart = dataStart;
        _dataLength = dataLength;
    }

    /// <summary>Parses a header blob; throws <see cref="FormatException"/> naming <paramref name="what"/> when it is not a valid one.</summary>
    public static RpmHeader Parse(byte[] blob, string what)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length < 8) throw new FormatException($"{what}: RPM header of {blob.Length} bytes is shorter than its 8-byte preamble");
        var indexCount = BinaryPrimitives.ReadInt32BigEndian(blob);
        var dataLength = BinaryPrimitives.ReadInt32BigEndian(blob.AsSpan(4));
        if (indexCount < 1 || indexCount > MaxIndexEntries)
            throw new FormatException($"{what}: RPM header index count {indexCount} is outside 1..{MaxIndexEntries}");
        if (dataLength < 0 || dataLength > MaxDataLength)
            throw new FormatException($"{what}: RPM header data length {dataLength} is outside 0..{MaxDataLength}");
        var dataStart = 8 + (indexCount * EntrySize);
        if ((long)dataStart + dataLength > blob.Length)
            throw new FormatException($"{what}: RPM header declares {indexCount} entries and {dataLength} data bytes, more than its {blob.Length} bytes");

        var header = new RpmHeader(blob, dataStart, dataLength);
        for (var i = 0; i < indexCount; i++)
        {
            var span = blob.AsSpan(8 + (i * EntrySize), EntrySize);
            var tag = BinaryPrimitives.ReadInt32BigEndian(span);
            var type = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
            var offset = BinaryPrimitives.ReadInt32BigEndian(span[8..]);
            var count = BinaryPrimitives.ReadInt32BigEndian(span[12..]);
            if (type > (uint)TagType.I18nString)
                throw new FormatException($"{what}: RPM header entry {i} (tag {tag}) has unknown type {type}");
            if (offset < 0 || offset > dataLength)
                throw new FormatException($"{what}: RPM header entry {i} (tag {tag}) offset {offset} is outside the {dataLength}-byte data store");
            if (count < 0 || count > dataLength)
                throw new FormatException($"{what}: RPM header entry {i} (tag {tag}) count {count} is impossible in a {dataLength}-byte data store");
            var entry = new IndexEntry(tag, (TagType)type, offset, count);
            header.CheckExtent(entry, what, i);
            header._entries.TryAdd(tag, entry);
        }
        return header;
    }

    /// <summary>Checks that a fixed-size entry's values, or a string entry's strings, lie inside the data store.</summary>
    private void CheckExtent(IndexEntry e, string what, int index)
    {
        long width = e.Type switch
        {
            TagType.Char or TagType.Int8 or TagType.Bin => 1,
            TagType.Int16 => 2,
            TagType.Int32 => 4,
            TagType.Int64 => 8,
            _ => 0,
        };
        if (width > 0)
        {
            if (e.Offset + (width * e.Count) > _dataLength)
                throw new FormatException($"{what}: RPM header entry {index} (tag {e.Tag}) runs past the end of the data store");
            return;
        }
        if (e.Type is TagType.String or TagType.StringArray or TagType.I18nString)
        {
            // Walk the strings once so that later reads cannot run off the end.
            var position = e.Offset;
            var strings = e.Type == TagType.String ? 1 : e.Count;
            for (var s = 0; s < strings; s++)
            {
                var end = Array.IndexOf(_blob, (byte)0, _dataStart + position, _dataLength - position);
                if (end < 0)
                    throw new FormatException($"{what}: RPM header entry {index} (tag {e.Tag}) string {s} is not terminated inside the data store");
                position = end - _dataStart + 1;
            }
        }
    }

    public bool Has(int tag) => _entries.ContainsKey(tag);

    /// <summary>A string tag (the first string of an array or i18n string); null when absent or not a string.</summary>
    public string? String(int tag) =>
        _entries.TryGetValue(tag, out var e) && e.Type is TagType.String or TagType.StringArray or TagType.I18nString && (e.Type == TagType.String || e.Count > 0)
            ? ReadStrings(e, 1)[0]
            : null;

    public IReadOnlyList<string> StringArray(int tag) =>
        _entries.TryGetValue(tag, out var e) && e.Type is TagType.StringArray or TagType.I18nString or TagType.String
            ? ReadStrings(e, e.Type == TagType.String ? 1 : e.Count)
            : [];

    /// <summary>Integer values of an INT8/16/32/64 tag, widened to long.</summary>
    public IReadOnlyList<long> Integers(int tag)
    {
        if (!_entries.TryGetValue(tag, out var e)) return [];
        var data = _blob.AsSpan(_dataStart + e.Offset);
        var values = new long[e.Count];
        for (var i = 0; i < e.Count; i++)
        {
            values[i] = e.Type switch
            {
                TagType.Char or TagType.Int8 => data[i],
                TagType.Int16 => BinaryPrimitives.ReadUInt16BigEndian(data[(i * 2)..]),
                TagType.Int32 => BinaryPrimitives.ReadUInt32BigEndian(data[(i * 4)..]),
                TagType.Int64 => BinaryPrimitives.ReadInt64BigEndian(data[(i * 8)..]),
                _ => throw new FormatException($"RPM header tag {tag} has type {e.Type}, not an integer type"),
            };
        }
        return values;
    }

    public long? Integer(int tag) => Integers(tag) is { Count: > 0 } values ? values[0] : null;

    private string[] ReadStrings(IndexEntry e, int count)
    {
        var result = new string[count];
        var position = _dataStart + e.Offset;
        var end = _dataStart + _dataLength;
        for (var i = 0; i < count; i++)
        {
            var nul = Array.IndexOf(_blob, (byte)0, position, end - position);
            result[i] = Encoding.UTF8.GetString(_blob, position, nul - position);
            position = nul + 1;
        }
        return result;
    }
}
