using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ZeroDrift.Sensor.Events;

/// <summary>A DNS resource record as read from a captured payload; <see cref="Data"/> is the address for A/AAAA and
/// the target name for CNAME/PTR/NS, else empty.</summary>
public sealed record DnsRecordEntry(string Name, ushort Type, ushort Class, uint Ttl, string Data);

public sealed record DnsQuestion(string Name, ushort Type, ushort Class);

/// <summary>
/// A DNS message (RFC 1035) parsed from a bounded capture: header, questions, answers. Hostile input is normal
/// here (any process can send anything to port 53), so every read is bounds-checked, compression pointers must
/// point backwards and at most 16 are followed per name, and counts are capped; a capture cut short yields what
/// was complete and <see cref="Truncated"/>.
/// </summary>
public sealed record DnsMessage(ushort Id, bool IsResponse, int Opcode, int ResponseCode, IReadOnlyList<DnsQuestion> Questions, IReadOnlyList<DnsRecordEntry> Answers, bool Truncated)
{
    private const int MaxCount = 32;

    public static string TypeName(ushort type) => type switch
    {
        1 => "A", 2 => "NS", 5 => "CNAME", 6 => "SOA", 12 => "PTR", 15 => "MX", 16 => "TXT", 28 => "AAAA", 33 => "SRV",
        41 => "OPT", 65 => "HTTPS", 255 => "ANY",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The message in a DNS-over-TCP capture (RFC 1035 4.2.2: each message is preceded by its 16-bit length). A
    /// client may write the length on its own and the message in a second call: then the capture is the message
    /// itself, recognised because its first two bytes do not give the length of the rest. Of several messages in one call
    /// (pipelining), the first is read.
    /// </summary>
    public static ReadOnlySpan<byte> WithoutTcpLength(ReadOnlySpan<byte> capture, uint originalLength)
    {
        if (capture.Length < 2) return capture;
        // Only an exact match counts: a bare message starts with its random id, which would give a plausible length
        // far too often if any value up to the call's size were accepted.
        int length = BinaryPrimitives.ReadUInt16BigEndian(capture);
        if (length == originalLength - 2) return capture[2..];
        // Pipelined messages in one call: the first length, then the second's length right after it, both within
        // the call. The first message is read.
        if (length >= 12 && capture.Length >= length + 4
            && length + 4 + BinaryPrimitives.ReadUInt16BigEndian(capture[(2 + length)..]) <= originalLength)
            return capture.Slice(2, length);
        return capture;
    }

    public static bool TryParse(ReadOnlySpan<byte> m, out DnsMessage? message)
    {
        message = null;
        if (m.Length < 12) return false;
        var id = BinaryPrimitives.ReadUInt16BigEndian(m);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        var questions = new List<DnsQuestion>();
        var answers = new List<DnsRecordEntry>();
        var pos = 12;
        var truncated = false;
        for (var i = 0; i < Math.Min(qd, MaxCount); i++)
        {
            if (!TryReadName(m, ref pos, out var name) || pos + 4 > m.Length) { truncated = true; break; }
            questions.Add(new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(m[pos..]), BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..])));
            pos += 4;
        }
        for (var i = 0; !truncated && i < Math.Min(an, MaxCount); i++)
        {
            if (!TryReadName(m, ref pos, out var name) || pos + 10 > m.Length) { truncated = true; break; }
            var type = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(m[(pos + 4)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 8)..]);
            pos += 10;
            if (pos + length > m.Length) { truncated = true; break; }
            var rdata = m.Slice(pos, length);
            var data = "";
            if (type == 1 && length == 4) data = new IPAddress(rdata).ToString();
            else if (type == 28 && length == 16) data = new IPAddress(rdata).ToString();
            else if (type is 5 or 12 or 2)
            {
                var at = pos;
                if (TryReadName(m, ref at, out var target)) data = target;
            }
            answers.Add(new DnsRecordEntry(name, type, cls, ttl, data));
            pos += length;
        }
        message = new DnsMessage(id, (flags & 0x8000) != 0, (flags >> 11) & 0xf, flags & 0xf, questions, answers, truncated || qd > MaxCount || an > MaxCount);
        return true;
    }

    private static bool TryReadName(ReadOnlySpan<byte> m, ref int pos, out string name)
    {
        name = "";
        var sb = new StringBuilder();
        var at = pos;
        var jumped = false;
        var jumps = 0;
        while (true)
        {
            if (at >= m.Length) return false;
            var len = m[at];
            if (len == 0)
            {
                at++;
                break;
            }
            if ((len & 0xc0) == 0xc0)
            {
                if (at + 1 >= m.Length || ++jumps > 16) return false;
                var target = ((len & 0x3f) << 8) | m[at + 1];
                if (target >= at) return false; // pointers go backwards only: no loops
                if (!jumped) pos = at + 2;
                jumped = true;
                at = target;
                continue;
            }
            if ((len & 0xc0) != 0 || at + 1 + len > m.Length || sb.Length + len > 255) return false;
            if (sb.Length > 0) sb.Append('.');
            foreach (var b in m.Slice(at + 1, len))
                sb.Append(b is >= 0x21 and < 0x7f ? (char)b : '?');
            at += 1 + len;
        }
        if (!jumped) pos = at;
        name = sb.Length == 0 ? "." : sb.ToString();
        return true;
    }
}
