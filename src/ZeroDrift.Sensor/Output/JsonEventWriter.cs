using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Output;

/// <summary>
/// Writes each record as one JSON line (schema in docs/sensor.md), attributed to its container, plus a
/// <c>stats</c> line every <see cref="StatsInterval"/> with counts received and lost per type and the latency
/// from kernel to user space. Allocation-light: one reused <see cref="Utf8JsonWriter"/> over a reused buffer,
/// UTF-8 written straight from the ring buffer; exec events allocate the process table's entry (unless the agent's
/// loop, which shares the table, made it already), DNS events their parsed message.
/// </summary>
public sealed class JsonEventWriter : ISensorSink, IDisposable
{
    private readonly Stream output;
    private readonly Attributor attributor;
    private readonly IProcessLineage processes;
    private readonly ArrayBufferWriter<byte> buffer = new(1 << 16);
    private readonly Utf8JsonWriter json;
    private readonly long wallOffsetNs;
    private readonly long[] received = new long[EventLayout.TypeCount];
    private long lastStats = Environment.TickCount64;
    // Chunks waiting for the output thread, under gate. Not a BlockingCollection: its semaphore spins (sched_yield
    // and pause loops) before it sleeps: about 90 sched_yield calls per hand-off, measured, CPU taken from the
    // workloads observed. Monitor.Wait sleeps at once.
    private readonly Queue<(byte[] Chunk, int Length)> pending = new();
    private bool completed;
    private readonly Thread writerThread;
    private readonly object gate = new();
    private long handedChunks, writtenChunks; // both under gate

    public LatencyHistogram Latency { get; } = new();
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The sensor whose lost counters the stats lines report (set once it is started).</summary>
    public KernelSensor? Sensor { get; set; }
    public long Written { get; private set; }
    public IReadOnlyList<long> Received => received;

    public JsonEventWriter(Stream output, Attributor attributor, IProcessLineage processes)
    {
        this.output = output;
        this.attributor = attributor;
        this.processes = processes;
        json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        wallOffsetNs = LibC.RealtimeNs() - LibC.MonotonicNs();
        writerThread = new Thread(WriteOut) { IsBackground = true, Name = "zerodrift-output" };
        writerThread.Start();
    }

    private static readonly JsonEncodedText PVpid = JsonEncodedText.Encode("vpid"), PVpgid = JsonEncodedText.Encode("vpgid"),
        PVsid = JsonEncodedText.Encode("vsid"), PTty = JsonEncodedText.Encode("tty"), PLoginUid = JsonEncodedText.Encode("loginuid"),
        PCapPermitted = JsonEncodedText.Encode("capPermitted"), PCapEffective = JsonEncodedText.Encode("capEffective"),
        PCapInheritable = JsonEncodedText.Encode("capInheritable"), PExeSize = JsonEncodedText.Encode("exeSize"),
        PExeMtime = JsonEncodedText.Encode("exeMtimeNs"), PEnvBytes = JsonEncodedText.Encode("envBytes"),
        PParentClass = JsonEncodedText.Encode("parentClass"), PEntry = JsonEncodedText.Encode("entry"), PRuntimeExec = JsonEncodedText.Encode("runtime-exec");

