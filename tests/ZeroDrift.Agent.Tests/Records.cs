using System.Diagnostics;
using System.Net;
using System.Text;
using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Agent.Tests;

/// <summary>Sensor records byte for byte as bpf/events.h lays them out, for feeding the loop without a kernel.</summary>
internal static class Records
{
    private static void Header(Span<byte> s, EventType type, int size, ulong ktime, ulong cgroup, int pid)
    {
        BitConverter.TryWriteBytes(s[0..], EventLayout.Version);
        BitConverter.TryWriteBytes(s[2..], (ushort)type);
        BitConverter.TryWriteBytes(s[4..], (uint)size);
        BitConverter.TryWriteBytes(s[8..], ktime);
        BitConverter.TryWriteBytes(s[16..], cgroup);
        BitConverter.TryWriteBytes(s[24..], (uint)pid);
        BitConverter.TryWriteBytes(s[28..], (uint)pid);
    }

    /// <summary>An exec record; <paramref name="extra"/> fills the fields of layout version 2 (ids in the pid namespace, tty, capabilities, env).</summary>
    public static byte[] Exec(ulong cgroup, int pid, int ppid, string path, string[] args, ExeFlags flags = ExeFlags.Overlay, ulong ktime = 0, uint uid = 0,
        ExecExtra? extra = null)
    {
        var x = extra ?? new ExecExtra();
        var argBytes = args.SelectMany(a => Encoding.UTF8.GetBytes(a).Append((byte)0)).ToArray();
        var envBytes = x.Env.SelectMany(a => Encoding.UTF8.GetBytes(a).Append((byte)0)).ToArray();
        var p = Encoding.UTF8.GetBytes(path);
        var c = "/"u8.ToArray();
        var n = EventLayout.ExecSize;
        var bytes = new byte[n + p.Length + argBytes.Length + c.Length + envBytes.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Exec, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], (uint)ppid);
        BitConverter.TryWriteBytes(s[36..], uid);
        BitConverter.TryWriteBytes(s[40..], x.Gid);
        BitConverter.TryWriteBytes(s[56..], x.Inode);
        BitConverter.TryWriteBytes(s[64..], x.Device);
        BitConverter.TryWriteBytes(s[68..], (uint)flags);
        BitConverter.TryWriteBytes(s[72..], (ushort)p.Length);
        BitConverter.TryWriteBytes(s[74..], (ushort)argBytes.Length);
        BitConverter.TryWriteBytes(s[76..], (ushort)c.Length);
        BitConverter.TryWriteBytes(s[80..], x.Size);
        BitConverter.TryWriteBytes(s[88..], x.MtimeNs);
        BitConverter.TryWriteBytes(s[96..], x.MtimeNs);
        BitConverter.TryWriteBytes(s[104..], x.CapPermitted);
        BitConverter.TryWriteBytes(s[112..], x.CapEffective);
        BitConverter.TryWriteBytes(s[120..], x.CapInheritable);
        BitConverter.TryWriteBytes(s[128..], x.Vpid);
        BitConverter.TryWriteBytes(s[132..], x.Vpgid);
        BitConverter.TryWriteBytes(s[136..], x.Vsid);
        BitConverter.TryWriteBytes(s[140..], x.Tty);
        BitConverter.TryWriteBytes(s[144..], uint.MaxValue);
        BitConverter.TryWriteBytes(s[148..], (ushort)envBytes.Length);
        BitConverter.TryWriteBytes(s[164..], (uint)x.ParentClass);
        p.CopyTo(s[n..]);
        argBytes.CopyTo(s[(n + p.Length)..]);
        c.CopyTo(s[(n + p.Length + argBytes.Length)..]);
        envBytes.CopyTo(s[(n + p.Length + argBytes.Length + c.Length)..]);
        return bytes;
    }

    public static byte[] Open(ulong cgroup, int pid, string path, uint flags, int result = 3, OpenReason reason = OpenReason.Sensitive, ulong ktime = 0)
    {
        var p = Encoding.UTF8.GetBytes(path);
        var bytes = new byte[EventLayout.OpenSize + p.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Open, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], result);
        BitConverter.TryWriteBytes(s[36..], flags);
        BitConverter.TryWriteBytes(s[44..], -100);
        BitConverter.TryWriteBytes(s[48..], (ushort)p.Length);
        BitConverter.TryWriteBytes(s[50..], (ushort)reason);
        p.CopyTo(s[56..]);
        return bytes;
    }

    public static byte[] Connect(ulong cgroup, int pid, IPAddress local, IPAddress remote, ushort port, int result = 0, ulong ktime = 0)
    {
        var bytes = new byte[EventLayout.NetSize];
        var s = bytes.AsSpan();
        Header(s, EventType.Connect, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], result);
        BitConverter.TryWriteBytes(s[36..], (ushort)2);
        s[38] = 6;
        s[39] = 1;
        BitConverter.TryWriteBytes(s[40..], (ushort)40000);
        BitConverter.TryWriteBytes(s[42..], port);
        local.GetAddressBytes().CopyTo(s[48..]);
        remote.GetAddressBytes().CopyTo(s[64..]);
        return bytes;
    }

    /// <summary>A DNS question sent to a resolver (direction 0), with a minimal payload.</summary>
    public static byte[] DnsQuestion(ulong cgroup, int pid, IPAddress server, ulong ktime = 0)
    {
        byte[] payload = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0, 0, 1, 0, 1];
        var bytes = new byte[EventLayout.DnsSize + payload.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Dns, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], (ushort)2);
        BitConverter.TryWriteBytes(s[36..], (ushort)40000);
        BitConverter.TryWriteBytes(s[38..], (ushort)53);
        server.GetAddressBytes().CopyTo(s[40..]);
        BitConverter.TryWriteBytes(s[56..], (ushort)payload.Length);
        BitConverter.TryWriteBytes(s[60..], (uint)payload.Length);
        payload.CopyTo(s[64..]);
        return bytes;
    }

    /// <summary>An exit record with the wait status the kernel reports (code &lt;&lt; 8 | signal).</summary>
    public static byte[] Exit(ulong cgroup, int pid, int ppid, int waitStatus, ulong ktime = 0)
    {
        var bytes = new byte[EventLayout.ExitSize];
        var s = bytes.AsSpan();
        Header(s, EventType.Exit, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], (uint)waitStatus);
        BitConverter.TryWriteBytes(s[36..], (uint)ppid);
        return bytes;
    }

    /// <summary>The wait status of a child as .NET reports its exit (128 + signal for a process killed by one).</summary>
    public static int WaitStatus(int exitCode) => exitCode > 128 ? exitCode - 128 : exitCode << 8;

    public static ulong Now() => (ulong)AlertPublisher.MonotonicNs();

    /// <summary>One record handled as the sensor's thread does: in place, then the poll round's drain.</summary>
    public static void Feed(AgentLoop loop, byte[] bytes)
    {
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out var error), error);
        loop.OnEvent(ev, AlertPublisher.MonotonicNs());
        loop.Drain();
    }

    /// <summary>The inode number of a directory: what the kernel reports as a cgroup's id.</summary>
    public static ulong Inode(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Exec fields of layout version 2 for <see cref="Records.Exec"/>.</summary>
internal sealed record ExecExtra
{
    public uint Gid { get; init; }
    public ulong Inode { get; init; } = 1065939;
    public uint Device { get; init; } = 41;
    public ulong Size { get; init; } = 4096;
    public long MtimeNs { get; init; } = 1_700_000_000_000_000_000;
    public ulong CapPermitted { get; init; }
    public ulong CapEffective { get; init; }
    public ulong CapInheritable { get; init; }
    public uint Vpid { get; init; }
    public uint Vpgid { get; init; }
    public uint Vsid { get; init; }
    public uint Tty { get; init; }
    public string[] Env { get; init; } = [];
    /// <summary>Who started it, as the kernel classes the parent.</summary>
    public ExecParentClass ParentClass { get; init; }
}
