using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// In-kernel enforcement (enforce.bpf.c): per-cgroup modes, allowed executables by {dev, ino}, allowed destinations,
/// and the record of what was blocked. Everything lives pinned under a bpffs directory, so blocking goes on while
/// the agent restarts; <see cref="Open"/> re-uses what is pinned, <see cref="Release"/> removes it all.
/// Fill the allow sets before switching a cgroup to <see cref="EnforcementMode.Protect"/>: from that moment, any
/// exec or connect the sets do not name is refused.
/// </summary>
public sealed unsafe class KernelEnforcer : IDisposable
{
    public const string ObjectName = "enforce.bpf.o";
    public const string DefaultPinRoot = "/sys/fs/bpf/zerodrift";
    private const long BpfFsMagic = 0xcafe4a11;

    // Pin names under the root: the maps, the programs attached per cgroup, the global exec link.
    internal const string ModeMap = "zde_mode", ExecAllowMap = "zde_exec_allow", MultiCallMap = "zde_multicall", ScratchMap = "zde_scratch", KilledMap = "zde_killed", NetAllowMap = "zde_net_allow", BlockedMap = "zde_blocked", LostMap = "zde_lost", VersionMap = "zde_version";
    internal const string ExecProgram = "zde_exec", ExecLink = "zde_exec_link", CgroupDir = "zde_cgroups";
    private static readonly string[] Maps = [ModeMap, ExecAllowMap, MultiCallMap, ScratchMap, KilledMap, NetAllowMap, BlockedMap, LostMap, VersionMap];

    /// <summary>The cgroup sock_addr programs and the attach type each is linked with (enum bpf_attach_type).</summary>
    private static readonly (string Program, int AttachType)[] SockPrograms =
    [
        ("zde_connect4", 10 /* BPF_CGROUP_INET4_CONNECT */),
        ("zde_connect6", 11 /* BPF_CGROUP_INET6_CONNECT */),
        ("zde_sendmsg4", 14 /* BPF_CGROUP_UDP4_SENDMSG */),
        ("zde_sendmsg6", 15 /* BPF_CGROUP_UDP6_SENDMSG */),
    ];

    // Key and value sizes the pinned maps must have: a pin left by another build is refused, not misread.
    private static readonly Dictionary<string, (uint Key, uint Value)> MapShapes = new()
    {
        [ModeMap] = (8, 4),
        [ExecAllowMap] = (48, 1),
        [MultiCallMap] = (24, 8),
        [ScratchMap] = (4, 128),
        [KilledMap] = (4, 8),
        [NetAllowMap] = (32, 1),
        [BlockedMap] = (0, 0),
        [LostMap] = (4, 8),
        [VersionMap] = (4, 8),
    };

    private readonly string root;
    private readonly string cgroupRoot;
    private readonly int modeFd, execAllowFd, multiCallFd, killedFd, netAllowFd, blockedFd, lostFd;
    private readonly int[] sockProgramFds;
    private readonly int execProgramFd;
    private readonly Lock gate = new();
    private int reading;
    private int disposed;
    private readonly CancellationTokenSource lifetime = new();
    private Thread? poller;

    /// <summary>True when this instance found enforcement already pinned (an agent restart) and adopted it.</summary>
    public bool Reused { get; }

    public string PinRoot => root;

    private KernelEnforcer(string root, bool reused, Dictionary<string, int> fds)
    {
        this.root = root;
        Reused = reused;
        cgroupRoot = CgroupPaths.FindV2Root();
        modeFd = fds[ModeMap];
        execAllowFd = fds[ExecAllowMap];
        multiCallFd = fds[MultiCallMap];
        killedFd = fds[KilledMap];
        netAllowFd = fds[NetAllowMap];
        blockedFd = fds[BlockedMap];
        lostFd = fds[LostMap];
        execProgramFd = fds[ExecProgram];
        sockProgramFds = [.. SockPrograms.Select(p => fds[p.Program])];
    }

