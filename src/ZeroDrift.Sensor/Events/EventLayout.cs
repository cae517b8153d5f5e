using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Events;

/// <summary>Event types of the wire format (bpf/events.h, enum zd_type).</summary>
public enum EventType : ushort
{
    Exec = 1,
    Exit = 2,
    Open = 3,
    Connect = 4,
    Accept = 5,
    Bind = 6,
    Listen = 7,
    Dns = 8,
    Syscall = 9,
}

/// <summary>Flags on an executable (zd_exec.exe_flags).</summary>
[Flags]
public enum ExeFlags : uint
{
    None = 0,
    Overlay = 1,
    UpperLayer = 2,
    Memfd = 4,
    Deleted = 8,
}

/// <summary>
/// Who started a process, as its container's profile knows it (zd_exec.parent_class, bpf/lineage.h; enforcement
/// decides on the same classes).
/// </summary>
public enum ExecParentClass : uint
{
    /// <summary>A parent in the same container (same cgroup and pid namespace level), or any parent of a host
    /// process: known by its executable.</summary>
    Known = 0,
    /// <summary>The runtime starting the container's init (pid 1 of its pid namespace): the entrypoint, and what pid 1
    /// exec's into later.</summary>
    Entry = 1,
    /// <summary>The runtime's exec path into a running container: <c>podman exec</c>, <c>kubectl exec</c>.</summary>
    RuntimeExec = 2,
}

/// <summary>Why an open was reported (zd_open.reason).</summary>
[Flags]
public enum OpenReason : ushort
{
    None = 0,
    Write = 1,
    Sensitive = 2,
    Watched = 4,
}

/// <summary>
/// The records of bpf/events.h, byte for byte (little-endian, naturally aligned). Every record begins with a
/// <see cref="EventHeader"/>; variable strings follow the fixed part, their lengths in the fixed part.
/// </summary>
public static class EventLayout
{
    /// <summary>2: exec records carry the executable's size and times, capabilities, ids in the pid namespace, tty, loginuid, env and the parent's executable.
    /// 3: exec records carry the task's comm; notable syscalls come at their exit with the result, comm, credentials, capabilities and path arguments.</summary>
    public const ushort Version = 3;
    public const int TypeCount = 10;
    public const int HeaderSize = 32;
    public const int ExecSize = 184;
    public const int ExitSize = 40;
    public const int OpenSize = 56;
    public const int NetSize = 80;
    public const int DnsSize = 64;
    public const int SyscallSize = 168;

    public static string Name(EventType type) => type switch
    {
        EventType.Exec => "exec",
        EventType.Exit => "exit",
        EventType.Open => "open",
        EventType.Connect => "connect",
        EventType.Accept => "accept",
        EventType.Bind => "bind",
        EventType.Listen => "listen",
        EventType.Dns => "dns",
        EventType.Syscall => "syscall",
        _ => "unknown",
    };