    private static readonly JsonEncodedText PV = JsonEncodedText.Encode("v"), PType = JsonEncodedText.Encode("type"),
        PTime = JsonEncodedText.Encode("time"), PKtime = JsonEncodedText.Encode("ktime"), PPid = JsonEncodedText.Encode("pid"),
        PTid = JsonEncodedText.Encode("tid"), PCgroup = JsonEncodedText.Encode("cgroupId"), PContainer = JsonEncodedText.Encode("container"),
        PId = JsonEncodedText.Encode("id"), PRuntime = JsonEncodedText.Encode("runtime"), PName = JsonEncodedText.Encode("name"),
        PImage = JsonEncodedText.Encode("image"), PImageId = JsonEncodedText.Encode("imageId"), PImageDigest = JsonEncodedText.Encode("imageDigest"),
        PPod = JsonEncodedText.Encode("pod"), PNamespace = JsonEncodedText.Encode("namespace"), PPodUid = JsonEncodedText.Encode("podUid"),
        PPpid = JsonEncodedText.Encode("ppid"), PUid = JsonEncodedText.Encode("uid"), PGid = JsonEncodedText.Encode("gid"),
        PSocketFamily = JsonEncodedText.Encode("socketFamily"), PEuid = JsonEncodedText.Encode("euid"), PExe = JsonEncodedText.Encode("exe"), PArgs = JsonEncodedText.Encode("args"),
        PArgsTruncated = JsonEncodedText.Encode("argsTruncated"), PCwd = JsonEncodedText.Encode("cwd"), PPidNs = JsonEncodedText.Encode("pidNs"),
        PMntNs = JsonEncodedText.Encode("mntNs"), PExeIno = JsonEncodedText.Encode("exeIno"), PExeDev = JsonEncodedText.Encode("exeDev"),
        PExeOrigin = JsonEncodedText.Encode("exeOrigin"), PExeDeleted = JsonEncodedText.Encode("exeDeleted"), PAncestors = JsonEncodedText.Encode("ancestors"),
        PCode = JsonEncodedText.Encode("code"), PSignal = JsonEncodedText.Encode("signal"), PPath = JsonEncodedText.Encode("path"),
        PFlags = JsonEncodedText.Encode("flags"), PMode = JsonEncodedText.Encode("mode"), PDirfd = JsonEncodedText.Encode("dirfd"),
        PResult = JsonEncodedText.Encode("result"), PReasons = JsonEncodedText.Encode("reasons"), PProtocol = JsonEncodedText.Encode("protocol"),
        PFamily = JsonEncodedText.Encode("family"), PLocal = JsonEncodedText.Encode("local"), PRemote = JsonEncodedText.Encode("remote"),
        PAddr = JsonEncodedText.Encode("addr"), PPort = JsonEncodedText.Encode("port"), PBacklog = JsonEncodedText.Encode("backlog"),
        PDirection = JsonEncodedText.Encode("direction"), PServer = JsonEncodedText.Encode("server"), PQuestions = JsonEncodedText.Encode("questions"),
        PAnswers = JsonEncodedText.Encode("answers"), PTtl = JsonEncodedText.Encode("ttl"), PData = JsonEncodedText.Encode("data"),
        PRcode = JsonEncodedText.Encode("rcode"), PTruncated = JsonEncodedText.Encode("truncated"), PNr = JsonEncodedText.Encode("nr"),
        PString = JsonEncodedText.Encode("string"), PReceived = JsonEncodedText.Encode("received"), PLost = JsonEncodedText.Encode("lost"),
        PMalformed = JsonEncodedText.Encode("malformed"), PLatency = JsonEncodedText.Encode("latencyUs"), PP50 = JsonEncodedText.Encode("p50"),
        PP99 = JsonEncodedText.Encode("p99"), PMax = JsonEncodedText.Encode("max"), PRss = JsonEncodedText.Encode("rssBytes"),
        PHost = JsonEncodedText.Encode("host"), PAccess = JsonEncodedText.Encode("access"), PCapturedBytes = JsonEncodedText.Encode("capturedBytes");

    private static readonly JsonEncodedText[] TypeNames =
        [.. Enumerable.Range(0, EventLayout.TypeCount).Select(i => JsonEncodedText.Encode(EventLayout.Name((EventType)i)))];

