using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// In-kernel enforcement (enforce.bpf.c), per policy: one workload's mode, flags, allowed processes and
/// destinations. Cgroups are put under a policy by user space (<see cref="AssignCgroup"/>) or by the kernel itself
/// at a container's first exec, from the container's image (<see cref="MapImage"/>); files are named the same way in
/// every container of an image (<see cref="FileId"/>). So a policy can be complete before its first container
/// starts, and a new container is enforced from its first instruction. Everything lives pinned under a BPF
/// filesystem directory (mounted by <see cref="Open"/> where none is), so blocking goes on while the agent restarts;
/// <see cref="Open"/> adopts what is pinned, <see cref="Release"/> removes it all.
/// Fill a policy's allow sets before switching it to <see cref="EnforcementMode.Protect"/>: from that moment, any
/// exec or connect of its cgroups the sets do not name is refused.
/// </summary>
public sealed unsafe class KernelEnforcer : IDisposable
{
    public const string ObjectName = "enforce.bpf.o";
    public const string DefaultPinRoot = "/sys/fs/bpf/zerodrift";

    internal const string PolicyMap = "zde_policy", CgroupMap = "zde_cgroup", ImageMap = "zde_image", ConfigMap = "zde_config",
        ExecAllowMap = "zde_exec_allow", MultiCallMap = "zde_multicall", ScratchMap = "zde_scratch", KilledMap = "zde_killed",
        NetAllowMap = "zde_net_allow", BlockedMap = "zde_blocked", LostMap = "zde_lost", VersionMap = "zde_version";
    internal const string ExecProgram = "zde_exec", ExecLink = "zde_exec_link";
    /// <summary>Where builds before policies pinned per-cgroup links: removed by a release.</summary>
    private const string LegacyCgroupDir = "zde_cgroups";
    private static readonly string[] Maps = [PolicyMap, CgroupMap, ImageMap, ConfigMap, ExecAllowMap, MultiCallMap, ScratchMap, KilledMap, NetAllowMap, BlockedMap, LostMap, VersionMap];

    /// <summary>The cgroup sock_addr programs and the attach type each is linked with (enum bpf_attach_type), attached
    /// once at the root of the cgroup v2 hierarchy: every cgroup inherits them, so no container waits for an attach.</summary>
    private static readonly (string Program, int AttachType)[] SockPrograms =
    [
        ("zde_connect4", 10 /* BPF_CGROUP_INET4_CONNECT */),
        ("zde_connect6", 11 /* BPF_CGROUP_INET6_CONNECT */),
        ("zde_sendmsg4", 14 /* BPF_CGROUP_UDP4_SENDMSG */),
        ("zde_sendmsg6", 15 /* BPF_CGROUP_UDP6_SENDMSG */),
    ];

    private static string LinkPin(string program) => program + "_link";

    // Key and value sizes the pinned maps must have: a pin left by another build is refused, not misread.
    private static readonly Dictionary<string, (uint Key, uint Value)> MapShapes = new()
    {
        [PolicyMap] = (4, 16),
        [CgroupMap] = (8, 8),
        [ImageMap] = (16, 4),
        [ConfigMap] = (4, 24),
        [ExecAllowMap] = (48, 1),
        [MultiCallMap] = (24, 8),
        [ScratchMap] = (4, 128),
        [KilledMap] = (4, 8),
        [NetAllowMap] = (28, 1),
        [BlockedMap] = (0, 0),
        [LostMap] = (4, 8),
        [VersionMap] = (4, 8),
    };

    private const int ExecKeySize = 48, FileKeySize = 24, NetKeySize = 28;
    /// <summary>Policy ids looked at from a key's hash before giving up: a collision of 32-bit ids is rare already.</summary>
    private const int PolicyProbes = 16;

    private readonly string root;
    private readonly string cgroupRoot;
    private readonly int policyFd, cgroupFd, imageFd, configFd, execAllowFd, multiCallFd, killedFd, netAllowFd, blockedFd, lostFd;
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

