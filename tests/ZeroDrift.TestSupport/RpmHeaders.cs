using System.Buffers.Binary;
using System.Text;

namespace ZeroDrift.TestSupport;

/// <summary>rpm header blobs as rpm stores them in its database, for tests that need one without rpm: a big-endian
/// index count and data length, 16-byte index entries (tag, type, offset, count), then the data store.</summary>
public static class RpmHeaders
{
    public const int StringType = 6;

    /// <summary>A header of string tags (NAME 1000, VERSION 1001, RELEASE 1002, ARCH 1022…).</summary>
    public static byte[] Strings(params (int Tag, string Value)[] strings) =>
        Build([.. strings.Select(s => (s.Tag, StringType, Encoding.UTF8.GetBytes(s.Value + "\0")))], [.. strings.Select(_ => 1)]);

    /// <summary>A header of any entries, each with its type and count as given (malformed ones included).</summary>
    public static byte[] Build((int Tag, int Type, byte[] Data)[] entries, int[] counts)
    {
        var data = new MemoryStream();
        var index = new List<byte>();
        for (var i = 0; i < entries.Length; i++)
        {
            var e = new byte[16];
            BinaryPrimitives.WriteInt32BigEndian(e, entries[i].Tag);
            BinaryPrimitives.WriteInt32BigEndian(e.AsSpan(4), entries[i].Type);
            BinaryPrimitives.WriteInt32BigEndian(e.AsSpan(8), (int)data.Length);
            BinaryPrimitives.WriteInt32BigEndian(e.AsSpan(12), counts[i]);
            index.AddRange(e);
            data.Write(entries[i].Data);
        }
        var blob = new byte[8 + index.Count + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(blob, entries.Length);
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(4), (int)data.Length);
        index.CopyTo(blob, 8);
        data.ToArray().CopyTo(blob, 8 + index.Count);
        return blob;
    }
}