    public void OnEvent(scoped in SensorEvent ev, long receivedNs)
    {
        var h = ev.Header;
        Latency.Add(receivedNs - (long)h.KTime);
        if ((int)h.Type < received.Length) received[(int)h.Type]++;
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber(PV, h.Version);
        json.WriteString(PType, TypeNames[(int)h.Type]);
        json.WriteString(PTime, DateTime.UnixEpoch.AddTicks(((long)h.KTime + wallOffsetNs) / 100));
        json.WriteNumber(PKtime, h.KTime);
        json.WriteNumber(PPid, h.Tgid);
        json.WriteNumber(PTid, h.Pid);
        json.WriteNumber(PCgroup, h.CgroupId);
        WriteContainer(attributor.Resolve(h.CgroupId, (int)h.Tgid));
        switch (h.Type)
        {
            case EventType.Exec: WriteExec(ev); break;
            case EventType.Exit: WriteExit(ev); break;
            case EventType.Open: WriteOpen(ev); break;
            case EventType.Connect or EventType.Accept or EventType.Bind or EventType.Listen: WriteNet(ev); break;
            case EventType.Dns: WriteDns(ev); break;
            case EventType.Syscall: WriteSyscall(ev); break;
        }
        json.WriteEndObject();
        EndLine();
        MaybeStats();
    }

    public void OnIdle()
    {
        MaybeStats();
        // Each hand-off wakes the output thread, and a wake-up is a futex call plus, often, an interrupt on the core a
        // workload is using: at every poll (4 ms) that was a tenth of the reading thread's time under an exec load.
        // Small batches wait until HandOffIntervalMs has passed since the last one; a full chunk goes at once (EndLine).
        if (buffer.WrittenCount > 0 && Environment.TickCount64 - lastHandOff >= HandOffIntervalMs) HandOff();
    }

    /// <summary>Longest time a formatted line waits for the output thread when the stream is quiet.</summary>
    public const int HandOffIntervalMs = 50;
    private long lastHandOff = Environment.TickCount64;

    private void EndLine()
    {
        json.Flush();
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
        Written++;
        if (buffer.WrittenCount > (1 << 16) - 4096) HandOff();
    }

    /// <summary>
    /// Passes the formatted lines to the output thread. Writing happens there, so a stalled output (a disk
    /// throttling dirty pages, a slow pipe) does not stop the reader: records keep leaving the ring buffer and
    /// their latency stays the collection interval. Chunks are pooled; when <see cref="MaxPendingChunks"/> are
    /// waiting, this blocks, the ring buffer absorbs the rest and, past that, the kernel counts drops.
    /// </summary>
    private void HandOff()
    {
        lastHandOff = Environment.TickCount64;
        if (buffer.WrittenCount == 0) return;
        var chunk = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(chunk);
        lock (gate)
        {
            while (pending.Count >= MaxPendingChunks) Monitor.Wait(gate);
            pending.Enqueue((chunk, buffer.WrittenCount));
            handedChunks++;
            Monitor.PulseAll(gate);
        }
        buffer.ResetWrittenCount();
    }

    /// <summary>Chunks (of up to 64 KiB) formatted but not yet written: 16 MiB at most.</summary>
    public const int MaxPendingChunks = 256;

    /// <summary>Why writing the output failed (the rest of the output is then discarded), or null.</summary>
    public string? OutputError { get; private set; }

