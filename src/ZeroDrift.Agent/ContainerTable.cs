using System.Diagnostics;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Agent;

/// <summary>Where a container is in its life as the agent sees it.</summary>
public enum ContainerState
{
    /// <summary>Known (its first event was read), not enforced: the host, a container without a workload identity, or
    /// one whose mode could not be applied yet.</summary>
    Discovered,

    /// <summary>Its mode must reach the enforcement, which needs a live process of the container to resolve the
    /// profile's files through (not the runtime's init, whose root may still be the host's): applied at its next
    /// process's event or the next housekeeping round.</summary>
    AwaitingProcess,

    /// <summary>The enforcement holds its <see cref="ContainerEntry.Mode"/> (Learn: nothing in the kernel).</summary>
    Enforced,

    /// <summary>Its cgroup is gone and everything about it was forgotten.</summary>
    Gone,
}

/// <summary>Everything the agent knows about one cgroup: a container (or a host cgroup).</summary>
public sealed class ContainerEntry
{
    internal ContainerEntry(ulong cgroupId, string cgroupPath, WorkloadBinding binding, int pid)
    {
        CgroupId = cgroupId;
        CgroupPath = cgroupPath;
        Binding = binding;
        Pid = pid;
    }

    public ulong CgroupId { get; }

    /// <summary>The cgroup's v2 path, relative to the v2 mount.</summary>
    public string CgroupPath { get; }

    /// <summary>The container, its workload identity and the facts rules read (labels fetched later replace it).</summary>
    public WorkloadBinding Binding { get; internal set; }

    public WorkloadIdentity? Identity => Binding.Identity;
    public string Name => Binding.Container.Name ?? Binding.Container.Id[..Math.Min(12, Binding.Container.Id.Length)];
    public ContainerState State { get; internal set; }

    /// <summary>The mode the enforcement holds (<see cref="ContainerState.Enforced"/>) or is to apply
    /// (<see cref="ContainerState.AwaitingProcess"/>).</summary>
    public ProfileMode? Mode { get; internal set; }

    /// <summary>The container's last process seen: files are resolved inside the container through a live one.</summary>
    public int Pid { get; internal set; }

    /// <summary>The sensor's watch flag as last set for this cgroup (null: never set).</summary>
    public bool? Watched { get; internal set; }

    /// <summary>Syscall numbers of the kernel's set for this cgroup already turned into observations.</summary>
    public HashSet<int> SyscallsSeen { get; } = [];

    /// <summary>The overlay devices its executables ran from (its own root's, a device of its own): their hashes go with it.</summary>
    public HashSet<uint> OverlayDevices { get; } = [];
}

/// <summary>One workload while it has containers here: what belongs to it rather than to one of its containers.</summary>
public sealed class WorkloadEntry(WorkloadIdentity identity)
{
    public WorkloadIdentity Identity { get; } = identity;

    /// <summary>The image its containers run (whose executables tell drift from the image's own).</summary>
    public string? ImageId { get; internal set; }

    /// <summary>The image's executables, once read.</summary>
    public ImageTrust? Trust { get; internal set; }

    public int Containers { get; internal set; }
}

/// <summary>
/// One entry per cgroup the agent has met, with its lifecycle (discovered → awaiting its process → enforced in a mode
/// → gone), and per workload what its containers share. Owned by the loop's thread: in debug builds every call checks
/// it comes from the thread that first used the table. Removing an entry is the one way a container is forgotten:
/// <see cref="Forgotten"/> handlers take it out of every other structure (the attributor's cache, user-name tables,
/// the kernel's maps), <see cref="WorkloadGone"/> ones see a workload's last container go.
/// </summary>
public sealed class ContainerTable
{
    private readonly Dictionary<ulong, ContainerEntry> _containers = [];
    private readonly Dictionary<string, WorkloadEntry> _workloads = new(StringComparer.Ordinal);
    private int _owner;

    /// <summary>Runs for each entry removed, after it left the table (its state is then <see cref="ContainerState.Gone"/>).</summary>
    public event Action<ContainerEntry>? Forgotten;

    /// <summary>Runs when a workload's last container was removed.</summary>
    public event Action<WorkloadEntry>? WorkloadGone;

