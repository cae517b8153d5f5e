using System.Net;
using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Events;

/// <summary>
/// One record from the ring buffer, read in place: a view over bytes owned by the ring buffer for the duration
/// of the callback. Typed accessors copy the fixed part (a struct, no heap allocation); string parts are spans.
/// A consumer that keeps an event past the callback copies what it needs.
/// </summary>
public readonly ref struct SensorEvent
{
    public ReadOnlySpan<byte> Bytes { get; }

    private SensorEvent(ReadOnlySpan<byte> bytes) => Bytes = bytes;

    /// <summary>Validates version, type and sizes; a record that does not fit its declared layout is rejected.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out SensorEvent ev, out string? error)
    {
        ev = default;
        error = null;
        if (bytes.Length < EventLayout.HeaderSize) { error = $"record of {bytes.Length} bytes is shorter than the header"; return false; }
        var h = MemoryMarshal.Read<EventHeader>(bytes);
        if (h.Version != EventLayout.Version) { error = $"record version {h.Version}, expected {EventLayout.Version}"; return false; }
        if (h.Size > bytes.Length || h.Size < EventLayout.HeaderSize) { error = $"record size {h.Size} does not fit the {bytes.Length} bytes received"; return false; }
        bytes = bytes[..(int)h.Size];
        var fixedSize = h.Type switch
        {
            EventType.Exec => EventLayout.ExecSize,
            EventType.Exit => EventLayout.ExitSize,
            EventType.Open => EventLayout.OpenSize,
            EventType.Connect or EventType.Accept or EventType.Bind or EventType.Listen => EventLayout.NetSize,
            EventType.Dns => EventLayout.DnsSize,
            EventType.Syscall => EventLayout.SyscallSize,
            _ => -1,
        };
        if (fixedSize < 0) { error = $"unknown record type {(ushort)h.Type}"; return false; }
        if (bytes.Length < fixedSize) { error = $"{EventLayout.Name(h.Type)} record of {bytes.Length} bytes, expected at least {fixedSize}"; return false; }
        var variable = h.Type switch
        {
            EventType.Exec => Exec(bytes) is var e ? e.PathLen + e.ArgsLen + e.CwdLen + e.EnvLen : 0,
            EventType.Open => MemoryMarshal.Read<OpenRecord>(bytes).PathLen,
            EventType.Dns => MemoryMarshal.Read<DnsRecord>(bytes).PayloadLen,
            EventType.Syscall => MemoryMarshal.Read<SyscallRecord>(bytes) is var sc ? (int)Math.Min(sc.StrLen, int.MaxValue / 2) + sc.Str2Len + sc.BaseLen + sc.Base2Len : 0,
            _ => 0,
        };
        if (fixedSize + variable > bytes.Length) { error = $"{EventLayout.Name(h.Type)} record declares {variable} bytes of strings beyond its {bytes.Length} bytes"; return false; }
        ev = new SensorEvent(bytes);
        return true;
    }

    private static ExecRecord Exec(ReadOnlySpan<byte> bytes) => MemoryMarshal.Read<ExecRecord>(bytes);

    public EventHeader Header => MemoryMarshal.Read<EventHeader>(Bytes);
    public EventType Type => Header.Type;

    public ExecRecord AsExec() => MemoryMarshal.Read<ExecRecord>(Bytes);
    public ExitRecord AsExit() => MemoryMarshal.Read<ExitRecord>(Bytes);
    public OpenRecord AsOpen() => MemoryMarshal.Read<OpenRecord>(Bytes);
    public NetRecord AsNet() => MemoryMarshal.Read<NetRecord>(Bytes);
    public DnsRecord AsDns() => MemoryMarshal.Read<DnsRecord>(Bytes);
    public SyscallRecord AsSyscall() => MemoryMarshal.Read<SyscallRecord>(Bytes);

    public ReadOnlySpan<byte> ExePath { get { var e = AsExec(); return Bytes.Slice(EventLayout.ExecSize, e.PathLen); } }
    /// <summary>argv as the kernel holds it: NUL-separated (and NUL-terminated unless truncated).</summary>
    public ReadOnlySpan<byte> Args { get { var e = AsExec(); return Bytes.Slice(EventLayout.ExecSize + e.PathLen, e.ArgsLen); } }
    public ReadOnlySpan<byte> Cwd { get { var e = AsExec(); return Bytes.Slice(EventLayout.ExecSize + e.PathLen + e.ArgsLen, e.CwdLen); } }
    /// <summary>The environment: NAME=value entries, NUL-separated (bounded; see <see cref="ExecRecord.EnvTruncated"/>).</summary>
    public ReadOnlySpan<byte> Env { get { var e = AsExec(); return Bytes.Slice(EventLayout.ExecSize + e.PathLen + e.ArgsLen + e.CwdLen, e.EnvLen); } }
    public ReadOnlySpan<byte> OpenPath => Bytes.Slice(EventLayout.OpenSize, AsOpen().PathLen);
    public ReadOnlySpan<byte> DnsPayload => Bytes.Slice(EventLayout.DnsSize, AsDns().PayloadLen);
    public ReadOnlySpan<byte> SyscallString => Bytes.Slice(EventLayout.SyscallSize, (int)AsSyscall().StrLen);
    /// <summary>The second string argument (rename's new path, link's new path, symlink's link path).</summary>
    public ReadOnlySpan<byte> SyscallString2 { get { var s = AsSyscall(); return Bytes.Slice(EventLayout.SyscallSize + (int)s.StrLen, s.Str2Len); } }
    /// <summary>The directory the first string starts from when it is relative (its dirfd's path or the cwd); for a
    /// call on a descriptor alone (fchmod), the descriptor's path.</summary>
    public ReadOnlySpan<byte> SyscallBase { get { var s = AsSyscall(); return Bytes.Slice(EventLayout.SyscallSize + (int)s.StrLen + s.Str2Len, s.BaseLen); } }
    /// <summary>The directory the second string starts from when it is relative.</summary>
    public ReadOnlySpan<byte> SyscallBase2 { get { var s = AsSyscall(); return Bytes.Slice(EventLayout.SyscallSize + (int)s.StrLen + s.Str2Len + s.BaseLen, s.Base2Len); } }

    /// <summary>An address as .NET sees it (allocates: for consumers off the hot path).</summary>
    public static IPAddress Address(ushort family, in Addr16 bytes) =>
        family == 10 ? new IPAddress(((ReadOnlySpan<byte>)bytes)[..16]) : new IPAddress(((ReadOnlySpan<byte>)bytes)[..4]);
}