    /// <summary>Loads enforcement and pins it under <paramref name="pinRoot"/>, or adopts what is pinned there.</summary>
    public static KernelEnforcer Open(string pinRoot = DefaultPinRoot)
    {
        KernelSensor.EnsureSupported();
        var root = Path.GetFullPath(pinRoot).TrimEnd('/');
        var parent = Path.GetDirectoryName(root) ?? "/";
        if (LibC.FileSystemType(Directory.Exists(root) ? root : parent) != BpfFsMagic)
            throw new SensorException($"{root} is not on a BPF filesystem: mount one with 'mount -t bpf bpf /sys/fs/bpf'");
        using var exclusive = Lock(root);
        var complete = Pins().All(p => File.Exists(Path.Join(root, p)));
        if (!complete && File.Exists(Path.Join(root, ExecLink)))
            // The exec link is pinned last: with it present, a missing pin means another build's layout (which
            // may be enforcing right now). Replacing it silently would drop that protection.
            throw new SensorException($"the enforcement state pinned under {root} is from another ZeroDrift version (missing {Pins().First(p => !File.Exists(Path.Join(root, p)))}); release it first (zerodrift agent --release-enforcement)");
        if (!complete)
        {
            // Nothing there, or the leftovers of an interrupted load: start clean.
            ReleaseUnlocked(root);
            LoadAndPin(root);
        }
        var fds = new Dictionary<string, int>();
        try
        {
            foreach (var name in Maps.Concat(SockPrograms.Select(p => p.Program)).Append(ExecProgram))
            {
                var fd = LibBpf.ObjGet(Path.Join(root, name));
                if (fd < 0)
                    throw new SensorException($"cannot open the pinned {name} under {root}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
                fds[name] = fd;
            }
            foreach (var (map, shape) in MapShapes)
            {
                var (key, value) = MapShape(fds[map]);
                if (shape.Key != 0 && (key, value) != shape)
                    throw new SensorException($"the enforcement state pinned under {root} is from another ZeroDrift version ({map}); release it first (zerodrift agent --release-enforcement)");
            }
            var zero = 0u;
            ulong pinnedBuild;
            if (LibBpf.MapLookup(fds[VersionMap], &zero, &pinnedBuild) != 0 || pinnedBuild != Build.Value)
                throw new SensorException($"the enforcement state pinned under {root} is from another ZeroDrift build; release it first (zerodrift agent --release-enforcement)");
            return new KernelEnforcer(root, complete, fds);
        }
        catch
        {
            foreach (var fd in fds.Values) LibC.Close(fd);
            throw;
        }
    }

    /// <summary>This build's object, identified by the first 8 bytes of its SHA-256.</summary>
    private static readonly Lazy<ulong> Build = new(() =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(BpfObject.ReadEmbedded(ObjectName))));

    private static IEnumerable<string> Pins() => Maps.Concat(SockPrograms.Select(p => p.Program)).Append(ExecProgram).Append(ExecLink);

    /// <summary>Two agents (or an agent and a release) never load or remove the pins at the same time.</summary>
    private static FileStream Lock(string root)
    {
        var file = Path.Join("/run", $"zerodrift-enforce-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)))[..16]}.lock");
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try { return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (Environment.TickCount64 < deadline) { Thread.Sleep(50); }
            catch (IOException e) { throw new SensorException($"another process holds {file} (loading or releasing enforcement): {e.Message}"); }
        }
    }