    public int Count
    {
        get
        {
            AssertOwner();
            return _containers.Count;
        }
    }

    public int WorkloadCount
    {
        get
        {
            AssertOwner();
            return _workloads.Count;
        }
    }

    public ContainerEntry? Get(ulong cgroupId)
    {
        AssertOwner();
        return _containers.GetValueOrDefault(cgroupId);
    }

    /// <summary>A cgroup met for the first time (<see cref="ContainerState.Discovered"/>); with an identity it joins its workload.</summary>
    public ContainerEntry Add(ulong cgroupId, string cgroupPath, WorkloadBinding binding, int pid)
    {
        AssertOwner();
        if (_containers.ContainsKey(cgroupId)) throw new InvalidOperationException($"cgroup {cgroupId} is in the table already");
        var entry = new ContainerEntry(cgroupId, cgroupPath, binding, pid);
        _containers[cgroupId] = entry;
        Join(entry);
        return entry;
    }

    /// <summary>What the container is, as learned later (its labels); a changed identity moves it to that workload.</summary>
    public void Rebind(ContainerEntry entry, WorkloadBinding binding)
    {
        AssertOwner();
        var moved = entry.Identity?.Key != binding.Identity?.Key;
        if (moved) Leave(entry);
        entry.Binding = binding;
        if (moved) Join(entry);
    }

    public WorkloadEntry? Workload(string key)
    {
        AssertOwner();
        return _workloads.GetValueOrDefault(key);
    }

    /// <summary>Every entry (a copy: the caller may remove while it walks).</summary>
    public IReadOnlyList<ContainerEntry> Entries()
    {
        AssertOwner();
        return [.. _containers.Values];
    }

    public IReadOnlyList<ContainerEntry> OfWorkload(string key)
    {
        AssertOwner();
        return [.. _containers.Values.Where(c => c.Identity?.Key == key)];
    }

    public IReadOnlyList<WorkloadEntry> Workloads()
    {
        AssertOwner();
        return [.. _workloads.Values];
    }

    /// <summary>Forgets a container: out of the table, then out of everything else (<see cref="Forgotten"/>), then its
    /// workload's state when it was the last one (<see cref="WorkloadGone"/>).</summary>
    public void Remove(ContainerEntry entry)
    {
        AssertOwner();
        if (!_containers.Remove(entry.CgroupId)) return;
        entry.State = ContainerState.Gone;
        var workload = Leave(entry);
        Forgotten?.Invoke(entry);
        if (workload is not null) WorkloadGone?.Invoke(workload);
    }

    private void Join(ContainerEntry entry)
    {
        if (entry.Identity is not { } identity) return;
        if (!_workloads.TryGetValue(identity.Key, out var workload)) _workloads[identity.Key] = workload = new WorkloadEntry(identity);
        workload.Containers++;
        if (entry.Binding.Container.ImageId is { Length: > 0 } imageId && workload.ImageId != imageId)
        {
            workload.ImageId = imageId;
            workload.Trust = null;
        }
    }

    /// <summary>The workload, when this was its last container.</summary>
    private WorkloadEntry? Leave(ContainerEntry entry)
    {
        if (entry.Identity is not { } identity || !_workloads.TryGetValue(identity.Key, out var workload)) return null;
        if (--workload.Containers > 0) return null;
        _workloads.Remove(identity.Key);
        return workload;
    }

    /// <summary>
    /// In debug builds: throws unless called on the thread that owns the table (the first to use it; see
    /// <see cref="TransferTo"/>). Per-container state has one owner, so nothing in it needs a lock.
    /// </summary>
    [Conditional("DEBUG")]
    public void AssertOwner()
    {
        var current = Environment.CurrentManagedThreadId;
        var owner = Interlocked.CompareExchange(ref _owner, current, 0);
        if (owner != 0 && owner != current)
            throw new InvalidOperationException($"per-container state used from thread {current}; it belongs to the loop's thread {owner}");
    }

    /// <summary>Hands the table to the calling thread; only once the owner has stopped (joined) does this hold.</summary>
    internal void TransferTo() => Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
}
