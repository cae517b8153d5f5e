namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// Grows a profile while a workload is learned. Every <c>Observe…</c> says whether the behaviour was new, which is
/// what ends learning after a quiet period. Paths are folded on the way in; a second path of the
/// <see cref="PathFolder.Shape"/> of one already learned (<c>/data/temp-31.rdb</c> after <c>/data/temp-23.rdb</c>)
/// turns both into the pattern (<c>/data/temp-*.rdb</c>): the name embeds a process id or a counter, and the next
/// one will be new too. A folder whose distinct entries pass <see cref="FolderFanOut"/> is folded into
/// <c>folder/*</c>: a cache directory teaches its shape, not its thousand file names.
/// </summary>
public sealed class ProfileBuilder
{
    public const int FolderFanOut = 32;

    private readonly BehaviourProfile _start;
    private readonly HashSet<ProcessEntry> _processes;
    private readonly Dictionary<string, FileAccessKind> _files;
    private readonly Dictionary<string, string> _byShape = new(StringComparer.Ordinal);
    private readonly HashSet<NetworkEntry> _network;
    private readonly SortedSet<string> _syscalls;
    private readonly SortedSet<string> _capabilities;
    private DateTimeOffset _lastNew;

    public ProfileBuilder(BehaviourProfile start)
    {
        _start = start;
        _processes = [.. start.Processes];
        _files = start.Files.ToDictionary(f => f.Path, f => f.Access, StringComparer.Ordinal);
        foreach (var path in _files.Keys) RememberShape(path);
        _network = [.. start.Network];
        _syscalls = new SortedSet<string>(start.Syscalls, StringComparer.Ordinal);
        _capabilities = new SortedSet<string>(start.Capabilities, StringComparer.Ordinal);
        _lastNew = start.LastNewBehaviour;
    }

    public static ProfileBuilder New(WorkloadIdentity identity, DateTimeOffset now) =>
        new(new BehaviourProfile { Identity = identity, Created = now, Updated = now, LastNewBehaviour = now });

    /// <summary>
    /// A process is new unless the same executable, parent and user is known with the same content hash; an
    /// observation without a hash (not computed yet) matches any, and one with a hash refines an entry that had none.
    /// </summary>
    public bool ObserveProcess(ProcessEntry process, DateTimeOffset at)
    {
        if (_processes.Contains(process)) return false;
        if (process.Sha256 is null)
            return Grew(!_processes.Any(p => p.SameProcess(process)) && _processes.Add(process), at);
        FillHash(process.Executable, process.Sha256);
        if (_processes.Contains(process)) return false;
        return Grew(_processes.Add(process), at);
    }

    /// <summary>
    /// Gives the entries of <paramref name="executable"/> recorded without a hash (it was being computed) their hash.
    /// Not new behaviour: learning's quiet period is not restarted. Returns whether an entry changed.
    /// </summary>
    public bool FillHash(string executable, string sha256)
    {
        var unhashed = _processes.Where(p => p.Executable == executable && p.Sha256 is null).ToList();
        foreach (var p in unhashed)
        {
            _processes.Remove(p);
            _processes.Add(p with { Sha256 = sha256 });
        }
        return unhashed.Count > 0;
    }

    public bool ObserveFile(string path, FileAccessKind access, DateTimeOffset at)
    {
        var folded = PathFolder.Fold(path);
        // Reads are learned too, so the same files come back all the time: an exact entry answers without the scan.
        if (_files.TryGetValue(folded, out var exact) && (exact & access) == access) return false;
        foreach (var (pattern, known) in _files)
            if ((known & access) == access && (pattern == folded || (pattern.Contains('*') && PathFolder.Matches(pattern, folded))))
                return false;
        var learned = Generalise(folded, access);
        _files[learned] = _files.GetValueOrDefault(learned) | access;
        RememberShape(learned);
        FoldFanOut(learned);
        return Grew(true, at);
    }

    /// <summary>
    /// The entry a new path is learned as: the path itself, or, when a different path of its shape is already in the
    /// profile, the pattern covering both (that entry is replaced by it, its access kept).
    /// </summary>
    private string Generalise(string folded, FileAccessKind access)
    {
        var shape = PathFolder.Shape(folded);
        if (ReferenceEquals(shape, folded) || !_byShape.TryGetValue(shape, out var sibling) || sibling == folded
            || !_files.Remove(sibling, out var siblingAccess))
            return folded;
        var pattern = PathFolder.Generalise(sibling, folded);
        _files[pattern] = _files.GetValueOrDefault(pattern) | siblingAccess;
        return pattern;
    }

    private void RememberShape(string path)
    {
        var shape = PathFolder.Shape(path);
        if (!ReferenceEquals(shape, path)) _byShape[shape] = path;
    }

    public bool ObserveNetwork(NetworkEntry entry, DateTimeOffset at) => Grew(_network.Add(entry), at);

    public bool ObserveSyscall(string name, DateTimeOffset at) => Grew(_syscalls.Add(name), at);

    public bool ObserveCapability(string name, DateTimeOffset at) => Grew(_capabilities.Add(name), at);

    private bool Grew(bool added, DateTimeOffset at)
    {
        if (added) _lastNew = at;
        return added;
    }

    private void FoldFanOut(string path)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0) return;
        var folder = path[..(slash + 1)];
        var siblings = _files.Keys.Where(k => k.StartsWith(folder, StringComparison.Ordinal) && k.IndexOf('/', folder.Length) < 0 && k != folder + "*").ToList();
        if (siblings.Count <= FolderFanOut) return;
        FileAccessKind access = 0;
        foreach (var sibling in siblings)
        {
            access |= _files[sibling];
            _files.Remove(sibling);
        }
        _files[folder + "*"] = _files.GetValueOrDefault(folder + "*") | access;
    }

    public BehaviourProfile Build(DateTimeOffset now) => _start with
    {
        Updated = now,
        LastNewBehaviour = _lastNew,
        Processes = [.. _processes.OrderBy(p => p.Executable, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Parent, StringComparer.Ordinal).ThenBy(p => p.User, StringComparer.Ordinal).ThenBy(p => p.Sha256, StringComparer.Ordinal).ThenBy(p => p.Uid)],
        Files = [.. _files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new FileAccessEntry(f.Key, f.Value))],
        Network = [.. _network.OrderBy(n => n.Direction).ThenBy(n => n.Protocol, StringComparer.Ordinal).ThenBy(n => n.Peer, StringComparer.Ordinal).ThenBy(n => n.Port)],
        Syscalls = [.. _syscalls],
        Capabilities = [.. _capabilities],
    };
}