    /// <summary>Where <see cref="Open"/> mounted a BPF filesystem because the pin root had none, else null.</summary>
    public string? MountedBpfFs { get; }

    private KernelEnforcer(string root, bool reused, string? mounted, Dictionary<string, int> fds)
    {
        this.root = root;
        Reused = reused;
        MountedBpfFs = mounted;
        cgroupRoot = CgroupPaths.FindV2Root();
        policyFd = fds[PolicyMap];
        cgroupFd = fds[CgroupMap];
        imageFd = fds[ImageMap];
        configFd = fds[ConfigMap];
        execAllowFd = fds[ExecAllowMap];
        multiCallFd = fds[MultiCallMap];
        killedFd = fds[KilledMap];
        netAllowFd = fds[NetAllowMap];
        blockedFd = fds[BlockedMap];
        lostFd = fds[LostMap];
        execProgramFd = fds[ExecProgram];
        sockProgramFds = [.. SockPrograms.Select(p => fds[p.Program])];
    }

    /// <summary>
    /// Loads enforcement and pins it under <paramref name="pinRoot"/>, or adopts what is pinned there. Where no BPF
    /// filesystem holds the pin root, mounts one first (<see cref="BpfFileSystem"/>; <see cref="MountedBpfFs"/>).
    /// </summary>
    public static KernelEnforcer Open(string pinRoot = DefaultPinRoot)
    {
        KernelSensor.EnsureSupported();
        var root = Path.GetFullPath(pinRoot).TrimEnd('/');
        var mounted = BpfFileSystem.Ensure(root);
        try
        {
            var (reused, fds) = OpenPins(root);
            return new KernelEnforcer(root, reused, mounted, fds);
        }
        catch
        {
            if (mounted == root) BpfFileSystem.UnmountEmptyOwnRoot(root);
            throw;
        }
    }

