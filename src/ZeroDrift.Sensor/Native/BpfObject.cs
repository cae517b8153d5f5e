using System.Runtime.InteropServices;

namespace ZeroDrift.Sensor.Native;

/// <summary>
/// One libbpf object opened from an embedded .bpf.o: load, attach, maps. Disposing destroys every link and
/// closes the object, which releases the programs and maps (nothing is pinned, so a killed agent leaves nothing
/// attached either: the kernel drops them with the last file descriptor).
/// </summary>
internal sealed unsafe class BpfObject : IDisposable
{
    private nint obj;
    private readonly List<nint> links = [];
    private readonly List<string> attached = [];

    private BpfObject(nint obj) => this.obj = obj;

    public IReadOnlyList<string> Attached => attached;

    public static byte[] ReadEmbedded(string name)
    {
        var assembly = typeof(BpfObject).Assembly;
        using var stream = assembly.GetManifestResourceStream($"ZeroDrift.Sensor.{name}")
            ?? throw new SensorException($"the BPF object {name} is not embedded in {assembly.GetName().Name} (the build did not compile it)");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public static BpfObject Open(byte[] elf)
    {
        BpfLog.Install();
        nint handle;
        fixed (byte* p = elf)
            handle = LibBpf.ObjectOpenMem(p, (nuint)elf.Length, 0);
        if (handle == 0)
            throw new SensorException($"libbpf could not open the BPF object: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        return new BpfObject(handle);
    }

    public IEnumerable<(nint Program, string Name, string Section)> Programs()
    {
        for (var p = LibBpf.NextProgram(obj, 0); p != 0; p = LibBpf.NextProgram(obj, p))
            yield return (p, LibBpf.Name(p), LibBpf.Section(p));
    }

    /// <summary>The kernel's ids of the loaded programs (what <c>bpftool prog show</c> lists), tail-call targets included.</summary>
    public IReadOnlyList<uint> ProgramIds()
    {
        var ids = new List<uint>();
        var info = stackalloc uint[2]; // struct bpf_prog_info starts with u32 type, u32 id; the kernel fills what fits
        foreach (var (program, _, _) in Programs())
        {
            var fd = LibBpf.ProgramFd(program);
            if (fd < 0) continue;
            info[0] = info[1] = 0;
            var length = 8u;
            if (LibBpf.ObjGetInfoByFd(fd, info, &length) == 0) ids.Add(info[1]);
        }
        return ids;
    }

    public void SetMaxEntries(string map, uint entries)
    {
        var m = Map(map);
        var rc = LibBpf.MapSetMaxEntries(m, entries);
        if (rc != 0) throw new SensorException($"cannot size map {map} to {entries}: {LibC.ErrorText(-rc)}");
    }

    /// <summary>Loads every program with autoload on; returns 0 or a negative errno.</summary>
    public int TryLoad() => LibBpf.ObjectLoad(obj);

    public void Load()
    {
        var rc = LibBpf.ObjectLoad(obj);
        if (rc != 0)
        {
            var log = BpfLog.Drain();
            var program = log.LastOrDefault(l => l.Contains("failed to load", StringComparison.Ordinal)) ?? "";
            throw new SensorException($"the kernel refused the sensor's BPF programs: {LibC.ErrorText(-rc)}{(program.Length > 0 ? $" ({program.Trim()})" : "")}");
        }
    }

    /// <summary>Attaches every program with a hook, except those <paramref name="skip"/> (given name and section) leaves out.</summary>
    public void AttachAll(Func<string, string, bool>? skip = null)
    {
        foreach (var (program, name, section) in Programs())
        {
            // A bare "raw_tp" section is a tail-call target (reached through a program array), not a hook.
            if (section == "raw_tp" || skip?.Invoke(name, section) == true) continue;
            var link = LibBpf.ProgramAttach(program);
            if (link == 0)
                throw new SensorException($"cannot attach {name} ({section}): {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            links.Add(link);
            attached.Add(section);
        }
    }

    public nint Map(string name)
    {
        var m = LibBpf.FindMap(obj, name);
        if (m == 0) throw new SensorException($"the BPF object has no map {name}");
        return m;
    }

    public int MapFd(string name) => LibBpf.MapFd(Map(name));

    public void Dispose()
    {
        foreach (var link in links) LibBpf.LinkDestroy(link);
        links.Clear();
        if (obj != 0)
        {
            LibBpf.ObjectClose(obj);
            obj = 0;
        }
    }
}