    private static void LoadAndPin(string root)
    {
        using var bpf = BpfObject.Open(BpfObject.ReadEmbedded(ObjectName));
        var rc = bpf.TryLoad();
        if (rc != 0)
        {
            var log = BpfLog.Drain();
            var failed = log.LastOrDefault(l => l.Contains("failed to load", StringComparison.Ordinal)) ?? "";
            throw new SensorException($"the kernel refused the enforcement programs: {LibC.ErrorText(-rc)}{(failed.Length > 0 ? $" ({failed.Trim()})" : "")}");
        }
        try
        {
            var zero = 0u;
            var build = Build.Value;
            if (LibBpf.MapUpdate(bpf.MapFd(VersionMap), &zero, &build, LibBpf.Any) != 0)
                throw new SensorException($"cannot write {VersionMap}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            Directory.CreateDirectory(root);
            Directory.CreateDirectory(Path.Join(root, CgroupDir));
            foreach (var map in Maps)
                Pin(bpf.MapFd(map), Path.Join(root, map));
            foreach (var (program, name, _) in bpf.Programs())
                Pin(LibBpf.ProgramFd(program), Path.Join(root, name));
            var exec = bpf.Programs().Single(p => p.Name == ExecProgram).Program;
            var link = LibBpf.ProgramAttach(exec);
            if (link == 0)
                throw new SensorException($"cannot attach {ExecProgram} (tp_btf/sched_process_exec): {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            try
            {
                // Pinned last: its presence says the load completed (Open checks for it).
                var pinned = LibBpf.LinkPin(link, Path.Join(root, ExecLink));
                if (pinned != 0) throw new SensorException($"cannot pin {ExecLink} under {root}: {LibC.ErrorText(-pinned)}");
            }
            finally
            {
                // Closes our descriptor only; the pin keeps the link attached.
                LibBpf.LinkDestroy(link);
            }
        }
        catch
        {
            ReleaseUnlocked(root);
            throw;
        }
    }

    private static void Pin(int fd, string path)
    {
        if (LibBpf.ObjPin(fd, path) != 0)
            throw new SensorException($"cannot pin {path}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    private static (uint Key, uint Value) MapShape(int fd)
    {
        // struct bpf_map_info: type, id, key_size, value_size, max_entries, map_flags, name[16], … (80 bytes is enough).
        var info = stackalloc uint[32];
        new Span<uint>(info, 32).Clear();
        var length = 32u * 4;
        if (LibBpf.ObjGetInfo(fd, info, &length) != 0) return (0, 0);
        return (info[2], info[3]);
    }

    /// <summary>Ids of the loaded enforcement programs (exec first, then the cgroup programs), for tests and status.</summary>
    public IReadOnlyList<uint> ProgramIds() => [ProgramId(execProgramFd), .. sockProgramFds.Select(ProgramId)];

    internal static uint ProgramId(int fd)
    {
        // struct bpf_prog_info: type, id, …
        var info = stackalloc uint[64];
        new Span<uint>(info, 64).Clear();
        var length = 64u * 4;
        return LibBpf.ObjGetInfo(fd, info, &length) == 0 ? info[1] : 0;
    }

    /// <summary>
    /// Sets the mode of one container cgroup. <paramref name="cgroupPath"/> is the cgroup v2 path, relative to the
    /// v2 mount (as /proc/&lt;pid&gt;/cgroup's "0::" line and <see cref="CgroupPaths"/> give it) or absolute; its
    /// directory's inode must be <paramref name="cgroupId"/>. Protect attaches the connect/sendmsg programs to
    /// that directory (pinned links), then turns blocking on; other modes turn blocking off and detach them.
    /// </summary>
    public void SetMode(ulong cgroupId, string cgroupPath, EnforcementMode mode)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "not an enforcement mode");
        lock (gate)
        {
            if (mode == EnforcementMode.Protect)
            {
                AttachCgroup(cgroupId, CgroupDirectory(cgroupId, cgroupPath));
                var key = cgroupId;
                var value = (uint)mode;
                Check(LibBpf.MapUpdate(modeFd, &key, &value, LibBpf.Any), $"set the mode of cgroup {cgroupId}");
            }
            else
            {
                var key = cgroupId;
                var value = (uint)mode;
                if (mode == EnforcementMode.Off) LibBpf.MapDelete(modeFd, &key);
                else Check(LibBpf.MapUpdate(modeFd, &key, &value, LibBpf.Any), $"set the mode of cgroup {cgroupId}");
                DetachCgroup(cgroupId);
            }
        }
    }

    /// <summary>The mode the kernel holds for a cgroup (Off when it has none).</summary>
    public EnforcementMode GetMode(ulong cgroupId)
    {
        var key = cgroupId;
        uint value;
        return LibBpf.MapLookup(modeFd, &key, &value) == 0 ? (EnforcementMode)value : EnforcementMode.Off;
    }

    private string CgroupDirectory(ulong cgroupId, string cgroupPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(cgroupPath);
        var full = cgroupPath.StartsWith(cgroupRoot + "/", StringComparison.Ordinal) ? cgroupPath : Path.Join(cgroupRoot, cgroupPath.TrimStart('/'));
        if (Path.GetFullPath(full) is var normal && normal != cgroupRoot && !normal.StartsWith(cgroupRoot + "/", StringComparison.Ordinal))
            throw new SensorException($"{cgroupPath} is not under the cgroup v2 mount {cgroupRoot}");
        var ino = LibC.Inode(full);
        if (ino == 0) throw new SensorException($"the cgroup {full} does not exist (the container is gone?)");
        if (ino != cgroupId) throw new SensorException($"the cgroup {full} has id {ino}, not {cgroupId}");
        return full;
    }

    private void AttachCgroup(ulong cgroupId, string directory)
    {
        var pins = Path.Join(root, CgroupDir, cgroupId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(pins);
        var cgroupFd = LibC.Open(directory, LibC.ORdOnly | LibC.ODirectory | LibC.OCloExec);
        if (cgroupFd < 0) throw new SensorException($"cannot open the cgroup {directory}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        try
        {
            for (var i = 0; i < SockPrograms.Length; i++)
            {
                var pin = Path.Join(pins, SockPrograms[i].Program);
                if (File.Exists(pin)) continue; // attached already (by us, or by the agent before its restart)
                var link = LibBpf.LinkCreate(sockProgramFds[i], cgroupFd, SockPrograms[i].AttachType, 0);
                if (link < 0)
                    throw new SensorException($"cannot attach {SockPrograms[i].Program} to {directory}: {LibC.ErrorText(-link)}");
                try { Pin(link, pin); }
                finally { LibC.Close(link); }
            }
        }
        finally
        {
            LibC.Close(cgroupFd);
        }
    }

    private void DetachCgroup(ulong cgroupId)
    {
        // Unpinning drops the link's last reference (we keep no descriptor): the program detaches.
        var pins = Path.Join(root, CgroupDir, cgroupId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(pins)) Directory.Delete(pins, recursive: true);
    }

    /// <summary>
    /// Allows one executable in a cgroup whatever its parent and name; <paramref name="device"/> in the kernel's
    /// encoding (see <see cref="KernelDevice"/>). A file marked multi-call in the cgroup needs <see cref="AllowProcess"/>.
    /// </summary>
    public void AllowExecutable(ulong cgroupId, ulong device, ulong inode) => AllowProcess(cgroupId, new FileId(device, inode), ExecParent.Any, 0);

    /// <summary>
    /// Allows one process of the profile in a cgroup: the executable, run by <paramref name="parent"/>, under the
    /// name <paramref name="nameHash"/> (<see cref="ProgramName.Hash(string)"/>) when the file is multi-call in that
    /// cgroup (<see cref="MarkMultiCall"/>), else 0.
    /// </summary>
    public void AllowProcess(ulong cgroupId, FileId executable, ExecParent parent, ulong nameHash)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[6] { cgroupId, executable.Device, executable.Inode, parent.Device, parent.Inode, nameHash };
        byte one = 1;
        Check(LibBpf.MapUpdate(execAllowFd, key, &one, LibBpf.Any), $"allow an executable in cgroup {cgroupId}");
    }

    /// <summary>
    /// Says that a file's name decides what it runs (busybox: sh, httpd and wget are one file), so that its execs in
    /// the cgroup are matched with the name too. <paramref name="selfHash"/>: the hash of the file's own name when,
    /// run under that name, it dispatches on argv[1] (<c>busybox sh</c>), else 0 (<see cref="ProgramName"/>).
    /// </summary>
    public void MarkMultiCall(ulong cgroupId, FileId file, ulong selfHash)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[3] { cgroupId, file.Device, file.Inode };
        var value = selfHash;
        Check(LibBpf.MapUpdate(multiCallFd, key, &value, LibBpf.Any), $"mark a multi-call executable in cgroup {cgroupId}");
    }

    /// <summary>
    /// The {dev, ino} the kernel sees at exec for <paramref name="path"/> inside the container of a process, resolved
    /// by the kernel inside the root of that process (/proc/&lt;pid&gt;/root, RESOLVE_IN_ROOT: symlinks and ".." never
    /// leave it); null unless it is a regular file.
    /// </summary>
    public static FileId? ResolveInContainer(int pidInContainer, string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/') return null;
        var containerRoot = ContainerRoot(pidInContainer);
        if (RootedPath.Stat(containerRoot, path) is not { } st || (st.Mode & 0xF000) != 0x8000) return null;
        return new FileId(KernelDevice.FromStat(st.Device), st.Inode);
    }

    /// <summary>
    /// Names in one directory of a container (<paramref name="directory"/> resolved inside its root), each with the
    /// regular file it leads to (symlinks followed inside the root); at most <paramref name="limit"/> entries.
    /// </summary>
    public static IReadOnlyList<(string Name, FileId File)> ListInContainer(int pidInContainer, string directory, int limit = 8192)
    {
        var containerRoot = ContainerRoot(pidInContainer);
        var result = new List<(string, FileId)>();
        foreach (var name in RootedPath.List(containerRoot, directory, limit))
            if (RootedPath.Stat(containerRoot, directory.TrimEnd('/') + "/" + name) is { } st && (st.Mode & 0xF000) == 0x8000)
                result.Add((name, new FileId(KernelDevice.FromStat(st.Device), st.Inode)));
        return result;
    }

    private static string ContainerRoot(int pidInContainer)
    {
        var containerRoot = $"/proc/{pidInContainer.ToString(System.Globalization.CultureInfo.InvariantCulture)}/root";
        if (!Directory.Exists(containerRoot))
            throw new ContainerProcessGoneException(pidInContainer);
        return containerRoot;
    }

    /// <summary>
    /// Allows executables named by their path inside the container, whatever their parent (see
    /// <see cref="ResolveInContainer"/>): the {dev, ino} stat gives for an overlayfs file is the one the kernel sees
    /// at exec. Returns how many paths resolved to a regular file.
    /// </summary>
    public int AllowExecutables(ulong cgroupId, int pidInContainer, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ContainerRoot(pidInContainer);
        var resolved = 0;
        foreach (var path in paths)
        {
            if (ResolveInContainer(pidInContainer, path) is not { } file) continue;
            AllowExecutable(cgroupId, file.Device, file.Inode);
            resolved++;
        }
        return resolved;
    }

    /// <summary>Allows connections (and UDP datagrams) from a cgroup to a network, on one port or any (0).</summary>
    public void AllowDestination(ulong cgroupId, IPAddress address, int prefixLength, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
            prefixLength = Math.Max(0, prefixLength - 96);
        }
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var bits = v4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > bits)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"a prefix of {address.AddressFamily} is 0 to {bits} bits");
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a port is 0 (any) to 65535");
        var key = NetKey(cgroupId, v4, address.GetAddressBytes(), prefixLength, (ushort)port);
        byte one = 1;
        fixed (byte* k = key)
            Check(LibBpf.MapUpdate(netAllowFd, k, &one, LibBpf.Any), $"allow {address}/{prefixLength} port {port} for cgroup {cgroupId}");
    }

    /// <summary>struct zde_net_key: prefixlen, cgroup (lo, hi), port (network order), family, address (masked).</summary>
    internal static byte[] NetKey(ulong cgroupId, bool v4, byte[] address, int prefixLength, ushort port)
    {
        var key = new byte[32];
        BitConverter.TryWriteBytes(key.AsSpan(0), (uint)(96 + prefixLength));
        BitConverter.TryWriteBytes(key.AsSpan(4), cgroupId);
        key[12] = (byte)(port >> 8);
        key[13] = (byte)port;
        BitConverter.TryWriteBytes(key.AsSpan(14), (ushort)(v4 ? 2 : 10));
        for (var i = 0; i < address.Length; i++)
        {
            var keep = Math.Clamp(prefixLength - i * 8, 0, 8);
            key[16 + i] = (byte)(address[i] & (byte)(0xff << (8 - keep)));
        }
        return key;
    }

    /// <summary>
    /// Whether the kernel killed process <paramref name="pid"/> at an exec around <paramref name="execTimeNs"/>
    /// (CLOCK_MONOTONIC, as the sensor's events): its kill is recorded by pid before the new program returns to user
    /// space, so a sensor event of that exec can ask.
    /// </summary>
    public bool KilledAtExec(int pid, long execTimeNs)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = (uint)pid;
        ulong at;
        return LibBpf.MapLookup(killedFd, &key, &at) == 0 && Math.Abs((long)at - execTimeNs) < 1_000_000_000;
    }

    /// <summary>
    /// Removes from a cgroup's exec sets what is not in <paramref name="processes"/> and <paramref name="multiCall"/>:
    /// after filling them anew, so that nothing the new sets allow is refused in between.
    /// </summary>
    public void PruneExecutables(ulong cgroupId, IReadOnlyCollection<(FileId File, ExecParent Parent, ulong Name)> processes, IReadOnlyCollection<FileId> multiCall)
    {
        ArgumentNullException.ThrowIfNull(processes);
        ArgumentNullException.ThrowIfNull(multiCall);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var keep = processes.ToHashSet();
        var marks = multiCall.ToHashSet();
        lock (gate)
        {
            DeleteWhere(execAllowFd, 48, k =>
            {
                var w = (ulong*)k;
                return w[0] == cgroupId && !keep.Contains((new FileId(w[1], w[2]), new ExecParent(w[3], w[4]), w[5]));
            });
            DeleteWhere(multiCallFd, 24, k =>
            {
                var w = (ulong*)k;
                return w[0] == cgroupId && !marks.Contains(new FileId(w[1], w[2]));
            });
        }
    }

    /// <summary>Removes what the cgroup's exec sets hold (processes and multi-call marks).</summary>
    public void ClearExecutables(ulong cgroupId)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        lock (gate)
        {
            DeleteWhere(execAllowFd, 48, k => *(ulong*)k == cgroupId);
            DeleteWhere(multiCallFd, 24, k => *(ulong*)k == cgroupId);
        }
    }

    /// <summary>Removes everything about a cgroup (its mode, allow sets and attached programs): call it when the container is gone.</summary>
    public void Forget(ulong cgroupId)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        lock (gate)
        {
            var key = cgroupId;
            LibBpf.MapDelete(modeFd, &key);
            DetachCgroup(cgroupId);
            DeleteWhere(execAllowFd, 48, k => *(ulong*)k == cgroupId);
            DeleteWhere(multiCallFd, 24, k => *(ulong*)k == cgroupId);
            DeleteWhere(netAllowFd, 32, k => *(ulong*)(k + 4) == cgroupId);
        }
    }

    private delegate bool KeyPredicate(byte* key);

    private static void DeleteWhere(int fd, int keySize, KeyPredicate match)
    {
        // Collect first: deleting while walking makes get_next_key restart from the beginning on a hash map.
        var doomed = new List<byte[]>();
        var key = new byte[keySize];
        var next = new byte[keySize];
        fixed (byte* k = key, n = next)
        {
            var first = true;
            while (LibBpf.MapNextKey(fd, first ? null : k, n) == 0)
            {
                first = false;
                if (match(n)) doomed.Add((byte[])next.Clone());
                next.CopyTo(key, 0);
            }
        }
        foreach (var d in doomed)
            fixed (byte* k = d)
                LibBpf.MapDelete(fd, k);
    }

    /// <summary>Blocks the kernel made but could not record (the ring was full), since the first load.</summary>
    public ulong LostRecords()
    {
        var values = new ulong[LibBpf.NumPossibleCpus()];
        var key = 0u;
        fixed (ulong* v = values)
            if (LibBpf.MapLookup(lostFd, &key, v) != 0) return 0;
        var total = 0UL;
        foreach (var c in values) total += c;
        return total;
    }

    /// <summary>Cgroups with a mode in the kernel (what a restarted agent finds).</summary>
    public IReadOnlyDictionary<ulong, EnforcementMode> Modes()
    {
        var result = new Dictionary<ulong, EnforcementMode>();
        ulong key = 0, next = 0;
        uint value;
        var first = true;
        while (LibBpf.MapNextKey(modeFd, first ? null : &key, &next) == 0)
        {
            first = false;
            key = next;
            if (LibBpf.MapLookup(modeFd, &key, &value) == 0) result[key] = (EnforcementMode)value;
        }
        return result;
    }

    /// <summary>
    /// What the kernel blocked, as it happens (and what it blocked while nobody was reading, up to the ring's
    /// size). One reader at a time.
    /// </summary>
    public async IAsyncEnumerable<BlockedAction> ReadBlockedAsync([EnumeratorCancellation] CancellationToken token)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (Interlocked.Exchange(ref reading, 1) != 0)
            throw new InvalidOperationException("the blocked actions are already being read");
        var channel = Channel.CreateBounded<BlockedAction>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        // Dispose stops the reader too: the ring's descriptor must outlive the thread polling it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token, lifetime.Token);
        var thread = new Thread(() => PollBlocked(channel.Writer, stop.Token)) { IsBackground = true, Name = "zerodrift-enforce" };
        poller = thread;
        thread.Start();
        try
        {
            await foreach (var action in channel.Reader.ReadAllAsync(token).ConfigureAwait(false))
                yield return action;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            thread.Join();
            Volatile.Write(ref reading, 0);
        }
    }

    private sealed class PollState(ChannelWriter<BlockedAction> writer, CancellationToken token)
    {
        public ChannelWriter<BlockedAction> Writer { get; } = writer;
        public CancellationToken Token { get; } = token;
        public long ClockOffsetNs { get; } = LibC.RealtimeNs() - LibC.MonotonicNs();
    }

    private void PollBlocked(ChannelWriter<BlockedAction> writer, CancellationToken token)
    {
        var state = new PollState(writer, token);
        var handle = GCHandle.Alloc(state);
        var ring = LibBpf.RingBufferNew(blockedFd, &OnBlocked, GCHandle.ToIntPtr(handle), 0);
        try
        {
            if (ring == 0)
            {
                writer.TryComplete(new SensorException($"cannot read the {BlockedMap} ring buffer: {LibC.ErrorText(Marshal.GetLastPInvokeError())}"));
                return;
            }
            while (!token.IsCancellationRequested)
            {
                var n = LibBpf.RingBufferPoll(ring, 100);
                if (n < 0 && n != -4 /* EINTR */)
                {
                    writer.TryComplete(new SensorException($"polling {BlockedMap} failed: {LibC.ErrorText(-n)}"));
                    return;
                }
            }
            writer.TryComplete();
        }
        finally
        {
            if (ring != 0) LibBpf.RingBufferFree(ring);
            handle.Free();
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBlocked(nint context, void* data, nuint size)
    {
        var state = (PollState)GCHandle.FromIntPtr(context).Target!;
        if (BlockedRecord.TryParse(new ReadOnlySpan<byte>(data, (int)size), state.ClockOffsetNs) is not { } action) return 0;
        try
        {
            // Wait for room rather than drop: while we wait, the kernel keeps writing into the ring.
            while (!state.Writer.TryWrite(action))
            {
                state.Writer.WaitToWriteAsync(state.Token).AsTask().Wait(state.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (AggregateException) { }
        // The reader is stopping: libbpf has consumed the record either way, so nothing is gained by an error.
        return 0;
    }

    /// <summary>
    /// Removes every pin under <paramref name="pinRoot"/> that enforcement made: the exec program detaches, each
    /// cgroup's programs detach, the maps go. Processes that still hold descriptors (a running agent) keep theirs
    /// until they exit.
    /// </summary>
    public static void Release(string pinRoot = DefaultPinRoot)
    {
        var root = Path.GetFullPath(pinRoot).TrimEnd('/');
        if (!Directory.Exists(root)) return;
        if (LibC.FileSystemType(root) != BpfFsMagic)
            throw new SensorException($"{root} is not on a BPF filesystem: nothing of ZeroDrift's enforcement can be pinned there");
        using var exclusive = Lock(root);
        ReleaseUnlocked(root);
    }

    private static void ReleaseUnlocked(string root)
    {
        if (!Directory.Exists(root)) return;
        // The exec link first, so nothing is decided from maps that are about to go.
        foreach (var pin in new[] { ExecLink }.Concat(Pins().Where(p => p != ExecLink)))
        {
            var path = Path.Join(root, pin);
            if (File.Exists(path)) File.Delete(path);
        }
        var cgroups = Path.Join(root, CgroupDir);
        if (Directory.Exists(cgroups)) Directory.Delete(cgroups, recursive: true);
        // The root itself only when empty: other ZeroDrift pins may share it.
        if (!Directory.EnumerateFileSystemEntries(root).Any()) Directory.Delete(root);
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new SensorException($"cannot {what}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        lifetime.Cancel();
        poller?.Join();
        lifetime.Dispose();
        foreach (var fd in new[] { modeFd, execAllowFd, multiCallFd, killedFd, netAllowFd, blockedFd, lostFd, execProgramFd }.Concat(sockProgramFds))
            LibC.Close(fd);
    }
}
