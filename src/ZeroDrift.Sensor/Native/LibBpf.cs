using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Native;

/// <summary>
/// The slice of libbpf 1.1's API (Debian 12's libbpf1) the sensor uses. Functions that return pointers return
/// NULL and set errno on failure in libbpf 1.x, so callers read <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibBpf
{
    private const string Lib = "libbpf.so.1";

    [LibraryImport(Lib, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
    public static partial nint ObjectOpenMem(byte* buffer, nuint size, nint options);

    [LibraryImport(Lib, EntryPoint = "bpf_object__load", SetLastError = true)]
    public static partial int ObjectLoad(nint obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__close")]
    public static partial void ObjectClose(nint obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__next_program")]
    public static partial nint NextProgram(nint obj, nint previous);

    [LibraryImport(Lib, EntryPoint = "bpf_program__name")]
    public static partial byte* ProgramName(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_program__section_name")]
    public static partial byte* ProgramSection(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_program__set_autoload")]
    public static partial int ProgramSetAutoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(Lib, EntryPoint = "bpf_program__fd")]
    public static partial int ProgramFd(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_get_info_by_fd")]
    public static partial int ObjGetInfoByFd(int fd, void* info, uint* length);

    [LibraryImport(Lib, EntryPoint = "bpf_program__attach", SetLastError = true)]
    public static partial nint ProgramAttach(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_link__destroy")]
    public static partial int LinkDestroy(nint link);

    [LibraryImport(Lib, EntryPoint = "bpf_object__find_map_by_name")]
    public static partial nint FindMap(nint obj, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [LibraryImport(Lib, EntryPoint = "bpf_map__set_max_entries")]
    public static partial int MapSetMaxEntries(nint map, uint maxEntries);

    [LibraryImport(Lib, EntryPoint = "bpf_map__fd")]
    public static partial int MapFd(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map__value_size")]
    public static partial uint MapValueSize(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
    public static partial int MapUpdate(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Lib, EntryPoint = "bpf_map_lookup_elem", SetLastError = true)]
    public static partial int MapLookup(int fd, void* key, void* value);

    [LibraryImport(Lib, EntryPoint = "bpf_map_delete_elem", SetLastError = true)]
    public static partial int MapDelete(int fd, void* key);

    [LibraryImport(Lib, EntryPoint = "bpf_map_get_next_key", SetLastError = true)]
    public static partial int MapNextKey(int fd, void* key, void* nextKey);

    [LibraryImport(Lib, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int NumPossibleCpus();

    [LibraryImport(Lib, EntryPoint = "ring_buffer__new", SetLastError = true)]
    public static partial nint RingBufferNew(int mapFd, delegate* unmanaged[Cdecl]<nint, void*, nuint, int> callback, nint context, nint options);

    [LibraryImport(Lib, EntryPoint = "ring_buffer__poll", SetLastError = true)]
    public static partial int RingBufferPoll(nint ringBuffer, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "ring_buffer__consume", SetLastError = true)]
    public static partial int RingBufferConsume(nint ringBuffer);

    [LibraryImport(Lib, EntryPoint = "ring_buffer__epoll_fd")]
    public static partial int RingBufferEpollFd(nint ringBuffer);

    [LibraryImport(Lib, EntryPoint = "ring_buffer__free")]
    public static partial void RingBufferFree(nint ringBuffer);

    [LibraryImport(Lib, EntryPoint = "bpf_link__pin", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkPin(nint link, string path);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_pin", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ObjPin(int fd, string path);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_get", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ObjGet(string path);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_get_info_by_fd", SetLastError = true)]
    public static partial int ObjGetInfo(int fd, void* info, uint* length);

    /// <summary>bpf_link_create(prog_fd, target_fd, attach_type, NULL): a link fd, or a negative errno.</summary>
    [LibraryImport(Lib, EntryPoint = "bpf_link_create", SetLastError = true)]
    public static partial int LinkCreate(int programFd, int targetFd, int attachType, nint options);

    [LibraryImport(Lib, EntryPoint = "libbpf_set_print")]
    public static partial nint SetPrint(delegate* unmanaged[Cdecl]<int, byte*, nint, int> print);

    public const ulong Any = 0, NoExist = 1, Exist = 2; // BPF_ANY, BPF_NOEXIST, BPF_EXIST

    public static string Name(nint program) => Marshal.PtrToStringUTF8((nint)ProgramName(program)) ?? "?";

    public static string Section(nint program) => Marshal.PtrToStringUTF8((nint)ProgramSection(program)) ?? "?";
}

/// <summary>libc pieces: formatting libbpf's log lines and the monotonic clock events are stamped with.</summary>
internal static unsafe partial class LibC
{
    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    public static partial int VsnPrintf(byte* buffer, nuint size, byte* format, nint args);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, TimeSpec* time);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority")]
    public static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    public static partial int SchedSetScheduler(int pid, int policy, int* param);

    [LibraryImport("libc", EntryPoint = "strerror")]
    public static partial byte* StrError(int errno);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* buffer);

    /// <summary>The inode number of a path, 0 when it cannot be read (st_ino is at offset 8 on x86_64 and arm64).</summary>
    public static ulong Inode(string path)
    {
        var buffer = stackalloc byte[256];
        return Stat(path, buffer) == 0 ? *(ulong*)(buffer + 8) : 0;
    }

    /// <summary>
    /// The inode of a process's mount namespace (0 when unreadable), from the link's text (<c>mnt:[N]</c>): reading
    /// the link is allowed where following it is not (pid 1 of a sandbox refuses the latter even to root).
    /// </summary>
    public static ulong MountNamespace(string pid)
    {
        try
        {
            var target = new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget;
            if (target is ['m', 'n', 't', ':', '[', .., ']'] && ulong.TryParse(target.AsSpan(5, target.Length - 6), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ino))
                return ino;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Inode($"/proc/{pid}/ns/mnt");
    }

    /// <summary>The host's mount namespace: pid 1's (the caller itself may run in a private one), else the caller's.</summary>
    public static ulong HostMountNamespace()
    {
        var host = MountNamespace("1");
        return host != 0 ? host : MountNamespace("self");
    }

    /// <summary>st_dev and st_ino of a path (symlinks followed), null when it cannot be read.</summary>
    public static (ulong Device, ulong Inode)? DeviceAndInode(string path)
    {
        var buffer = stackalloc byte[256];
        return Stat(path, buffer) == 0 ? (*(ulong*)buffer, *(ulong*)(buffer + 8)) : null;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epollFd, int operation, int fd, byte* ev);

    public const int EfdNonBlock = 0x800, EfdCloExec = 0x80000;
    public const uint EpollIn = 0x1, EpollEt = 1u << 31;

    /// <summary>epoll_ctl(EPOLL_CTL_ADD) with the event's data all zero. struct epoll_event is packed on x86_64 (data
    /// at offset 4) and aligned elsewhere (offset 8): zeroed 16 bytes with the mask first are right for both.</summary>
    public static int EpollAdd(int epollFd, int fd, uint events)
    {
        var ev = stackalloc byte[16];
        new Span<byte>(ev, 16).Clear();
        *(uint*)ev = events;
        return EpollCtl(epollFd, 1 /* EPOLL_CTL_ADD */, fd, ev);
    }

    [LibraryImport("libc", EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatFs(string path, byte* buffer);

    public const int ORdOnly = 0, ODirectory = 0x10000, OCloExec = 0x80000;

    public const ulong MsNoSuid = 2, MsNoDev = 4, MsNoExec = 8;
    public const int MntDetach = 2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string type, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    /// <summary>The filesystem magic of a path (f_type, the first field of struct statfs), 0 when unreadable.</summary>
    public static long FileSystemType(string path)
    {
        var buffer = stackalloc byte[256];
        return StatFs(path, buffer) == 0 ? *(long*)buffer : 0;
    }

    public const int ClockMonotonic = 1;
    public const int ClockRealtime = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>CLOCK_MONOTONIC in nanoseconds: the clock bpf_ktime_get_ns reads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MonotonicNs()
    {
        TimeSpec t;
        ClockGetTime(ClockMonotonic, &t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    public static long RealtimeNs()
    {
        TimeSpec t;
        ClockGetTime(ClockRealtime, &t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8((nint)StrError(errno)) ?? $"errno {errno}";
}
