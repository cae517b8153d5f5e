using System.Buffers.Binary;
using System.Text;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>
/// A minimal, bounded ELF reader: the header, the section table and the program headers, and reads of one section
/// or of a virtual address range. Only the parts asked for are read, so a large binary costs a few small reads.
/// Every offset and size from the file is checked against the file's length before use.
/// </summary>
internal sealed class ElfFile
{
    private const int MaxSections = 1 << 16;
    private const int MaxSegments = 1 << 12;

    private readonly Stream _stream;

    public bool Is64 { get; }
    public bool BigEndian { get; }
    public IReadOnlyList<Section> Sections { get; }
    public IReadOnlyList<Segment> Segments { get; }

    public sealed record Section(string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size);
    public sealed record Segment(uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong FileSize);

    private const uint SectionNoBits = 8;
    private const uint SegmentLoad = 1;

    private ElfFile(Stream stream, bool is64, bool bigEndian, IReadOnlyList<Section> sections, IReadOnlyList<Segment> segments)
    {
        _stream = stream;
        Is64 = is64;
        BigEndian = bigEndian;
        Sections = sections;
        Segments = segments;
    }

    /// <summary>True when <paramref name="header"/> starts with the ELF magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> header) =>
        header.Length >= 4 && header[0] == 0x7f && header[1] == (byte)'E' && header[2] == (byte)'L' && header[3] == (byte)'F';

    /// <summary>Reads the tables of the ELF file in <paramref name="stream"/> (seekable); null when it is not ELF.</summary>
    public static ElfFile? TryOpen(Stream stream)
    {
        if (!stream.CanSeek) throw new ArgumentException("an ELF file is read from a seekable stream", nameof(stream));
        var length = stream.Length;
        var ident = new byte[64];
        stream.Position = 0;
        if (ReadFully(stream, ident) < 52 || !HasMagic(ident)) return null;
        var is64 = ident[4] switch { 1 => false, 2 => true, _ => throw new InvalidDataException($"ELF class {ident[4]} is neither 32 nor 64 bits") };
        var bigEndian = ident[5] switch { 1 => false, 2 => true, _ => throw new InvalidDataException($"ELF data encoding {ident[5]} is neither little nor big endian") };
        var r = new FieldReader(ident, bigEndian);
        ulong phoff, shoff;
        int phentsize, phnum, shentsize, shnum, shstrndx;
        if (is64)
        {
            phoff = r.U64(32); shoff = r.U64(40);
            phentsize = r.U16(54); phnum = r.U16(56); shentsize = r.U16(58); shnum = r.U16(60); shstrndx = r.U16(62);
        }
        else
        {
            phoff = r.U32(28); shoff = r.U32(32);
            phentsize = r.U16(42); phnum = r.U16(44); shentsize = r.U16(46); shnum = r.U16(48); shstrndx = r.U16(50);
        }

        var segments = new List<Segment>();
        if (phoff != 0 && phnum > 0 && phentsize >= (is64 ? 56 : 32))
        {
            if (phnum > MaxSegments) throw new InvalidDataException($"ELF file declares {phnum} program headers");
            var table = ReadRange(stream, length, phoff, (ulong)phentsize * (ulong)phnum, "program header table");
            var t = new FieldReader(table, bigEndian);
            for (var i = 0; i < phnum; i++)
            {
                var o = i * phentsize;
                segments.Add(is64
                    ? new Segment(t.U32(o), t.U32(o + 4), t.U64(o + 8), t.U64(o + 16), t.U64(o + 32))
                    : new Segment(t.U32(o), t.U32(o + 24), t.U32(o + 4), t.U32(o + 8), t.U32(o + 16)));
            }
        }

        var sections = new List<Section>();
        if (shoff != 0 && shentsize >= (is64 ? 64 : 40))
        {
            // Extended numbering: more than 0xff00 sections put the real count in section 0's size field.
            if (shnum == 0)
            {
                var first = ReadRange(stream, length, shoff, (ulong)shentsize, "section header");
                var f = new FieldReader(first, bigEndian);
                var extended = is64 ? f.U64(32) : f.U32(20);
                if (extended > MaxSections) throw new InvalidDataException($"ELF file declares {extended} sections");
                shnum = (int)extended;
            }
            if (shnum > MaxSections) throw new InvalidDataException($"ELF file declares {shnum} sections");
            var table = ReadRange(stream, length, shoff, (ulong)shentsize * (ulong)shnum, "section header table");
            var t = new FieldReader(table, bigEndian);
            var raw = new List<(uint Name, uint Type, ulong Flags, ulong Addr, ulong Offset, ulong Size)>(shnum);
            for (var i = 0; i < shnum; i++)
            {
                var o = i * shentsize;
                raw.Add(is64
                    ? (t.U32(o), t.U32(o + 4), t.U64(o + 8), t.U64(o + 16), t.U64(o + 24), t.U64(o + 32))
                    : (t.U32(o), t.U32(o + 4), t.U32(o + 8), t.U32(o + 12), t.U32(o + 16), t.U32(o + 20)));
            }
            byte[] names = [];
            if (shstrndx == 0xffff && raw.Count > 0)
                shstrndx = (int)new FieldReader(ReadRange(stream, length, shoff, (ulong)shentsize, "section header"), bigEndian).U32(is64 ? 44 : 28);
            if (shstrndx > 0 && shstrndx < raw.Count && raw[shstrndx].Type != SectionNoBits)
                names = ReadRange(stream, length, raw[shstrndx].Offset, Math.Min(raw[shstrndx].Size, 1 << 24), "section name table");
            foreach (var s in raw)
                sections.Add(new Section(NameAt(names, s.Name), s.Type, s.Flags, s.Addr, s.Offset, s.Size));
        }
        return new ElfFile(stream, is64, bigEndian, sections, segments);
    }

