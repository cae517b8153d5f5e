using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Tests;

public partial class EventLayoutTests
{
    [GeneratedRegex(@"struct (zd_\w+) \{[^}]*\};\s+/\* (\d+)")]
    private static partial Regex SizedStruct();

    /// <summary>events.h states each record's fixed size next to its struct; the C# mirror must agree byte for byte.</summary>
    [Fact]
    public void The_csharp_records_have_the_sizes_events_h_declares()
    {
        var header = File.ReadAllText(Path.Combine(RepoPaths.Root, "src/ZeroDrift.Sensor/bpf/events.h"));
        var declared = SizedStruct().Matches(header).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(
            new Dictionary<string, int>
            {
                ["zd_hdr"] = Unsafe.SizeOf<EventHeader>(),
                ["zd_exec"] = Unsafe.SizeOf<ExecRecord>(),
                ["zd_exit"] = Unsafe.SizeOf<ExitRecord>(),
                ["zd_open"] = Unsafe.SizeOf<OpenRecord>(),
                ["zd_net"] = Unsafe.SizeOf<NetRecord>(),
                ["zd_dns"] = Unsafe.SizeOf<DnsRecord>(),
                ["zd_syscall"] = Unsafe.SizeOf<SyscallRecord>(),
            },
            declared);
        Assert.Equal(EventLayout.HeaderSize, Unsafe.SizeOf<EventHeader>());
        // Version 3: the comm follows parent_class at the end of zd_exec; the syscall record's strings follow its fixed part.
        Assert.Equal(EventLayout.ExecSize - 20, (int)Marshal.OffsetOf<ExecRecord>(nameof(ExecRecord.ParentClass)));
        Assert.Equal(EventLayout.ExecSize - 16, (int)Marshal.OffsetOf<ExecRecord>(nameof(ExecRecord.Comm)));
        Assert.Equal(88, (int)Marshal.OffsetOf<SyscallRecord>(nameof(SyscallRecord.Result)));
        Assert.Equal(136, (int)Marshal.OffsetOf<SyscallRecord>(nameof(SyscallRecord.Comm)));
        Assert.Equal(160, (int)Marshal.OffsetOf<SyscallRecord>(nameof(SyscallRecord.Ppid)));
        Assert.Contains("__u32 parent_class;", header, StringComparison.Ordinal);
        Assert.Equal(EventLayout.ExecSize, Unsafe.SizeOf<ExecRecord>());
        Assert.Equal(EventLayout.ExitSize, Unsafe.SizeOf<ExitRecord>());
        Assert.Equal(EventLayout.OpenSize, Unsafe.SizeOf<OpenRecord>());
        Assert.Equal(EventLayout.NetSize, Unsafe.SizeOf<NetRecord>());
        Assert.Equal(EventLayout.DnsSize, Unsafe.SizeOf<DnsRecord>());
        Assert.Equal(EventLayout.SyscallSize, Unsafe.SizeOf<SyscallRecord>());
    }

    internal static byte[] ExecBytes(string path, string[] args, string cwd, int? declaredSize = null)
    {
        var argBytes = args.SelectMany(a => System.Text.Encoding.UTF8.GetBytes(a).Append((byte)0)).ToArray();
        var p = System.Text.Encoding.UTF8.GetBytes(path);
        var c = System.Text.Encoding.UTF8.GetBytes(cwd);
        var bytes = new byte[EventLayout.ExecSize + p.Length + argBytes.Length + c.Length];
        var s = bytes.AsSpan();
        BitConverter.TryWriteBytes(s[0..], EventLayout.Version);
        BitConverter.TryWriteBytes(s[2..], (ushort)EventType.Exec);
        BitConverter.TryWriteBytes(s[4..], (uint)(declaredSize ?? bytes.Length));
        BitConverter.TryWriteBytes(s[8..], 123456789UL);
        BitConverter.TryWriteBytes(s[16..], 1602UL);
        BitConverter.TryWriteBytes(s[24..], 41u);
        BitConverter.TryWriteBytes(s[28..], 40u);
        BitConverter.TryWriteBytes(s[32..], 7u); // ppid
        BitConverter.TryWriteBytes(s[56..], 1065939UL); // exe inode
        BitConverter.TryWriteBytes(s[68..], (uint)(ExeFlags.Overlay | ExeFlags.UpperLayer));
        BitConverter.TryWriteBytes(s[72..], (ushort)p.Length);
        BitConverter.TryWriteBytes(s[74..], (ushort)argBytes.Length);
        BitConverter.TryWriteBytes(s[76..], (ushort)c.Length);
        BitConverter.TryWriteBytes(s[128..], 12u); // vpid
        BitConverter.TryWriteBytes(s[140..], 34816u); // tty: /dev/pts/0
        BitConverter.TryWriteBytes(s[164..], 2u); // parent class: the runtime's exec path (was padding)
        var n = EventLayout.ExecSize;
        p.CopyTo(s[n..]);
        argBytes.CopyTo(s[(n + p.Length)..]);
        c.CopyTo(s[(n + p.Length + argBytes.Length)..]);
        return bytes;
    }