    private static (bool Reused, Dictionary<string, int> Fds) OpenPins(string root)
    {
        using var exclusive = Lock(root);
        var complete = Pins().All(p => File.Exists(Path.Join(root, p)));
        if (!complete && File.Exists(Path.Join(root, ExecLink)))
            // The exec link is pinned last: with it present, a missing pin means another build's layout (which
            // may be enforcing right now). Replacing it silently would drop that protection.
            throw new SensorException($"the enforcement state pinned under {root} is from another ZeroDrift version (missing {Pins().First(p => !File.Exists(Path.Join(root, p)))}); release it first (zerodrift agent --release-enforcement)");
        if (!complete)
        {
            // Nothing there, or the leftovers of an interrupted load: start clean.
            ReleaseUnlocked(root, unmount: false);
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
            return (complete, fds);
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

    /// <summary>Every pin of a complete load, the exec link last (it is pinned last).</summary>
    private static IEnumerable<string> Pins() =>
        Maps.Concat(SockPrograms.Select(p => p.Program)).Append(ExecProgram).Concat(SockPrograms.Select(p => LinkPin(p.Program))).Append(ExecLink);

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
            var config = new Config { HostMountNamespace = LibC.HostMountNamespace() };
            if (LibBpf.MapUpdate(bpf.MapFd(ConfigMap), &zero, &config, LibBpf.Any) != 0)
                throw new SensorException($"cannot write {ConfigMap}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            Directory.CreateDirectory(root);
            foreach (var map in Maps)
                Pin(bpf.MapFd(map), Path.Join(root, map));
            foreach (var (program, name, _) in bpf.Programs())
                Pin(LibBpf.ProgramFd(program), Path.Join(root, name));
            AttachAtHierarchyRoot(root, bpf);
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
            ReleaseUnlocked(root, unmount: false);
            throw;
        }
    }

    /// <summary>The connect and sendmsg programs, linked to the root of the cgroup v2 hierarchy and pinned: they
    /// decide for every cgroup from zde_cgroup, so a container is never waiting for its own attach.</summary>
    private static void AttachAtHierarchyRoot(string root, BpfObject bpf)
    {
        var hierarchy = CgroupPaths.FindV2Root();
        var fd = LibC.Open(hierarchy, LibC.ORdOnly | LibC.ODirectory | LibC.OCloExec);
        if (fd < 0) throw new SensorException($"cannot open the cgroup v2 hierarchy {hierarchy}: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        try
        {
            foreach (var (program, attachType) in SockPrograms)
            {
                var programFd = LibBpf.ProgramFd(bpf.Programs().Single(p => p.Name == program).Program);
                var link = LibBpf.LinkCreate(programFd, fd, attachType, 0);
                if (link < 0) throw new SensorException($"cannot attach {program} to {hierarchy}: {LibC.ErrorText(-link)}");
                try { Pin(link, Path.Join(root, LinkPin(program))); }
                finally { LibC.Close(link); }
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    /// <summary>struct zde_config.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Config
    {
        public ulong HostMountNamespace;
        public uint DefaultPolicy;
        public uint ScopeLevel;
        public ulong ScopeCgroup;
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

    // ---- policies ----

    /// <summary>
    /// The policy id of a workload: the low 32 bits of a hash of <paramref name="workloadKey"/>, or the next free id
    /// when another workload holds that one. The id is reserved (created with mode off) and found again by any later
    /// agent, since the kernel keeps each policy's owner hash.
    /// </summary>
    public uint PolicyFor(string workloadKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(workloadKey);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var owner = Owner(workloadKey);
        lock (gate)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                uint? free = null;
                for (var i = 0u; i < PolicyProbes; i++)
                {
                    var id = (uint)owner + i;
                    if (id == 0) continue; // 0 means "no policy" in zde_config
                    if (Policy(id) is not { } held) free ??= id;
                    else if (held.Owner == owner) return id;
                }
                if (free is not { } chosen) break;
                var value = new PolicyValue { Owner = owner };
                if (LibBpf.MapUpdate(policyFd, &chosen, &value, LibBpf.NoExist) == 0) return chosen;
                // Another agent took that id between our look and our write: look again.
            }
        }
        throw new SensorException($"no free policy id near {(uint)owner} for workload {workloadKey}");
    }

    /// <summary>The kernel's owner hash of a workload key (first 8 bytes of its SHA-256; never 0).</summary>
    internal static ulong Owner(string workloadKey)
    {
        var hash = BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(workloadKey)));
        return hash == 0 ? 1 : hash;
    }

    /// <summary>struct zde_policy.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PolicyValue
    {
        public uint Mode;
        public uint Flags;
        public ulong Owner;
    }

    /// <summary>What the kernel holds for one policy, null when it does not exist.</summary>
    public PolicyState? Policy(uint id)
    {
        PolicyValue value;
        return LibBpf.MapLookup(policyFd, &id, &value) == 0 ? new PolicyState((EnforcementMode)value.Mode, (PolicyFlags)value.Flags, value.Owner) : null;
    }

    /// <summary>Sets what a policy (from <see cref="PolicyFor"/>) does to its cgroups.</summary>
    public void SetPolicy(uint policy, EnforcementMode mode, PolicyFlags flags)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "not an enforcement mode");
        if ((flags & ~PolicyFlags.DriftPrevention) != 0) throw new ArgumentOutOfRangeException(nameof(flags), flags, "unknown policy flags");
        lock (gate)
        {
            if (Policy(policy) is not { } held) throw new SensorException($"policy {policy} does not exist (PolicyFor creates it)");
            var value = new PolicyValue { Mode = (uint)mode, Flags = (uint)flags, Owner = held.Owner };
            Check(LibBpf.MapUpdate(policyFd, &policy, &value, LibBpf.Exist), $"set policy {policy}");
        }
    }

