using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>Reads struct zde_record (enforce.bpf.c) into a <see cref="BlockedAction"/>.</summary>
internal static class BlockedRecord
{
    public const int Size = 80 + PathMax;
    private const int PathMax = 256;
    private const uint KindExec = 1, KindConnect = 2, KindSendmsg = 3;
    private const int IpProtoTcp = 6, IpProtoUdp = 17;

    /// <param name="clockOffsetNs">CLOCK_REALTIME − CLOCK_MONOTONIC, to turn the kernel's time into a date.</param>
    public static BlockedAction? TryParse(ReadOnlySpan<byte> r, long clockOffsetNs)
    {
        if (r.Length < Size) return null;
        var ktime = BinaryPrimitives.ReadInt64LittleEndian(r);
        var cgroup = BinaryPrimitives.ReadUInt64LittleEndian(r[8..]);
        var dev = BinaryPrimitives.ReadUInt64LittleEndian(r[16..]);
        var ino = BinaryPrimitives.ReadUInt64LittleEndian(r[24..]);
        var kind = BinaryPrimitives.ReadUInt32LittleEndian(r[32..]);
        var pid = BinaryPrimitives.ReadInt32LittleEndian(r[36..]);
        var reasons = (BlockReasons)BinaryPrimitives.ReadUInt32LittleEndian(r[40..]);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(r[44..]);
        var port = BinaryPrimitives.ReadUInt16LittleEndian(r[46..]);
        var protocol = BinaryPrimitives.ReadInt32LittleEndian(r[64..]);
        var pathLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(r[68..]), PathMax);
        var policy = BinaryPrimitives.ReadUInt32LittleEndian(r[72..]);
        var signal = BinaryPrimitives.ReadInt32LittleEndian(r[76..]);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((ktime + clockOffsetNs) / 100);
        switch (kind)
        {
            case KindExec:
                var path = Encoding.UTF8.GetString(r.Slice(80, pathLength));
                return new BlockedAction("exec", cgroup, pid, path, dev, ino, null, at) { Reasons = reasons, KernelTimeNs = ktime, Policy = policy, SignalResult = signal };
            case KindConnect or KindSendmsg:
                IPAddress? address = family switch
                {
                    2 => new IPAddress(r.Slice(48, 4)),
                    10 => new IPAddress(r.Slice(48, 16)),
                    _ => null,
                };
                if (address is null) return null;
                var proto = protocol switch { IpProtoTcp => "tcp", IpProtoUdp => "udp", _ => kind == KindSendmsg ? "udp" : null };
                return new BlockedAction("connect", cgroup, pid, null, 0, 0, new IPEndPoint(address, port), at)
                    { Reasons = reasons, Protocol = proto, KernelTimeNs = ktime, Policy = policy };
            default:
                return null;
        }
    }
}
