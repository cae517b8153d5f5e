using System.Buffers.Binary;
using System.Text;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>
/// Writes small but well-formed ELF files for binary cataloger tests: one loadable segment mapping the whole file at
/// <see cref="BaseAddress"/>, the given sections from file offset <see cref="FirstSectionOffset"/> (16-byte aligned),
/// then .shstrtab and the section header table.
/// </summary>
internal static class ElfBuilder
{
    public const ulong BaseAddress = 0x400000;
    public const int FirstSectionOffset = 0x1000;

    /// <summary>The virtual address section number <paramref name="index"/> will have, given the sizes of those before it.</summary>
    public static ulong AddressOf(IReadOnlyList<int> sizesBefore) =>
        BaseAddress + (ulong)sizesBefore.Aggregate(FirstSectionOffset, (offset, size) => Align(offset + size));

    public static byte[] Build(IReadOnlyList<(string Name, byte[] Data)> sections, bool is64 = true, bool bigEndian = false)
    {
        var ehsize = is64 ? 64 : 52;
        var phentsize = is64 ? 56 : 32;
        var shentsize = is64 ? 64 : 40;
        var names = new MemoryStream();
        names.WriteByte(0);
        var nameOffsets = new List<int>();
        foreach (var (name, _) in sections.Append((".shstrtab", Array.Empty<byte>())))
        {
            nameOffsets.Add((int)names.Length);
            names.Write(Encoding.ASCII.GetBytes(name));
            names.WriteByte(0);
        }
        var offsets = new List<int>();
        var offset = FirstSectionOffset;
        foreach (var (_, data) in sections)
        {
            offsets.Add(offset);
            offset = Align(offset + data.Length);
        }
        var shstrtabOffset = offset;
        offset = Align(offset + (int)names.Length);
        var shoff = offset;
        var shnum = sections.Count + 2;
        var file = new byte[shoff + shnum * shentsize];

        void U16(int at, int v) { if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at), (ushort)v); }
        void U32(int at, long v) { if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at), (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), (uint)v); }
        void U64(int at, ulong v) { if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(file.AsSpan(at), v); else BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at), v); }

        file[0] = 0x7f; file[1] = (byte)'E'; file[2] = (byte)'L'; file[3] = (byte)'F';
        file[4] = (byte)(is64 ? 2 : 1);
        file[5] = (byte)(bigEndian ? 2 : 1);
        file[6] = 1;
        U16(16, 2); // ET_EXEC
        U16(18, is64 ? 62 : 3);
        U32(20, 1);
        if (is64)
        {
            U64(32, (ulong)ehsize); U64(40, (ulong)shoff);
            U16(52, ehsize); U16(54, phentsize); U16(56, 1); U16(58, shentsize); U16(60, shnum); U16(62, shnum - 1);
            var ph = ehsize;
            U32(ph, 1); U32(ph + 4, 6); U64(ph + 8, 0); U64(ph + 16, BaseAddress); U64(ph + 24, BaseAddress);
            U64(ph + 32, (ulong)file.Length); U64(ph + 40, (ulong)file.Length); U64(ph + 48, 0x1000);
        }
        else
        {
            U32(28, ehsize); U32(32, shoff);
            U16(40, ehsize); U16(42, phentsize); U16(44, 1); U16(46, shentsize); U16(48, shnum); U16(50, shnum - 1);
            var ph = ehsize;
            U32(ph, 1); U32(ph + 4, 0); U32(ph + 8, (long)BaseAddress); U32(ph + 12, (long)BaseAddress);
            U32(ph + 16, file.Length); U32(ph + 20, file.Length); U32(ph + 24, 6); U32(ph + 28, 0x1000);
        }
        for (var i = 0; i < sections.Count; i++) sections[i].Data.CopyTo(file, offsets[i]);
        names.ToArray().CopyTo(file, shstrtabOffset);

        void Header(int index, int nameOffset, uint type, ulong flags, ulong address, int dataOffset, int size)
        {
            var at = shoff + index * shentsize;
            U32(at, nameOffset); U32(at + 4, type);
            if (is64) { U64(at + 8, flags); U64(at + 16, address); U64(at + 24, (ulong)dataOffset); U64(at + 32, (ulong)size); U64(at + 48, 1); }
            else { U32(at + 8, (long)flags); U32(at + 12, (long)address); U32(at + 16, dataOffset); U32(at + 20, size); U32(at + 32, 1); }
        }
        for (var i = 0; i < sections.Count; i++)
            Header(i + 1, nameOffsets[i], 1, 3, BaseAddress + (ulong)offsets[i], offsets[i], sections[i].Data.Length);
        Header(shnum - 1, nameOffsets[^1], 3, 0, 0, shstrtabOffset, (int)names.Length);
        return file;
    }

    private static int Align(int value) => (value + 15) & ~15;
}