    /// <summary>
    /// Removes a policy and everything that points to it: its allow sets, the images mapped to it, the cgroups
    /// under it (the kernel classifies them again at their next exec) and the default container policy if it was.
    /// </summary>
    public void RemovePolicy(uint policy)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        lock (gate)
        {
            DeleteWhere(imageFd, 16, (_, v) => *(uint*)v == policy, 4);
            DeleteWhere(cgroupFd, 8, (_, v) => *(uint*)v == policy, 8);
            UpdateConfig(c => c.DefaultPolicy == policy ? c with { DefaultPolicy = 0 } : c);
            var key = policy;
            LibBpf.MapDelete(policyFd, &key);
            DeleteWhere(execAllowFd, ExecKeySize, (k, _) => *(uint*)k == policy);
            DeleteWhere(multiCallFd, FileKeySize, (k, _) => *(uint*)k == policy);
            DeleteWhere(netAllowFd, NetKeySize, (k, _) => *(uint*)(k + 4) == policy);
        }
    }

    /// <summary>Every policy the kernel holds (what a restarted agent finds).</summary>
    public IReadOnlyDictionary<uint, PolicyState> Policies()
    {
        var result = new Dictionary<uint, PolicyState>();
        foreach (var id in Keys<uint>(policyFd))
            if (Policy(id) is { } state) result[id] = state;
        return result;
    }

    /// <summary>
    /// Allows one process of a policy's profile: the executable, run by <paramref name="parent"/>, under the name
    /// <paramref name="nameHash"/> (<see cref="ProgramName.Hash(string)"/>) when the file is multi-call in that policy
    /// (<see cref="MarkMultiCall"/>), else 0.
    /// </summary>
    public void AllowProcess(uint policy, FileId executable, ExecParent parent, ulong nameHash)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[6] { policy, executable.Device, executable.Inode, parent.Device, parent.Inode, nameHash };
        byte one = 1;
        Check(LibBpf.MapUpdate(execAllowFd, key, &one, LibBpf.Any), $"allow an executable in policy {policy}");
    }

    /// <summary>
    /// Says that a file's name decides what it runs (busybox: sh, httpd and wget are one file), so that its execs
    /// under the policy are matched with the name too. <paramref name="selfHash"/>: the hash of the file's own name
    /// when, run under that name, it dispatches on argv[1] (<c>busybox sh</c>), else 0 (<see cref="ProgramName"/>).
    /// </summary>
    public void MarkMultiCall(uint policy, FileId file, ulong selfHash)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[3] { policy, file.Device, file.Inode };
        var value = selfHash;
        Check(LibBpf.MapUpdate(multiCallFd, key, &value, LibBpf.Any), $"mark a multi-call executable in policy {policy}");
    }

    /// <summary>
    /// Removes from a policy's exec sets what is not in <paramref name="processes"/> and <paramref name="multiCall"/>:
    /// after filling them anew, so that nothing the new sets allow is refused in between.
    /// </summary>
    public void PruneExecutables(uint policy, IReadOnlyCollection<(FileId File, ExecParent Parent, ulong Name)> processes, IReadOnlyCollection<FileId> multiCall)
    {
        ArgumentNullException.ThrowIfNull(processes);
        ArgumentNullException.ThrowIfNull(multiCall);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var keep = processes.ToHashSet();
        var marks = multiCall.ToHashSet();
        lock (gate)
        {
            DeleteWhere(execAllowFd, ExecKeySize, (k, _) =>
            {
                var w = (ulong*)k;
                return (uint)w[0] == policy && !keep.Contains((new FileId(w[1], w[2]), new ExecParent(w[3], w[4]), w[5]));
            });
            DeleteWhere(multiCallFd, FileKeySize, (k, _) =>
            {
                var w = (ulong*)k;
                return (uint)w[0] == policy && !marks.Contains(new FileId(w[1], w[2]));
            });
        }
    }

    /// <summary>Allows connections (and UDP datagrams) of a policy's cgroups to a network, on one port or any (0).</summary>
    public void AllowDestination(uint policy, IPAddress address, int prefixLength, int port)
    {
        var key = NetKey(policy, address, prefixLength, port);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        byte one = 1;
        fixed (byte* k = key)
            Check(LibBpf.MapUpdate(netAllowFd, k, &one, LibBpf.Any), $"allow {address}/{prefixLength} port {port} for policy {policy}");
    }

    /// <summary>Removes from a policy's destinations what is not in <paramref name="keep"/> (after allowing those).</summary>
    public void PruneDestinations(uint policy, IReadOnlyCollection<(IPAddress Address, int PrefixLength, int Port)> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var kept = keep.Select(d => Convert.ToHexString(NetKey(policy, d.Address, d.PrefixLength, d.Port))).ToHashSet(StringComparer.Ordinal);
        lock (gate)
            DeleteWhere(netAllowFd, NetKeySize, (k, _) => *(uint*)(k + 4) == policy && !kept.Contains(Convert.ToHexString(new ReadOnlySpan<byte>(k, NetKeySize))));
    }

    private static byte[] NetKey(uint policy, IPAddress address, int prefixLength, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
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
        return NetKey(policy, v4, address.GetAddressBytes(), prefixLength, (ushort)port);
    }

    /// <summary>struct zde_net_key: prefixlen, policy, port (network order), family, address (masked).</summary>
    internal static byte[] NetKey(uint policy, bool v4, byte[] address, int prefixLength, ushort port)
    {
        var key = new byte[NetKeySize];
        BitConverter.TryWriteBytes(key.AsSpan(0), (uint)(64 + prefixLength));
        BitConverter.TryWriteBytes(key.AsSpan(4), policy);
        key[8] = (byte)(port >> 8);
        key[9] = (byte)port;
        BitConverter.TryWriteBytes(key.AsSpan(10), (ushort)(v4 ? 2 : 10));
        for (var i = 0; i < address.Length; i++)
        {
            var keep = Math.Clamp(prefixLength - i * 8, 0, 8);
            key[12 + i] = (byte)(address[i] & (byte)(0xff << (8 - keep)));
        }
        return key;
    }

    // ---- images, cgroups, classification ----

    /// <summary>Containers of this image (<see cref="ImageKeyOfMount"/>, <see cref="ImageKeyOfProcess"/>) that no one
    /// assigned are put under <paramref name="policy"/> by the kernel at their first exec.</summary>
    public void MapImage(ImageKey image, uint policy)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[2] { image.Device, image.Inode };
        Check(LibBpf.MapUpdate(imageFd, key, &policy, LibBpf.Any), $"map image {image.Device}:{image.Inode} to policy {policy}");
    }

    public void UnmapImage(ImageKey image)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = stackalloc ulong[2] { image.Device, image.Inode };
        LibBpf.MapDelete(imageFd, key);
    }

    /// <summary>Every image mapping (image → policy).</summary>
    public IReadOnlyDictionary<ImageKey, uint> Images()
    {
        var result = new Dictionary<ImageKey, uint>();
        foreach (var key in Keys<ImageKeyValue>(imageFd))
        {
            var k = key;
            uint policy;
            if (LibBpf.MapLookup(imageFd, &k, &policy) == 0) result[new ImageKey(k.Device, k.Inode)] = policy;
        }
        return result;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ImageKeyValue
    {
        public ulong Device;
        public ulong Inode;
    }

    /// <summary>
    /// The policy for containers of an image nobody mapped (null: none, they are not enforced): for agent-wide drift
    /// prevention, a policy whose mode is off with <see cref="PolicyFlags.DriftPrevention"/>. The kernel decides each
    /// exec of such a container with it without recording the cgroup, so a mapping published later still applies.
    /// </summary>
    public void SetDefaultContainerPolicy(uint? policy)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        lock (gate)
            UpdateConfig(c => c with { DefaultPolicy = policy ?? 0 });
    }

    /// <summary>
    /// Limits the kernel's own classification to cgroups under <paramref name="cgroupPath"/> (relative to the cgroup
    /// v2 mount, e.g. <c>/kubepods.slice</c>; null: the whole hierarchy). Cgroups assigned by user space are not
    /// affected.
    /// </summary>
    public void SetClassificationScope(string? cgroupPath)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var (id, level) = (0UL, 0u);
        if (cgroupPath is not null)
        {
            var relative = cgroupPath.StartsWith(cgroupRoot + "/", StringComparison.Ordinal) ? cgroupPath[cgroupRoot.Length..] : cgroupPath;
            var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Any(p => p is "." or "..")) throw new SensorException($"{cgroupPath} is not a cgroup path");
            var full = Path.Join(cgroupRoot, string.Join('/', parts));
            id = LibC.Inode(full);
            if (id == 0) throw new SensorException($"the cgroup {full} does not exist");
            level = (uint)parts.Length;
        }
        lock (gate)
            UpdateConfig(c => c with { ScopeCgroup = id, ScopeLevel = level });
    }

    private readonly record struct ConfigValues(ulong HostMountNamespace, uint DefaultPolicy, uint ScopeLevel, ulong ScopeCgroup);

    private void UpdateConfig(Func<ConfigValues, ConfigValues> change)
    {
        var zero = 0u;
        Config config;
        Check(LibBpf.MapLookup(configFd, &zero, &config), $"read {ConfigMap}");
        var next = change(new ConfigValues(config.HostMountNamespace, config.DefaultPolicy, config.ScopeLevel, config.ScopeCgroup));
        config = new Config { HostMountNamespace = next.HostMountNamespace, DefaultPolicy = next.DefaultPolicy, ScopeLevel = next.ScopeLevel, ScopeCgroup = next.ScopeCgroup };
        Check(LibBpf.MapUpdate(configFd, &zero, &config, LibBpf.Any), $"write {ConfigMap}");
    }

    /// <summary>The default container policy (null: none).</summary>
    public uint? DefaultContainerPolicy()
    {
        var zero = 0u;
        Config config;
        return LibBpf.MapLookup(configFd, &zero, &config) == 0 && config.DefaultPolicy != 0 ? config.DefaultPolicy : null;
    }

    /// <summary>Puts a cgroup under a policy (origin <see cref="CgroupOrigin.Agent"/>), overriding the kernel's guess.</summary>
    public void AssignCgroup(ulong cgroupId, uint policy)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = cgroupId;
        var value = stackalloc uint[2] { policy, (uint)CgroupOrigin.Agent };
        Check(LibBpf.MapUpdate(cgroupFd, &key, value, LibBpf.Any), $"assign cgroup {cgroupId} to policy {policy}");
    }

    /// <summary>Removes a cgroup's entry: call it when the container is gone (a live one is classified again at its next exec).</summary>
    public void Forget(ulong cgroupId)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = cgroupId;
        LibBpf.MapDelete(cgroupFd, &key);
    }

    /// <summary>The policy a cgroup is under, null when none.</summary>
    public CgroupAssignment? CgroupOf(ulong cgroupId)
    {
        var key = cgroupId;
        var value = stackalloc uint[2];
        return LibBpf.MapLookup(cgroupFd, &key, value) == 0 ? new CgroupAssignment(value[0], (CgroupOrigin)value[1]) : null;
    }

    /// <summary>Every cgroup under a policy, by the kernel or by user space.</summary>
    public IReadOnlyDictionary<ulong, CgroupAssignment> Cgroups()
    {
        var result = new Dictionary<ulong, CgroupAssignment>();
        foreach (var id in Keys<ulong>(cgroupFd))
            if (CgroupOf(id) is { } assignment) result[id] = assignment;
        return result;
    }

    /// <summary>Every cgroup under a policy, with that policy's mode (what a restarted agent inherits, as a count of
    /// containers per mode); a cgroup whose policy is gone reads as off.</summary>
    public IReadOnlyDictionary<ulong, EnforcementMode> Modes()
    {
        var modes = new Dictionary<uint, EnforcementMode>();
        var result = new Dictionary<ulong, EnforcementMode>();
        foreach (var (cgroup, assignment) in Cgroups())
        {
            if (!modes.TryGetValue(assignment.Policy, out var mode))
                modes[assignment.Policy] = mode = Policy(assignment.Policy)?.Mode ?? EnforcementMode.Off;
            result[cgroup] = mode;
        }
        return result;
    }

    /// <summary>
    /// Removes the entries of cgroups that no longer exist (a container that started and ended while no agent
    /// watched), told from the id alone (open_by_handle_at on the hierarchy). Returns how many were removed.
    /// </summary>
    public int SweepGoneCgroups()
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        using var handles = new CgroupHandles(cgroupRoot);
        var removed = 0;
        foreach (var id in Keys<ulong>(cgroupFd))
        {
            if (handles.Exists(id)) continue;
            var key = id;
            if (LibBpf.MapDelete(cgroupFd, &key) == 0) removed++;
        }
        return removed;
    }

    // ---- files and images as enforcement names them ----

    /// <summary>
    /// The identity enforcement gives <paramref name="path"/> inside <paramref name="root"/> (a container's
    /// /proc/PID/root, or an image mount), resolved by the kernel inside that root (openat2 RESOLVE_IN_ROOT: symlinks
    /// and ".." never leave it); null unless it is a regular file.
    /// </summary>
    public static FileId? ResolveInRoot(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (string.IsNullOrEmpty(path) || path[0] != '/') return null;
        return RootedPath.StatWithFileSystem(root, path) is { Facts.IsRegular: true } found ? FileIdOf(found.Facts, found.FileSystem) : null;
    }

    /// <summary>
    /// Names in one directory inside <paramref name="root"/> (<paramref name="directory"/> resolved there), each with the
    /// regular file it leads to (symlinks followed inside the root); at most <paramref name="limit"/> entries.
    /// </summary>
    public static IReadOnlyList<(string Name, FileId File)> ListInRoot(string root, string directory, int limit = 8192)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(directory);
        var result = new List<(string, FileId)>();
        foreach (var name in RootedPath.List(root, directory, limit))
            if (RootedPath.StatWithFileSystem(root, directory.TrimEnd('/') + "/" + name) is { Facts.IsRegular: true } found)
                result.Add((name, FileIdOf(found.Facts, found.FileSystem)));
        return result;
    }

    private const long OverlayFsMagic = 0x794c7630;

    private static FileId FileIdOf(FileFacts facts, long fileSystem) =>
        fileSystem == OverlayFsMagic ? new FileId(FileId.OverlayDevice, facts.Inode) : new FileId(KernelDevice.FromStat(facts.Device), facts.Inode);

    /// <summary>The image key of a running container, from its process's root mount (null when not an overlay).</summary>
    public static ImageKey? ImageKeyOfProcess(int pid) => ImageKeys.OfProcess(pid);

    /// <summary>The image key of an image mounted at <paramref name="mergedDirectory"/> (<c>podman image mount</c>).</summary>
    public static ImageKey? ImageKeyOfMount(string mergedDirectory) => ImageKeys.OfMount(mergedDirectory);

    // ---- what the kernel did ----

    /// <summary>
    /// Whether the kernel killed process <paramref name="pid"/> at an exec around <paramref name="execTimeNs"/>
    /// (CLOCK_MONOTONIC, as the sensor's events): its kill is recorded by pid, only once the signal was sent, before the
    /// new program returns to user space, so a sensor event of that exec can ask.
    /// </summary>
    public bool KilledAtExec(int pid, long execTimeNs)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var key = (uint)pid;
        ulong at;
        return LibBpf.MapLookup(killedFd, &key, &at) == 0 && Math.Abs((long)at - execTimeNs) < 1_000_000_000;
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

    // ---- map walking ----

    /// <summary>The keys of a map (collected first: deleting while walking makes get_next_key restart on a hash map).</summary>
    private static List<T> Keys<T>(int fd) where T : unmanaged
    {
        var keys = new List<T>();
        T key = default, next = default;
        var first = true;
        while (LibBpf.MapNextKey(fd, first ? null : &key, &next) == 0)
        {
            first = false;
            keys.Add(next);
            key = next;
        }
        return keys;
    }

    private delegate bool EntryPredicate(byte* key, byte* value);

    /// <summary>Deletes the entries <paramref name="match"/> picks (given the value too when <paramref name="valueSize"/> > 0).</summary>
    private static void DeleteWhere(int fd, int keySize, EntryPredicate match, int valueSize = 0)
    {
        var doomed = new List<byte[]>();
        var key = new byte[keySize];
        var next = new byte[keySize];
        var value = new byte[Math.Max(valueSize, 1)];
        fixed (byte* k = key, n = next, v = value)
        {
            var first = true;
            while (LibBpf.MapNextKey(fd, first ? null : k, n) == 0)
            {
                first = false;
                if ((valueSize == 0 || LibBpf.MapLookup(fd, n, v) == 0) && match(n, v)) doomed.Add((byte[])next.Clone());
                next.CopyTo(key, 0);
            }
        }
        foreach (var d in doomed)
            fixed (byte* k = d)
                LibBpf.MapDelete(fd, k);
    }

    // ---- release ----

    /// <summary>
    /// Removes every pin under <paramref name="pinRoot"/> that enforcement made: the exec program and the cgroup
    /// programs detach, the maps go; a BPF filesystem <see cref="Open"/> mounted on the pin root itself is unmounted
    /// (one at /sys/fs/bpf stays: others pin there). Processes that still hold descriptors (a running agent) keep
    /// theirs until they exit.
    /// </summary>
    public static void Release(string pinRoot = DefaultPinRoot)
    {
        var root = Path.GetFullPath(pinRoot).TrimEnd('/');
        if (!Directory.Exists(root)) return;
        if (!BpfFileSystem.IsBpfFs(root))
            throw new SensorException($"{root} is not on a BPF filesystem: nothing of ZeroDrift's enforcement can be pinned there");
        using var exclusive = Lock(root);
        ReleaseUnlocked(root, unmount: true);
    }

    private static void ReleaseUnlocked(string root, bool unmount)
    {
        if (!Directory.Exists(root)) return;
        // The exec link first, so nothing is decided from maps that are about to go; then the cgroup links.
        var links = SockPrograms.Select(p => LinkPin(p.Program)).Prepend(ExecLink).ToList();
        foreach (var pin in links.Concat(Pins().Except(links)))
        {
            var path = Path.Join(root, pin);
            if (File.Exists(path)) File.Delete(path);
        }
        var legacy = Path.Join(root, LegacyCgroupDir);
        if (Directory.Exists(legacy)) Directory.Delete(legacy, recursive: true);
        foreach (var old in new[] { "zde_mode" }.Select(p => Path.Join(root, p)).Where(File.Exists))
            File.Delete(old);
        if (unmount) BpfFileSystem.UnmountEmptyOwnRoot(root);
        // The root itself only when empty: other ZeroDrift pins may share it.
        if (Directory.Exists(root) && !BpfFileSystem.IsOwnMount(root) && !Directory.EnumerateFileSystemEntries(root).Any()) Directory.Delete(root);
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
        foreach (var fd in new[] { policyFd, cgroupFd, imageFd, configFd, execAllowFd, multiCallFd, killedFd, netAllowFd, blockedFd, lostFd, execProgramFd }.Concat(sockProgramFds))
            LibC.Close(fd);
    }
}