    public int PointerSize => Is64 ? 8 : 4;

    public Section? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The bytes of <paramref name="section"/>, refusing sections larger than <paramref name="maxBytes"/>.</summary>
    public byte[] ReadSection(Section section, long maxBytes)
    {
        if (section.Type == SectionNoBits) return [];
        if (section.Size > (ulong)maxBytes)
            throw new InvalidDataException($"ELF section {section.Name} is {section.Size} bytes, more than the {maxBytes} byte limit");
        return ReadRange(_stream, _stream.Length, section.Offset, section.Size, "section " + section.Name);
    }

    /// <summary>Up to <paramref name="count"/> bytes at virtual address <paramref name="address"/>, from the loadable segment holding it; null when no segment maps it.</summary>
    public byte[]? ReadVirtual(ulong address, ulong count)
    {
        foreach (var segment in Segments)
        {
            if (segment.Type != SegmentLoad || address < segment.VirtualAddress || address - segment.VirtualAddress >= segment.FileSize) continue;
            var within = address - segment.VirtualAddress;
            var available = Math.Min(count, segment.FileSize - within);
            return ReadRange(_stream, _stream.Length, segment.Offset + within, available, "segment data");
        }
        // Files with section headers but odd program headers: fall back to the allocated sections.
        foreach (var section in Sections)
        {
            if (section.Type == SectionNoBits || section.Address == 0 || address < section.Address || address - section.Address >= section.Size) continue;
            var within = address - section.Address;
            return ReadRange(_stream, _stream.Length, section.Offset + within, Math.Min(count, section.Size - within), "section data");
        }
        return null;
    }

    public ulong ReadPointer(ReadOnlySpan<byte> data, bool bigEndian) => (Is64, bigEndian) switch
    {
        (true, false) => BinaryPrimitives.ReadUInt64LittleEndian(data),
        (true, true) => BinaryPrimitives.ReadUInt64BigEndian(data),
        (false, false) => BinaryPrimitives.ReadUInt32LittleEndian(data),
        (false, true) => BinaryPrimitives.ReadUInt32BigEndian(data),
    };

    private static string NameAt(byte[] table, uint offset)
    {
        if (offset >= table.Length) return "";
        var end = Array.IndexOf(table, (byte)0, (int)offset);
        return Encoding.ASCII.GetString(table, (int)offset, (end < 0 ? table.Length : end) - (int)offset);
    }

    private static byte[] ReadRange(Stream stream, long length, ulong offset, ulong count, string what)
    {
        if (offset > (ulong)length || count > (ulong)length - offset || count > int.MaxValue)
            throw new InvalidDataException($"ELF {what} at offset {offset} ({count} bytes) lies outside the {length} byte file");
        var buffer = new byte[count];
        stream.Position = (long)offset;
        if (ReadFully(stream, buffer) != buffer.Length) throw new InvalidDataException($"ELF {what}: unexpected end of file");
        return buffer;
    }

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0) total += read;
        return total;
    }

    private readonly ref struct FieldReader(ReadOnlySpan<byte> data, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public ushort U16(int o) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_data[o..]) : BinaryPrimitives.ReadUInt16LittleEndian(_data[o..]);
        public uint U32(int o) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_data[o..]) : BinaryPrimitives.ReadUInt32LittleEndian(_data[o..]);
        public ulong U64(int o) => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(_data[o..]) : BinaryPrimitives.ReadUInt64LittleEndian(_data[o..]);
    }
}
