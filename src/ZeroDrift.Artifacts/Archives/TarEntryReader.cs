using System.Globalization;
using System.Text;

namespace ZeroDrift.Artifacts.Archives;

public enum TarKind { Regular, Directory, Symlink, Hardlink, Other }

/// <summary>One member of a tar stream. <see cref="Length"/> is the file's size (a sparse file's real size).</summary>
public sealed record TarItem(string Name, TarKind Kind, long Length, int Mode, string LinkName, bool Sparse, Stream DataStream);

/// <summary>
/// A forward-only tar reader for hostile archives: v7, ustar, GNU (long names, base-256 numbers) and PAX headers,
/// and sparse files in all of GNU tar's formats (old GNU <c>S</c> entries with their extension blocks, PAX 0.0, 0.1
/// and 1.0), which System.Formats.Tar refuses (it stops the whole archive at the first one). A sparse file reads as
/// GNU tar extracts it: its data segments at their offsets, zeros in the holes; the zeros it produces are reported
/// through <c>expanded</c>, so a caller can charge them to its decompression budget (a 20 GiB hole costs nothing to
/// store). Headers are checked (checksum, sizes, a sparse map's order and bounds); a bad one throws
/// <see cref="InvalidDataException"/>. A member's data must be read before <see cref="Next"/>, which skips what is left.
/// </summary>
public sealed class TarEntryReader(Stream stream, Action<long>? expanded = null)
{
    private const int Block = 512;
    /// <summary>A PAX header or GNU long name larger than this is not a real one.</summary>
    private const int MaxMetaBytes = 1 << 20;
    /// <summary>More sparse segments than this in one file is not a file anyone made.</summary>
    private const int MaxSparseSegments = 1 << 20;

    private readonly Stream _stream = stream;
    private readonly byte[] _header = new byte[Block];
    private DataStream? _current;
    private long _position;

    /// <summary>The next member, or null at the end of the archive.</summary>
    public TarItem? Next()
    {
        _current?.Skip();
        string? longName = null, longLink = null;
        Dictionary<string, string>? pax = null;
        List<(long Offset, long Length)>? paxSparse = null;
        while (true)
        {
            if (!ReadBlock(_header)) return null;
            if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return null;
            CheckSum();
            var type = (char)_header[156];
            var size = Number(124, 12);
            if (size < 0) throw Bad("negative size");
            switch (type)
            {
                case 'L': longName = CString(ReadMeta(size)); continue;
                case 'K': longLink = CString(ReadMeta(size)); continue;
                case 'g': ReadMeta(size); continue;
                case 'x':
                    (pax, paxSparse) = Pax(ReadMeta(size));
                    continue;
            }

            var ustar = _header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
            var gnu = _header.AsSpan(257, 8).SequenceEqual("ustar  \0"u8);
            var name = longName ?? HeaderName(ustar);
            var link = longLink ?? Text(_header.AsSpan(157, 100));
            if (pax is not null)
            {
                if (pax.TryGetValue("path", out var p)) name = p;
                if (pax.TryGetValue("linkpath", out var l)) link = l;
                if (pax.TryGetValue("size", out var s)) size = ParseDecimal(s, "PAX size");
            }
            var mode = (int)(Number(100, 8) & 0xFFF);
            var kind = type switch
            {
                '0' or '\0' or '7' or 'S' => TarKind.Regular,
                '1' => TarKind.Hardlink,
                '2' => TarKind.Symlink,
                '5' => TarKind.Directory,
                _ => TarKind.Other,
            };
            List<(long Offset, long Length)>? map = null;
            long realSize = size;
            if (type == 'S' && gnu)
            {
                (map, realSize) = GnuSparse();
            }
            else if (pax is not null && (paxSparse is not null || pax.ContainsKey("GNU.sparse.map") || pax.ContainsKey("GNU.sparse.major")))
            {
                if (pax.TryGetValue("GNU.sparse.name", out var sparseName)) name = sparseName;
                var major = pax.GetValueOrDefault("GNU.sparse.major");
                realSize = ParseDecimal(pax.GetValueOrDefault("GNU.sparse.realsize") ?? pax.GetValueOrDefault("GNU.sparse.size") ?? "", "sparse real size");
                if (major == "1")
                {
                    _current = new DataStream(this, size);
                    map = SparseMapInData(_current);
                    size = _current.Remaining;
                }
                else
                {
                    map = paxSparse ?? MapList(pax["GNU.sparse.map"]);
                }
            }
            _current ??= new DataStream(this, size);
            var data = map is null ? (Stream)_current : new SparseStream(_current, CheckMap(map, realSize, size, name), realSize, expanded);
            var item = new TarItem(name, kind, map is null ? size : realSize, mode, link, map is not null, kind == TarKind.Regular ? data : Stream.Null);
            return item;
        }
    }

