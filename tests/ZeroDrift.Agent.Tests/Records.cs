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
        BitConverter.TryWriteBytes(s[0..], (ushort)1);
        BitConverter.TryWriteBytes(s[2..], (ushort)type);
        BitConverter.TryWriteBytes(s[4..], (uint)size);
        BitConverter.TryWriteBytes(s[8..], ktime);
        BitConverter.TryWriteBytes(s[16..], cgroup);
        BitConverter.TryWriteBytes(s[24..], (uint)pid);
        BitConverter.TryWriteBytes(s[28..], (uint)pid);
    }

    public static byte[] Exec(ulong cgroup, int pid, int ppid, string path, string[] args, ExeFlags flags = ExeFlags.Overlay, ulong ktime = 0, uint uid = 0)
    {
        var argBytes = args.SelectMany(a => Encoding.UTF8.GetBytes(a).Append((byte)0)).ToArray();
        var p = Encoding.UTF8.GetBytes(path);
        var c = "/"u8.ToArray();
        var bytes = new byte[EventLayout.ExecSize + p.Length + argBytes.Length + c.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Exec, bytes.Length, ktime == 0 ? Now() : ktime, cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], (uint)ppid);
        BitConverter.TryWriteBytes(s[36..], uid);
        BitConverter.TryWriteBytes(s[56..], 1065939UL);
        BitConverter.TryWriteBytes(s[68..], (uint)flags);
        BitConverter.TryWriteBytes(s[72..], (ushort)p.Length);
        BitConverter.TryWriteBytes(s[74..], (ushort)argBytes.Length);
        BitConverter.TryWriteBytes(s[76..], (ushort)c.Length);
        p.CopyTo(s[EventLayout.ExecSize..]);
        argBytes.CopyTo(s[(EventLayout.ExecSize + p.Length)..]);
        c.CopyTo(s[(EventLayout.ExecSize + p.Length + argBytes.Length)..]);
        return bytes;
    }

    public static byte[] Open(ulong cgroup, int pid, string path, uint flags, int result = 3, OpenReason reason = OpenReason.Sensitive)
    {
        var p = Encoding.UTF8.GetBytes(path);
        var bytes = new byte[EventLayout.OpenSize + p.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Open, bytes.Length, Now(), cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], result);
        BitConverter.TryWriteBytes(s[36..], flags);
        BitConverter.TryWriteBytes(s[44..], -100);
        BitConverter.TryWriteBytes(s[48..], (ushort)p.Length);
        BitConverter.TryWriteBytes(s[50..], (ushort)reason);
        p.CopyTo(s[56..]);
        return bytes;
    }

    public static byte[] Connect(ulong cgroup, int pid, IPAddress local, IPAddress remote, ushort port, int result = 0)
    {
        var bytes = new byte[EventLayout.NetSize];
        var s = bytes.AsSpan();
        Header(s, EventType.Connect, bytes.Length, Now(), cgroup, pid);
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
    public static byte[] DnsQuestion(ulong cgroup, int pid, IPAddress server)
    {
        byte[] payload = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0, 0, 1, 0, 1];
        var bytes = new byte[EventLayout.DnsSize + payload.Length];
        var s = bytes.AsSpan();
        Header(s, EventType.Dns, bytes.Length, Now(), cgroup, pid);
        BitConverter.TryWriteBytes(s[32..], (ushort)2);
        BitConverter.TryWriteBytes(s[36..], (ushort)40000);
        BitConverter.TryWriteBytes(s[38..], (ushort)53);
        server.GetAddressBytes().CopyTo(s[40..]);
        BitConverter.TryWriteBytes(s[56..], (ushort)payload.Length);
        BitConverter.TryWriteBytes(s[60..], (uint)payload.Length);
        payload.CopyTo(s[64..]);
        return bytes;
    }

    public static ulong Now() => (ulong)AlertPublisher.MonotonicNs();

    public static void Feed(AgentLoop loop, byte[] bytes)
    {
        Assert.True(SensorEvent.TryRead(bytes, out var ev, out var error), error);
        loop.OnEvent(ev, AlertPublisher.MonotonicNs());
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