    [Fact]
    public void An_exec_record_reads_in_place()
    {
        var bytes = ExecBytes("/tmp/echo", ["/tmp/echo", "hi"], "/");
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out var error), error);
        Assert.Equal(EventType.Exec, ev.Type);
        var h = ev.Header;
        Assert.Equal((123456789UL, 1602UL, 41u, 40u), (h.KTime, h.CgroupId, h.Pid, h.Tgid));
        var e = ev.AsExec();
        Assert.Equal(7u, e.Ppid);
        Assert.Equal(1065939UL, e.ExeIno);
        Assert.Equal(ExecParentClass.RuntimeExec, e.ParentClass);
        Assert.Equal("upper-layer", Output.JsonEventWriter.ExeOrigin(e.ExeFlags));
        Assert.Equal("/tmp/echo", System.Text.Encoding.UTF8.GetString(ev.ExePath));
        Assert.Equal("/tmp/echo\0hi\0", System.Text.Encoding.UTF8.GetString(ev.Args));
        Assert.Equal("/", System.Text.Encoding.UTF8.GetString(ev.Cwd));
    }

    [Fact]
    public void Records_that_do_not_fit_their_layout_are_rejected()
    {
        var good = ExecBytes("/bin/sh", ["sh"], "/");
        Assert.False(SensorEvent.TryRead(good.AsSpan(0, 20), out _, out var shortHeader));
        Assert.Contains("shorter than the header", shortHeader);
        Assert.False(SensorEvent.TryRead(ExecBytes("/bin/sh", ["sh"], "/", declaredSize: good.Length + 1), out _, out var oversize));
        Assert.Contains("does not fit", oversize);
        var lying = ExecBytes("/bin/sh", ["sh"], "/");
        BitConverter.TryWriteBytes(lying.AsSpan(74), (ushort)4000); // argv longer than the record
        Assert.False(SensorEvent.TryRead(lying, out _, out var strings));
        Assert.Contains("beyond", strings);
        var wrongVersion = ExecBytes("/bin/sh", ["sh"], "/");
        wrongVersion[0] = 9;
        Assert.False(SensorEvent.TryRead(wrongVersion, out _, out var version));
        Assert.Contains("version 9", version);
        var unknown = ExecBytes("/bin/sh", ["sh"], "/");
        unknown[2] = 77;
        Assert.False(SensorEvent.TryRead(unknown, out _, out var type));
        Assert.Contains("unknown record type 77", type);
    }

    [Fact]
    public void Exit_status_splits_into_code_and_signal()
    {
        var bytes = new byte[EventLayout.ExitSize];
        BitConverter.TryWriteBytes(bytes.AsSpan(32), (3u << 8));
        Assert.Equal((3, 0), (MemoryMarshal.Read<ExitRecord>(bytes).Code, MemoryMarshal.Read<ExitRecord>(bytes).Signal));
        BitConverter.TryWriteBytes(bytes.AsSpan(32), 9u);
        Assert.Equal((0, 9), (MemoryMarshal.Read<ExitRecord>(bytes).Code, MemoryMarshal.Read<ExitRecord>(bytes).Signal));
    }
}
