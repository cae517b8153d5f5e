using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor;

/// <summary>Receives the sensor's records on its polling thread. Must not block for long: the kernel never waits,
/// so a slow sink turns into counted drops.</summary>
public interface ISensorSink
{
    /// <param name="ev">The record, valid only during the call.</param>
    /// <param name="receivedNs">CLOCK_MONOTONIC at receipt, comparable with the record's ktime.</param>
    void OnEvent(scoped in SensorEvent ev, long receivedNs);

    /// <summary>Called after each poll round, once the records pending were handled (a place to flush output and to
    /// do work that waits for the thread: see <see cref="ISensorControl.Wake"/>).</summary>
    void OnIdle();
}

/// <summary>What the agent's loop asks of the running sensor: from the sensor's thread, except <see cref="Wake"/>.</summary>
public interface ISensorControl
{
    /// <summary>Sets (or clears, with <see cref="WatchFlags.None"/>) the watch flags of one cgroup.</summary>
    void Watch(ulong cgroupId, WatchFlags flags);

    /// <summary>Syscall numbers used per cgroup id since the sensor started (the seccomp material).</summary>
    IReadOnlyDictionary<ulong, int[]> ReadSyscallSets();

    /// <summary>A cgroup is gone: its watch flags and syscall set leave the kernel's maps (its id may be reused).
    /// Returns the syscall set it had (empty when none), read as it left.</summary>
    int[] Forget(ulong cgroupId);

    /// <summary>From any thread: the polling thread ends its wait now and runs its idle round
    /// (<see cref="ISensorSink.OnIdle"/>) instead of at the next poll timeout.</summary>
    void Wake();
}

/// <summary>
/// The loaded sensor: its programs attached, one ring buffer polled on a dedicated thread. Disposing detaches
/// everything and closes every map. An eventfd in the ring buffer's epoll set lets another thread wake the poller
/// (<see cref="Wake"/>): the agent posts its inputs and the poller drains them at once.
/// </summary>
public sealed unsafe class KernelSensor : ISensorControl, IDisposable
{
    public const string ObjectName = "sensor.bpf.o";
    public static readonly Version MinimumKernel = new(5, 17);

    private readonly BpfObject bpf;
    private readonly ISensorSink sink;
    private readonly nint ring;
    private readonly GCHandle self;
    private readonly Thread poller;
    private volatile bool stopping;
    private readonly int lostFd, syscallsFd, watchFd, wakeFd;
    private long received, malformed;
    private long roundBytes, highWaterBytes;
    private uint[] config = [];
    private readonly HashSet<ulong> watched = [];
    private int disposed;

    public IReadOnlyList<string> AttachedPrograms => bpf.Attached;

    /// <summary>Kernel ids of this sensor's programs: how to tell them from another agent's (same names) in <c>bpftool prog show</c>.</summary>
    public IReadOnlyList<uint> ProgramIds { get; private init; } = [];

    /// <summary>Size of the ring buffer in bytes.</summary>
    public int RingBufferBytes { get; private init; }

    /// <summary>
    /// The largest backlog collected in one poll round since the last call (bytes): how full the ring buffer got,
    /// as far as user space can tell without reading the kernel's positions. Resets on read.
    /// </summary>
    public long TakeRingBufferHighWater() => Interlocked.Exchange(ref highWaterBytes, 0);

    /// <summary>How syscall results are collected on this host (per-syscall exit tracepoints or the raw sys_exit fallback), and why.</summary>
    public string SyscallExitHook { get; private set; } = "";

    /// <summary>Notable syscalls reported at their entry (without a result) because this kernel has no exit trace event for them.</summary>
    public IReadOnlyList<string> NotableAtEntry { get; private set; } = [];
    public long Received => Interlocked.Read(ref received);
    public long Malformed => Interlocked.Read(ref malformed);
    public string? LastMalformed { get; private set; }