    private void WriteOut()
    {
        while (true)
        {
            byte[] chunk;
            int length;
            bool drained;
            lock (gate)
            {
                while (pending.Count == 0)
                {
                    if (completed) return;
                    Monitor.Wait(gate);
                }
                (chunk, length) = pending.Dequeue();
                drained = pending.Count == 0;
                Monitor.PulseAll(gate); // a producer waiting for room
            }
            try
            {
                if (OutputError is null)
                {
                    output.Write(chunk, 0, length);
                    if (drained) output.Flush();
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
            {
                OutputError = e.Message;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
                lock (gate)
                {
                    writtenChunks++;
                    Monitor.PulseAll(gate);
                }
            }
        }
    }

    /// <summary>Hands off what is formatted and waits until the output thread has written everything.</summary>
    public void Flush()
    {
        HandOff();
        lock (gate)
        {
            while (writtenChunks < handedChunks) Monitor.Wait(gate);
        }
    }

    private void WriteContainer(ContainerInfo? c)
    {
        if (c is null)
        {
            json.WriteNull(PContainer);
            return;
        }
        if (c.IsHost)
        {
            json.WriteString(PContainer, PHost);
            return;
        }
        json.WriteStartObject(PContainer);
        json.WriteString(PId, c.Id);
        json.WriteString(PRuntime, c.Runtime);
        if (c.Name is not null) json.WriteString(PName, c.Name);
        if (c.Image is not null) json.WriteString(PImage, c.Image);
        if (c.ImageId is not null) json.WriteString(PImageId, c.ImageId);
        if (c.ImageDigest is not null) json.WriteString(PImageDigest, c.ImageDigest);
        if (c.PodName is not null) json.WriteString(PPod, c.PodName);
        if (c.PodNamespace is not null) json.WriteString(PNamespace, c.PodNamespace);
        if (c.PodUid is not null) json.WriteString(PPodUid, c.PodUid);
        json.WriteEndObject();
    }

    private void Utf8(JsonEncodedText name, ReadOnlySpan<byte> value)
    {
        if (System.Text.Unicode.Utf8.IsValid(value)) json.WriteString(name, value);
        else json.WriteString(name, Encoding.UTF8.GetString(value)); // invalid bytes become U+FFFD (rare: allocation is fine)
    }

    private void Utf8Value(ReadOnlySpan<byte> value)
    {
        if (System.Text.Unicode.Utf8.IsValid(value)) json.WriteStringValue(value);
        else json.WriteStringValue(Encoding.UTF8.GetString(value));
    }

    private void WriteExec(scoped in SensorEvent ev)
    {
        var e = ev.AsExec();
        json.WriteNumber(PPpid, e.Ppid);
        // Only when the parent is the runtime: a parent in the container is the first of the ancestors.
        if (e.ParentClass != ExecParentClass.Known) json.WriteString(PParentClass, e.ParentClass == ExecParentClass.Entry ? PEntry : PRuntimeExec);
        json.WriteNumber(PUid, e.Uid);
        json.WriteNumber(PGid, e.Gid);
        json.WriteNumber(PEuid, e.Euid);
        Comm(e.Comm);
        var exe = ev.ExePath;
        Utf8(PExe, exe);
        json.WriteStartArray(PArgs);
        var args = ev.Args;
        while (!args.IsEmpty)
        {
            var nul = args.IndexOf((byte)0);
            var arg = nul < 0 ? args : args[..nul];
            Utf8Value(arg);
            args = nul < 0 ? default : args[(nul + 1)..];
        }
        json.WriteEndArray();
        if (e.ArgsTruncated != 0) json.WriteBoolean(PArgsTruncated, true);
        Utf8(PCwd, ev.Cwd);
        json.WriteNumber(PPidNs, e.PidNs);
        json.WriteNumber(PMntNs, e.MntNs);
        json.WriteNumber(PExeIno, e.ExeIno);
        json.WriteNumber(PExeDev, e.ExeDev);
        json.WriteString(PExeOrigin, ExeOrigin(e.ExeFlags));
        if ((e.ExeFlags & ExeFlags.Deleted) != 0) json.WriteBoolean(PExeDeleted, true);
        json.WriteNumber(PExeSize, e.ExeSize);
        json.WriteNumber(PExeMtime, e.ExeMtimeNs);
        json.WriteNumber(PVpid, e.Vpid);
        json.WriteNumber(PVpgid, e.Vpgid);
        json.WriteNumber(PVsid, e.Vsid);
        json.WriteNumber(PTty, e.Tty);
        if (e.LoginUid != uint.MaxValue) json.WriteNumber(PLoginUid, e.LoginUid);
        json.WriteNumber(PCapPermitted, e.CapPermitted);
        json.WriteNumber(PCapEffective, e.CapEffective);
        json.WriteNumber(PCapInheritable, e.CapInheritable);
        // The environment itself often holds secrets: event lines give its size only (rules read it as proc.env).
        json.WriteNumber(PEnvBytes, e.EnvLen);

        processes.Apply(ev);
        json.WriteStartArray(PAncestors);
        var ancestor = processes.Peek((int)e.Header.Tgid)?.Parent;
        for (var i = 0; i < ProcessTable<ProcessNode>.MaxAncestors && ancestor is not null; i++, ancestor = ancestor.Parent)
        {
            json.WriteStartObject();
            json.WriteNumber(PPid, ancestor.Pid);
            json.WriteString(PExe, ancestor.ExePath);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Where the executable came from: the image's layers, the container's writable layer (written at run
    /// time: drift), an anonymous memory file, or a non-overlay filesystem (the host, or a volume).</summary>
    public static string ExeOrigin(ExeFlags flags) =>
        (flags & ExeFlags.Memfd) != 0 ? "memfd"
        : (flags & ExeFlags.UpperLayer) != 0 ? "upper-layer"
        : (flags & ExeFlags.Overlay) != 0 ? "image"
        : "filesystem";

    private void WriteExit(scoped in SensorEvent ev)
    {
        var e = ev.AsExit();
        json.WriteNumber(PPpid, e.Ppid);
        json.WriteNumber(PCode, e.Code);
        json.WriteNumber(PSignal, e.Signal);
        processes.Apply(ev);
    }

    private static readonly JsonEncodedText RWrite = JsonEncodedText.Encode("write"), RSensitive = JsonEncodedText.Encode("sensitive"),
        RWatched = JsonEncodedText.Encode("watched"), ARead = JsonEncodedText.Encode("read"), AWrite = JsonEncodedText.Encode("write"),
        AReadWrite = JsonEncodedText.Encode("read-write");

    private void WriteOpen(scoped in SensorEvent ev)
    {
        var e = ev.AsOpen();
        Utf8(PPath, ev.OpenPath);
        json.WriteNumber(PFlags, e.Flags);
        json.WriteString(PAccess, (e.Flags & 3) switch { 1 => AWrite, 2 => AReadWrite, _ => ARead });
        if ((e.Flags & 0x40) != 0) json.WriteNumber(PMode, e.Mode);
        if (e.DirFd != -100) json.WriteNumber(PDirfd, e.DirFd);
        json.WriteNumber(PResult, e.Result);
        json.WriteStartArray(PReasons);
        if ((e.Reason & OpenReason.Write) != 0) json.WriteStringValue(RWrite);
        if ((e.Reason & OpenReason.Sensitive) != 0) json.WriteStringValue(RSensitive);
        if ((e.Reason & OpenReason.Watched) != 0) json.WriteStringValue(RWatched);
        json.WriteEndArray();
    }

    private static readonly JsonEncodedText Tcp = JsonEncodedText.Encode("tcp"), Udp = JsonEncodedText.Encode("udp"),
        V4 = JsonEncodedText.Encode("ipv4"), V6 = JsonEncodedText.Encode("ipv6");

    private void WriteNet(scoped in SensorEvent ev)
    {
        var e = ev.AsNet();
        if (e.Protocol == 6) json.WriteString(PProtocol, Tcp);
        else if (e.Protocol == 17) json.WriteString(PProtocol, Udp);
        else json.WriteNumber(PProtocol, e.Protocol);
        json.WriteString(PFamily, e.Family == 10 ? V6 : V4);
        json.WriteStartObject(PLocal);
        WriteAddress(e.Family, e.LocalAddr);
        json.WriteNumber(PPort, e.LocalPort);
        json.WriteEndObject();
        if (e.Header.Type is EventType.Connect or EventType.Accept)
        {
            json.WriteStartObject(PRemote);
            WriteAddress(e.Family, e.RemoteAddr);
            json.WriteNumber(PPort, e.RemotePort);
            json.WriteEndObject();
        }
        if (e.Header.Type == EventType.Listen) json.WriteNumber(PBacklog, e.Backlog);
        json.WriteNumber(PResult, e.Result);
    }

    private void WriteAddress(ushort family, in Addr16 address)
    {
        ReadOnlySpan<byte> a = address;
        Span<byte> text = stackalloc byte[64];
        if (family == 10)
        {
            var ip = new IPAddress(a[..16]); // IPv6 text form: one small allocation per IPv6 event
            Span<char> chars = stackalloc char[64];
            ip.TryFormat(chars, out var written);
            json.WriteString(PAddr, chars[..written]);
            return;
        }
        var n = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i > 0) text[n++] = (byte)'.';
            a[i].TryFormat(text[n..], out var w, default, System.Globalization.CultureInfo.InvariantCulture);
            n += w;
        }
        json.WriteString(PAddr, text[..n]);
    }

    private static readonly JsonEncodedText DQuery = JsonEncodedText.Encode("sent"), DAnswer = JsonEncodedText.Encode("received");

    private void WriteDns(scoped in SensorEvent ev)
    {
        var e = ev.AsDns();
        json.WriteString(PDirection, e.Direction == 0 ? DQuery : DAnswer);
        json.WriteStartObject(PServer);
        WriteAddress(e.Family, e.RemoteAddr);
        json.WriteNumber(PPort, e.RemotePort);
        json.WriteEndObject();
        var tcp = e.Protocol == 6;
        json.WriteString(PProtocol, tcp ? Tcp : Udp);
        json.WriteNumber(PCapturedBytes, e.PayloadLen);
        var payload = tcp ? DnsMessage.WithoutTcpLength(ev.DnsPayload, e.OriginalLen) : ev.DnsPayload;
        if (!DnsMessage.TryParse(payload, out var m) || m is null)
        {
            json.WriteBoolean(PTruncated, true);
            return;
        }
        json.WriteNumber(PId, m.Id);
        if (m.IsResponse) json.WriteNumber(PRcode, m.ResponseCode);
        json.WriteStartArray(PQuestions);
        foreach (var q in m.Questions)
        {
            json.WriteStartObject();
            json.WriteString(PName, q.Name);
            json.WriteString(PType, DnsMessage.TypeName(q.Type));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (m.IsResponse)
        {
            json.WriteStartArray(PAnswers);
            foreach (var a in m.Answers)
            {
                json.WriteStartObject();
                json.WriteString(PName, a.Name);
                json.WriteString(PType, DnsMessage.TypeName(a.Type));
                json.WriteNumber(PTtl, a.Ttl);
                json.WriteString(PData, a.Data);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (m.Truncated || e.OriginalLen > e.PayloadLen) json.WriteBoolean(PTruncated, true);
    }

    private void WriteSyscall(scoped in SensorEvent ev)
    {
        var e = ev.AsSyscall();
        json.WriteNumber(PNr, e.Nr);
        if (NotableSyscalls.NameOf((int)e.Nr) is { } name) json.WriteString(PName, name);
        json.WriteStartArray(PArgs);
        json.WriteNumberValue(e.Arg0);
        json.WriteNumberValue(e.Arg1);
        json.WriteNumberValue(e.Arg2);
        json.WriteNumberValue(e.Arg3);
        json.WriteNumberValue(e.Arg4);
        json.WriteEndArray();
        if (NotableSyscalls.Of((int)e.Nr) is { SocketOntoStdOnly: true }) json.WriteNumber(PSocketFamily, e.Arg5);
        if (e.StrLen > 0) Utf8(PString, ev.SyscallString);
        if (e.Str2Len > 0) Utf8(PString2, ev.SyscallString2);
        if (e.BaseLen > 0) Utf8(PBase, ev.SyscallBase);
        if (e.Base2Len > 0) Utf8(PBase2, ev.SyscallBase2);
        if (!e.AtEntry) json.WriteNumber(PResult, e.Result);
        Comm(e.Comm);
        json.WriteNumber(PUid, e.Uid);
        json.WriteNumber(PGid, e.Gid);
        json.WriteNumber(PEuid, e.Euid);
        json.WriteNumber(PCapPermitted, e.CapPermitted);
        json.WriteNumber(PCapEffective, e.CapEffective);
    }

    /// <summary>The task's comm: up to its first NUL, at most 16 bytes.</summary>
    private void Comm(in Comm16 comm)
    {
        ReadOnlySpan<byte> bytes = comm;
        var nul = bytes.IndexOf((byte)0);
        Utf8(PComm, nul < 0 ? bytes : bytes[..nul]);
    }

    private static readonly JsonEncodedText PString2 = JsonEncodedText.Encode("string2"), PBase = JsonEncodedText.Encode("base"),
        PBase2 = JsonEncodedText.Encode("base2"), PComm = JsonEncodedText.Encode("comm");

    private static readonly JsonEncodedText PSyscallsType = JsonEncodedText.Encode("syscalls"), PContainerId = JsonEncodedText.Encode("containerId"),
        PArch = JsonEncodedText.Encode("arch"), PSyscalls = JsonEncodedText.Encode("syscalls"), X8664 = JsonEncodedText.Encode("x86_64");

    /// <summary>
    /// A <c>syscalls</c> line: the syscall numbers a cgroup's processes used. Written when the agent forgets a cgroup that
    /// is gone (the kernel's set goes with it) and, for those still there, at the end. Not counted as an event.
    /// </summary>
    public void WriteSyscalls(ulong cgroupId, IReadOnlyList<int> numbers)
    {
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber(PV, EventLayout.Version);
        json.WriteString(PType, PSyscallsType);
        json.WriteString(PTime, DateTime.UtcNow);
        json.WriteNumber(PCgroup, cgroupId);
        var c = attributor.Resolve(cgroupId, 0);
        if (c is null) json.WriteNull(PContainer);
        else if (c.IsHost) json.WriteString(PContainer, PHost);
        else json.WriteString(PContainerId, c.Id);
        json.WriteString(PArch, X8664);
        json.WriteStartArray(PSyscalls);
        foreach (var n in numbers) json.WriteNumberValue(n);
        json.WriteEndArray();
        json.WriteEndObject();
        EndLine();
        Written--;
    }

    private void MaybeStats()
    {
        var now = Environment.TickCount64;
        if (now - lastStats < StatsInterval.TotalMilliseconds) return;
        lastStats = now;
        WriteStats();
    }

    /// <summary>A <c>stats</c> line: received and lost per type since start, latency since the last stats line.</summary>
    /// <param name="lost">Lost counters read before the sensor was disposed (the final line); null reads them now.</param>
    public void WriteStats(ulong[]? lost = null)
    {
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber(PV, EventLayout.Version);
        json.WriteString(PType, "stats");
        json.WriteString(PTime, DateTime.UtcNow);
        json.WriteStartObject(PReceived);
        for (var t = 1; t < EventLayout.TypeCount; t++) json.WriteNumber(TypeNames[t], received[t]);
        json.WriteEndObject();
        if (Sensor is { } sensor)
        {
            lost ??= sensor.ReadLost();
            json.WriteStartObject(PLost);
            for (var t = 1; t < EventLayout.TypeCount; t++) json.WriteNumber(TypeNames[t], lost[t]);
            json.WriteEndObject();
            json.WriteNumber(PMalformed, sensor.Malformed);
        }
        json.WriteStartObject(PLatency);
        json.WriteNumber(PP50, Latency.QuantileUs(0.50));
        json.WriteNumber(PP99, Latency.QuantileUs(0.99));
        json.WriteNumber(PMax, Latency.MaxNs / 1000.0);
        json.WriteEndObject();
        json.WriteNumber(PRss, Environment.WorkingSet);
        json.WriteEndObject();
        Latency.Reset();
        EndLine();
        Written--;
    }

    private int disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        Flush();
        lock (gate)
        {
            completed = true;
            Monitor.PulseAll(gate);
        }
        writerThread.Join();
        json.Dispose();
    }
}