    private string HeaderName(bool ustar)
    {
        var name = Text(_header.AsSpan(0, 100));
        if (!ustar) return name;
        var prefix = Text(_header.AsSpan(345, 155));
        return prefix.Length == 0 ? name : prefix + "/" + name;
    }

    /// <summary>Old GNU sparse: four segments in the header, 21 more per extension block; the real size at 483.</summary>
    private (List<(long, long)> Map, long RealSize) GnuSparse()
    {
        var map = new List<(long, long)>();
        void Add(byte[] block, int at, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var offset = Number(block, at + i * 24, 12);
                var length = Number(block, at + i * 24 + 12, 12);
                if (offset == 0 && length == 0 && IsEmpty(block, at + i * 24, 24)) break;
                if (map.Count >= MaxSparseSegments) throw Bad("more than a million sparse segments");
                map.Add((offset, length));
            }
        }
        Add(_header, 386, 4);
        var realSize = Number(483, 12);
        var extended = _header[482] != 0;
        var block = new byte[Block];
        while (extended)
        {
            if (!ReadBlock(block)) throw Bad("truncated sparse header");
            Add(block, 0, 21);
            extended = block[504] != 0;
        }
        return (map, realSize);
    }

    private static bool IsEmpty(byte[] block, int at, int length) => block.AsSpan(at, length).IndexOfAnyExcept((byte)0) < 0;

    /// <summary>PAX 1.0: the map is at the start of the data, decimal numbers one a line, padded to a block.</summary>
    private static List<(long, long)> SparseMapInData(DataStream data)
    {
        var read = 0L;
        long NextNumber()
        {
            var digits = new StringBuilder();
            while (true)
            {
                var b = data.ReadByte();
                read++;
                if (b < 0) throw Bad("truncated sparse map");
                if (b == '\n') break;
                if (b is < '0' or > '9' || digits.Length >= 20) throw Bad("malformed sparse map");
                digits.Append((char)b);
            }
            return ParseDecimal(digits.ToString(), "sparse map");
        }
        var count = NextNumber();
        if (count > MaxSparseSegments) throw Bad("more than a million sparse segments");
        var map = new List<(long, long)>((int)count);
        for (var i = 0; i < count; i++) map.Add((NextNumber(), NextNumber()));
        var padding = (Block - read % Block) % Block;
        for (var i = 0; i < padding; i++)
            if (data.ReadByte() < 0) throw Bad("truncated sparse map");
        return map;
    }

    private static List<(long, long)> MapList(string text)
    {
        var numbers = text.Split(',', StringSplitOptions.TrimEntries);
        if (numbers.Length % 2 != 0 || numbers.Length / 2 > MaxSparseSegments) throw Bad("malformed sparse map");
        var map = new List<(long, long)>(numbers.Length / 2);
        for (var i = 0; i < numbers.Length; i += 2) map.Add((ParseDecimal(numbers[i], "sparse map"), ParseDecimal(numbers[i + 1], "sparse map")));
        return map;
    }

    /// <summary>Segments in order, not overlapping, inside the real size, holding exactly the stored bytes.</summary>
    private static List<(long Offset, long Length)> CheckMap(List<(long Offset, long Length)> map, long realSize, long stored, string name)
    {
        if (realSize < 0) throw Bad($"{name}: negative sparse size");
        long end = 0, total = 0;
        foreach (var (offset, length) in map)
        {
            if (offset < end || length < 0 || offset > realSize || length > realSize - offset)
                throw Bad($"{name}: sparse map out of order or past the file's size");
            end = offset + length;
            total += length;
        }
        if (total != stored) throw Bad($"{name}: sparse map holds {total} bytes, the entry {stored}");
        return map;
    }

    private static (Dictionary<string, string>, List<(long, long)>?) Pax(byte[] data)
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        List<(long, long)>? sparse = null;
        long? pendingOffset = null;
        var at = 0;
        while (at < data.Length)
        {
            if (data[at] == 0) break;
            var space = Array.IndexOf(data, (byte)' ', at);
            if (space < 0) throw Bad("malformed PAX header");
            var length = (int)Math.Min(int.MaxValue, ParseDecimal(Encoding.ASCII.GetString(data, at, space - at), "PAX record length"));
            if (length <= space - at || at + length > data.Length || data[at + length - 1] != '\n') throw Bad("malformed PAX record");
            var record = data.AsSpan(space + 1, at + length - space - 2);
            var equals = record.IndexOf((byte)'=');
            if (equals < 0) throw Bad("malformed PAX record");
            var key = Encoding.UTF8.GetString(record[..equals]);
            var value = Encoding.UTF8.GetString(record[(equals + 1)..]);
            // PAX 0.0 repeats offset/numbytes pairs, which a dictionary would lose.
            if (key == "GNU.sparse.offset") pendingOffset = ParseDecimal(value, "sparse offset");
            else if (key == "GNU.sparse.numbytes")
            {
                if (pendingOffset is not { } offset) throw Bad("sparse numbytes without an offset");
                sparse ??= [];
                if (sparse.Count >= MaxSparseSegments) throw Bad("more than a million sparse segments");
                sparse.Add((offset, ParseDecimal(value, "sparse numbytes")));
                pendingOffset = null;
            }
            else records[key] = value;
            at += length;
        }
        return (records, sparse);
    }

    private byte[] ReadMeta(long size)
    {
        if (size > MaxMetaBytes) throw Bad($"a {size} byte extended header");
        var data = new byte[size];
        var meta = new DataStream(this, size);
        meta.ReadExactly(data);
        meta.Skip();
        return data;
    }

    private void CheckSum()
    {
        var stored = Number(148, 8);
        long unsigned = 0, signed = 0;
        for (var i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : _header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed) throw Bad($"header checksum mismatch at byte {_position - Block}");
    }

    private long Number(int at, int length) => Number(_header, at, length);

    /// <summary>Octal, or base-256 when the first byte's high bit is set (GNU, for sizes past 8 GiB).</summary>
    private static long Number(byte[] block, int at, int length)
    {
        var field = block.AsSpan(at, length);
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] == 0xFF) throw Bad("negative number");
            long value = field[0] & 0x7F;
            foreach (var b in field[1..])
            {
                if (value > long.MaxValue >> 8) throw Bad("number too large");
                value = value << 8 | b;
            }
            return value;
        }
        long octal = 0;
        var digits = false;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (digits) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw Bad("malformed number in header");
            if (octal > long.MaxValue >> 3) throw Bad("number too large");
            octal = octal << 3 | (long)(b - '0');
            digits = true;
        }
        return octal;
    }

    private static long ParseDecimal(string text, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Bad($"malformed {what}");

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static string CString(byte[] data) => Text(data);

    private static InvalidDataException Bad(string what) => new($"not a valid tar archive: {what}");

    private bool ReadBlock(byte[] block)
    {
        var n = _stream.ReadAtLeast(block, Block, throwOnEndOfStream: false);
        _position += n;
        if (n == 0) return false;
        if (n < Block) throw Bad("truncated header");
        return true;
    }

    /// <summary>A member's stored bytes; what is not read is skipped, with the padding to the next block.</summary>
    private sealed class DataStream(TarEntryReader owner, long length) : Stream
    {
        private readonly long _length = length;
        private readonly long _padding = (Block - length % Block) % Block;
        public long Remaining { get; private set; } = length;
        private bool _skipped;

        public override int Read(Span<byte> buffer)
        {
            if (Remaining <= 0 || _skipped) return 0;
            var n = owner._stream.Read(buffer[..(int)Math.Min(buffer.Length, Remaining)]);
            if (n == 0) throw new EndOfStreamException("tar member is truncated");
            Remaining -= n;
            owner._position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public void Skip()
        {
            if (_skipped) return;
            var sink = new byte[1 << 16];
            while (Remaining > 0) _ = Read(sink);
            var padding = _padding;
            while (padding > 0)
            {
                var n = owner._stream.Read(sink, 0, (int)padding);
                if (n == 0) break;
                padding -= n;
                owner._position += n;
            }
            _skipped = true;
            owner._current = null;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - Remaining; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A sparse file as extracted: each segment's stored bytes at its offset, zeros elsewhere.</summary>
    private sealed class SparseStream(Stream stored, List<(long Offset, long Length)> map, long length, Action<long>? expanded) : Stream
    {
        private long _position;
        private int _segment;

        public override int Read(Span<byte> buffer)
        {
            if (_position >= length || buffer.IsEmpty) return 0;
            while (_segment < map.Count && map[_segment].Offset + map[_segment].Length <= _position) _segment++;
            var max = (int)Math.Min(buffer.Length, length - _position);
            int n;
            if (_segment < map.Count && map[_segment].Offset <= _position)
            {
                n = stored.Read(buffer[..(int)Math.Min(max, map[_segment].Offset + map[_segment].Length - _position)]);
                if (n == 0) throw new EndOfStreamException("sparse tar member is truncated");
            }
            else
            {
                // A hole, up to the next segment or the end of the file.
                var holeEnd = _segment < map.Count ? map[_segment].Offset : length;
                n = (int)Math.Min(max, holeEnd - _position);
                buffer[..n].Clear();
                expanded?.Invoke(n);
            }
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