    private KernelSensor(BpfObject bpf, ISensorSink sink)
    {
        this.bpf = bpf;
        this.sink = sink;
        lostFd = bpf.MapFd("zd_lost");
        syscallsFd = bpf.MapFd("zd_syscalls");
        watchFd = bpf.MapFd("zd_watch");
        self = GCHandle.Alloc(this);
        ring = LibBpf.RingBufferNew(bpf.MapFd("zd_events"), &OnSample, GCHandle.ToIntPtr(self), 0);
        if (ring == 0)
        {
            self.Free();
            throw new SensorException($"cannot open the ring buffer: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        }
        wakeFd = AddWakeFd(ring);
        if (wakeFd < 0)
        {
            var error = -wakeFd;
            LibBpf.RingBufferFree(ring);
            self.Free();
            throw new SensorException($"cannot add a wake-up to the ring buffer's epoll set: {LibC.ErrorText(error)}");
        }
        poller = new Thread(Poll) { IsBackground = true, Name = "zerodrift-sensor" };
    }

    /// <summary>
    /// An eventfd in libbpf's epoll set. libbpf reads each epoll event's data as the index of a ring to consume: this
    /// one says ring 0 (the only one), so a wake-up consumes it too, which is harmless. Edge-triggered, so every
    /// write is one wake-up and the counter never has to be read back.
    /// </summary>
    private static int AddWakeFd(nint ring)
    {
        var fd = LibC.EventFd(0, LibC.EfdNonBlock | LibC.EfdCloExec);
        if (fd < 0) return -Marshal.GetLastPInvokeError();
        if (LibC.EpollAdd(LibBpf.RingBufferEpollFd(ring), fd, LibC.EpollIn | LibC.EpollEt) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            return -error;
        }
        return fd;
    }

    public void Wake()
    {
        var one = 1UL;
        // Under the lock Dispose closes the descriptor with: a write must never reach a number reused by another file.
        lock (wakeGate)
            if (!wakeClosed) _ = LibC.Write(wakeFd, &one, sizeof(ulong)); // EAGAIN only when the counter is full: a wake-up is pending anyway
    }

    private readonly Lock wakeGate = new();
    private bool wakeClosed;

    /// <summary>Checks the machine can run the sensor at all; throws one clear line when it cannot.</summary>
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
            throw new SensorException("the eBPF sensor runs on Linux only");
        if (LibC.GetEuid() != 0)
            throw new SensorException("the eBPF sensor needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN): run zerodrift agent as root");
        if (!File.Exists("/sys/kernel/btf/vmlinux"))
            throw new SensorException("this kernel has no BTF (/sys/kernel/btf/vmlinux): the sensor's CO-RE programs need a kernel built with CONFIG_DEBUG_INFO_BTF");
        var kernel = Environment.OSVersion.Version;
        if (kernel < MinimumKernel)
            throw new SensorException($"kernel {kernel} is too old: the sensor needs {MinimumKernel} or newer (ring buffer, tp_btf, bpf_loop)");
    }

    public static KernelSensor Start(SensorOptions options, ISensorSink sink)
    {
        EnsureSupported();
        options.Validate();
        var bpf = BpfObject.Open(BpfObject.ReadEmbedded(ObjectName));
        try
        {
            bpf.SetMaxEntries("zd_events", (uint)options.RingBufferBytes);
            bpf.Load();
            var config = Configure(bpf, options);
            var sensor = new KernelSensor(bpf, sink) { RingBufferBytes = options.RingBufferBytes, config = config, ProgramIds = bpf.ProgramIds() };
            using (var tracefs = options.PerSyscallExitTracepoints ? Tracefs.Acquire() : Tracefs.NotWanted())
            {
                // Exits: syscall-specific tracepoints when they can be attached (a program runs only on the exits
                // we report), else the raw sys_exit tracepoint (a program on every syscall's exit). Said in the
                // plan either way: never a silent downgrade.
                var perSyscall = tracefs.Available;
                bpf.AttachAll((name, section) => perSyscall
                    ? name == "zd_sys_exit" || (section.StartsWith("tracepoint/", StringComparison.Ordinal) && !tracefs.Has(section["tracepoint/".Length..]))
                    : section.StartsWith("tracepoint/syscalls/", StringComparison.Ordinal));
                // A notable syscall whose exit has no trace event on this kernel is reported at its entry instead
                // (no result), by the raw sys_enter program that runs anyway.
                var atEntry = perSyscall ? NotableSyscalls.X64.Where(e => !tracefs.Has("syscalls/sys_exit_" + e.Tracepoint)).ToList() : [];
                var notable = bpf.MapFd("zd_notable");
                foreach (var entry in atEntry)
                {
                    var key = (uint)entry.Nr;
                    var value = entry.KernelSpec | NotableSyscalls.AtEntry;
                    Check(LibBpf.MapUpdate(notable, &key, &value, LibBpf.Any), "zd_notable");
                }
                sensor.NotableAtEntry = [.. atEntry.Select(e => e.Name)];
                sensor.SyscallExitHook = perSyscall
                    ? $"tracepoint syscalls/sys_exit_* for the reported syscalls ({tracefs.Reason})"
                        + (atEntry.Count > 0 ? $"; {string.Join(", ", sensor.NotableAtEntry)} at entry (no exit trace event)" : "")
                    : $"raw_tp/sys_exit for every syscall (syscall tracepoints unavailable: {tracefs.Reason})";
            }
            sensor.poller.Start();
            return sensor;
        }
        catch
        {
            bpf.Dispose();
            throw;
        }
    }

    private static uint[] Configure(BpfObject bpf, SensorOptions options)
    {
        // struct zd_prefix_set: u32 count, u32 pad, 16 × (u32 len, u32 pad, 64 bytes), then u32 nheads, u32 pad,
        // u32 heads[16], u32 head_masks[16]: the distinct first four bytes, the kernel's cheap first test.
        const int prefixEntry = 8 + SensorOptions.MaxPrefixBytes;
        const int headsAt = 8 + SensorOptions.MaxPrefixes * prefixEntry;
        var set = new byte[headsAt + 8 + 2 * 4 * SensorOptions.MaxPrefixes];
        BitConverter.TryWriteBytes(set.AsSpan(0), (uint)options.SensitivePrefixes.Count);
        var heads = new List<(uint Head, uint Mask)>();
        Span<byte> head = stackalloc byte[4];
        for (var i = 0; i < options.SensitivePrefixes.Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(options.SensitivePrefixes[i]);
            BitConverter.TryWriteBytes(set.AsSpan(8 + i * prefixEntry), (uint)bytes.Length);
            bytes.CopyTo(set.AsSpan(8 + i * prefixEntry + 8));
            head.Clear();
            bytes.AsSpan(0, Math.Min(4, bytes.Length)).CopyTo(head);
            var mask = bytes.Length >= 4 ? uint.MaxValue : (1u << (8 * bytes.Length)) - 1;
            var entry = (BitConverter.ToUInt32(head), mask);
            if (!heads.Contains(entry)) heads.Add(entry);
        }
        BitConverter.TryWriteBytes(set.AsSpan(headsAt), (uint)heads.Count);
        for (var i = 0; i < heads.Count; i++)
        {
            BitConverter.TryWriteBytes(set.AsSpan(headsAt + 8 + 4 * i), heads[i].Head);
            BitConverter.TryWriteBytes(set.AsSpan(headsAt + 8 + 4 * SensorOptions.MaxPrefixes + 4 * i), heads[i].Mask);
        }
        var prefixKey = 0u;
        fixed (byte* value = set)
            Check(LibBpf.MapUpdate(bpf.MapFd("zd_prefixes"), &prefixKey, value, LibBpf.Any), "zd_prefixes");
        var notable = bpf.MapFd("zd_notable");
        foreach (var entry in NotableSyscalls.X64)
        {
            var key = (uint)entry.Nr;
            var value = entry.KernelSpec;
            Check(LibBpf.MapUpdate(notable, &key, &value, LibBpf.Any), "zd_notable");
        }
        var config = new uint[6];
        config[0] = options.ExcludeSelf ? (uint)Environment.ProcessId : 0;
        config[1] = 0; // cgroups watched (Watch): none yet
        config[2] = 0;
        if (options.Events is { Count: > 0 } wanted)
            foreach (var t in wanted) config[2] |= 1u << (int)t;
        // Wake the reader early only for a real backlog (an eighth of the buffer, at most 256 KiB); otherwise it
        // collects every PollIntervalMs, which bounds the kernel-to-user latency without a wakeup per record.
        config[3] = (uint)Math.Min(options.RingBufferBytes / 8, 256 * 1024);
        WriteConfig(bpf.MapFd("zd_config"), config);
        return config;
    }

    private static void WriteConfig(int fd, uint[] config)
    {
        var zero = 0u;
        fixed (uint* value = config)
            Check(LibBpf.MapUpdate(fd, &zero, value, LibBpf.Any), "zd_config");
    }

    private static void Check(int rc, string map)
    {
        if (rc != 0) throw new SensorException($"cannot configure map {map}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSample(nint context, void* data, nuint size)
    {
        var sensor = (KernelSensor)GCHandle.FromIntPtr(context).Target!;
        var now = LibC.MonotonicNs();
        try
        {
            var bytes = new ReadOnlySpan<byte>(data, (int)size);
            if (!SensorEvent.TryRead(bytes, out var ev, out var error))
            {
                sensor.malformed++;
                sensor.LastMalformed = error;
                return 0;
            }
            sensor.received++;
            sensor.roundBytes += (long)size + 8; // each record also takes an 8-byte header in the ring
            sensor.sink.OnEvent(in ev, now);
        }
        catch (Exception e)
        {
            // An exception must never unwind into libbpf; the record is counted as lost to the sink.
            sensor.malformed++;
            sensor.LastMalformed = $"{e.GetType().Name}: {e.Message}";
        }
        return 0;
    }

    /// <summary>How often the reader collects records when the kernel has not woken it.</summary>
    public const int PollIntervalMs = 4;

    /// <summary>
    /// How the polling thread is scheduled: under load it must win the CPU from the workloads it observes, or records
    /// wait in the buffer (latency) and, in a burst, the buffer fills (drops). It asks for SCHED_FIFO at the lowest
    /// real-time priority: it sleeps in epoll and works a few microseconds per record, so it takes little CPU but
    /// runs as soon as it wakes, where on an oversubscribed machine a normal thread waits tens of milliseconds for
    /// its turn. The kernel's real-time throttling (sched_rt_runtime_us) still bounds it. Failing that (no
    /// CAP_SYS_NICE, RT group scheduling without budget), nice -10.
    /// </summary>
    public string PollerScheduling { get; private set; } = "";

    private void Poll()
    {
        var tid = LibC.GetTid();
        var param = 1;
        if (LibC.SchedSetScheduler(tid, 1 /* SCHED_FIFO */, &param) == 0)
            PollerScheduling = "SCHED_FIFO 1";
        else
            PollerScheduling = LibC.SetPriority(0 /* PRIO_PROCESS */, tid, -10) == 0 ? "nice -10" : "default";
        while (!stopping)
        {
            var n = LibBpf.RingBufferPoll(ring, PollIntervalMs);
            // The kernel writes without waking (see emit in sensor.bpf.c): a poll that timed out consumes nothing,
            // so collect explicitly.
            if (n >= 0) n = LibBpf.RingBufferConsume(ring);
            if (roundBytes > Interlocked.Read(ref highWaterBytes)) Interlocked.Exchange(ref highWaterBytes, roundBytes);
            roundBytes = 0;
            if (n < 0 && n != -4 /* EINTR */)
            {
                LastMalformed = $"ring buffer poll failed: {LibC.ErrorText(-n)}";
                Thread.Sleep(100);
            }
            try { sink.OnIdle(); }
            catch (Exception e) { LastMalformed = $"{e.GetType().Name}: {e.Message}"; }
        }
    }

    /// <summary>Records the kernel could not write because the ring buffer was full, per type (index = type).</summary>
    public ulong[] ReadLost()
    {
        var cpus = LibBpf.NumPossibleCpus();
        var values = new ulong[cpus];
        var totals = new ulong[EventLayout.TypeCount];
        fixed (ulong* v = values)
        {
            for (uint type = 0; type < EventLayout.TypeCount; type++)
            {
                var key = type;
                if (LibBpf.MapLookup(lostFd, &key, v) != 0) continue;
                foreach (var c in values) totals[type] += c;
            }
        }
        return totals;
    }

    /// <summary>Syscall numbers used per cgroup id since the sensor started (the seccomp material).</summary>
    public IReadOnlyDictionary<ulong, int[]> ReadSyscallSets()
    {
        var result = new Dictionary<ulong, int[]>();
        ulong key = 0, next = 0;
        var bits = stackalloc ulong[8];
        var first = true;
        while (LibBpf.MapNextKey(syscallsFd, first ? null : &key, &next) == 0)
        {
            first = false;
            key = next;
            if (LibBpf.MapLookup(syscallsFd, &key, bits) != 0) continue;
            result[key] = Numbers(bits);
        }
        return result;
    }

    private static int[] Numbers(ulong* bits)
    {
        var numbers = new List<int>();
        for (var word = 0; word < 8; word++)
            for (var bit = 0; bit < 64; bit++)
                if ((bits[word] & (1UL << bit)) != 0) numbers.Add(word * 64 + bit);
        return [.. numbers];
    }

    public int[] Forget(ulong cgroupId)
    {
        var key = cgroupId;
        var bits = stackalloc ulong[8];
        var last = LibBpf.MapLookup(syscallsFd, &key, bits) == 0 ? Numbers(bits) : [];
        LibBpf.MapDelete(syscallsFd, &key);
        lock (watched)
            if (watched.Contains(cgroupId)) Watch(cgroupId, WatchFlags.None);
        return last;
    }

    /// <summary>Sets (or clears, with <see cref="WatchFlags.None"/>) the watch flags of one cgroup.</summary>
    public void Watch(ulong cgroupId, WatchFlags flags)
    {
        var key = cgroupId;
        var value = (uint)flags;
        lock (watched)
        {
            var rc = flags == WatchFlags.None ? LibBpf.MapDelete(watchFd, &key) : LibBpf.MapUpdate(watchFd, &key, &value, LibBpf.Any);
            if (rc != 0 && flags != WatchFlags.None)
                throw new SensorException($"cannot set watch flags for cgroup {cgroupId}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            if (flags == WatchFlags.None) watched.Remove(cgroupId);
            else watched.Add(cgroupId);
            // The kernel skips the zd_watch lookup on every open while nothing is watched; and after the map changed,
            // a new generation makes every CPU's cached copy of a cgroup's flags stale (the map is written first).
            config[1] = (uint)watched.Count;
            config[4]++;
            WriteConfig(bpf.MapFd("zd_config"), config);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        stopping = true;
        if (poller.IsAlive) poller.Join();
        LibBpf.RingBufferFree(ring);
        lock (wakeGate)
        {
            wakeClosed = true;
            LibC.Close(wakeFd);
        }
        self.Free();
        bpf.Dispose();
    }
}