    public static bool TryParseName(string name, out EventType type)
    {
        foreach (var t in Enum.GetValues<EventType>())
        {
            if (string.Equals(Name(t), name, StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct EventHeader
{
    public readonly ushort Version;
    public readonly EventType Type;
    public readonly uint Size;
    public readonly ulong KTime;
    public readonly ulong CgroupId;
    public readonly uint Pid;
    public readonly uint Tgid;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct ExecRecord
{
    public readonly EventHeader Header;
    public readonly uint Ppid, Uid, Gid, Euid;
    public readonly uint PidNs, MntNs;
    public readonly ulong ExeIno;
    public readonly uint ExeDev;
    public readonly ExeFlags ExeFlags;
    public readonly ushort PathLen, ArgsLen, CwdLen, ArgsTruncated;
    public readonly ulong ExeSize;
    /// <summary>The executable's inode times, nanoseconds since the epoch.</summary>
    public readonly long ExeMtimeNs, ExeCtimeNs;
    /// <summary>Capability bit sets (bit n = capability n) of the new program.</summary>
    public readonly ulong CapPermitted, CapEffective, CapInheritable;
    /// <summary>Process, process-group and session ids in the process's own pid namespace (0: not visible there).</summary>
    public readonly uint Vpid, Vpgid, Vsid;
    /// <summary>The controlling terminal's device number (new_encode_dev), 0 without one.</summary>
    public readonly uint Tty;
    /// <summary>The audit login uid; <see cref="uint.MaxValue"/> when unset.</summary>
    public readonly uint LoginUid;
    public readonly ushort EnvLen, EnvTruncated;
    /// <summary>The parent's executable (its inode and s_dev; 0 when the parent has none).</summary>
    public readonly ulong ParentExeIno;
    public readonly uint ParentExeDev;
    /// <summary>Who started it as the profile knows it: the parent above (in the container), or the runtime.</summary>
    public readonly ExecParentClass ParentClass;
    /// <summary>The task's name after the exec (TASK_COMM_LEN bytes, NUL-padded): what Falco's proc.name reads.</summary>
    public readonly Comm16 Comm;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct ExitRecord
{
    public readonly EventHeader Header;
    public readonly uint ExitStatus;
    public readonly uint Ppid;

    /// <summary>The exit code when the process exited normally (wait status bits 8..15).</summary>
    public int Code => (int)((ExitStatus >> 8) & 0xff);

    /// <summary>The signal that killed the process, 0 when it exited.</summary>
    public int Signal => (int)(ExitStatus & 0x7f);
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct OpenRecord
{
    public readonly EventHeader Header;
    public readonly int Result;
    public readonly uint Flags;
    public readonly uint Mode;
    public readonly int DirFd;
    public readonly ushort PathLen;
    public readonly OpenReason Reason;
    public readonly uint Pad;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct NetRecord
{
    public readonly EventHeader Header;
    public readonly int Result;
    public readonly ushort Family;
    public readonly byte Protocol;
    public readonly byte SockType;
    public readonly ushort LocalPort, RemotePort;
    public readonly uint Backlog;
    public readonly Addr16 LocalAddr;
    public readonly Addr16 RemoteAddr;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct DnsRecord
{
    public readonly EventHeader Header;
    public readonly ushort Family;
    public readonly ushort Direction;
    public readonly ushort LocalPort, RemotePort;
    public readonly Addr16 RemoteAddr;
    public readonly ushort PayloadLen;
    /// <summary>IPPROTO_UDP (17) or IPPROTO_TCP (6); 0 (the former padding) reads as UDP.</summary>
    public readonly byte Protocol;
    public readonly byte Pad;
    public readonly uint OriginalLen;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct SyscallRecord
{
    public readonly EventHeader Header;
    public readonly uint Nr;
    public readonly uint StrLen;
    public readonly ulong Arg0, Arg1, Arg2, Arg3, Arg4, Arg5;
    /// <summary>The syscall's return value.</summary>
    public readonly long Result;
    /// <summary>Credentials after the call.</summary>
    public readonly uint Uid, Gid, Euid, Egid;
    /// <summary>Capability sets after the call (bit n = capability n).</summary>
    public readonly ulong CapPermitted, CapEffective, CapInheritable;
    /// <summary>The task's name at the call.</summary>
    public readonly Comm16 Comm;
    /// <summary>Second string argument, and the directories the first and second start from (empty when absolute).</summary>
    public readonly ushort Str2Len, BaseLen, Base2Len;
    /// <summary>1: reported at the syscall's entry (this kernel has no exit hook for it): <see cref="Result"/> means nothing.</summary>
    public readonly ushort Flags;
    /// <summary>The parent's process id (real_parent): how a child forked without exec and gone from /proc is known.</summary>
    public readonly uint Ppid;
    public readonly uint Pad;

    public bool AtEntry => (Flags & 1) != 0;
}

/// <summary>A task's comm: 16 bytes, NUL-terminated unless all 16 are used.</summary>
[System.Runtime.CompilerServices.InlineArray(16)]
public struct Comm16
{
    private byte element;

    /// <summary>The name as text (up to the first NUL).</summary>
    public static string Text(in Comm16 comm)
    {
        ReadOnlySpan<byte> bytes = comm;
        var nul = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }
}

/// <summary>16 address bytes (IPv4 uses the first 4).</summary>
[System.Runtime.CompilerServices.InlineArray(16)]
public struct Addr16
{
    private byte element;
}
