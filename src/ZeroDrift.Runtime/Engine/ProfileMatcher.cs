using System.Net;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Engine;

/// <summary>
/// A profile compiled for the hot path: hash sets for processes and system calls, exact paths apart from
/// patterns, peers parsed into networks once. Look-ups of known behaviour allocate nothing.
/// </summary>
public sealed class ProfileMatcher
{
    private readonly HashSet<(string Executable, string? Parent)> _processes = [];
    private readonly Dictionary<(string Executable, string? Parent), List<(ProcessEntry Entry, long? NumericUser)>> _processDetails = [];
    private readonly Dictionary<string, FileAccessKind> _exactFiles = new(StringComparer.Ordinal);
    private readonly List<FileAccessEntry> _filePatterns = [];
    private readonly List<(NetworkDirection Direction, string Protocol, IPNetwork Peer, int Port)> _network = [];
    private readonly HashSet<string> _syscalls = new(StringComparer.Ordinal);
    private readonly HashSet<string> _capabilities = new(StringComparer.Ordinal);

    public ProfileMatcher(BehaviourProfile profile)
    {
        foreach (var p in profile.Processes)
        {
            var key = (p.Executable, RuntimeParent.Canonical(p.Parent));
            _processes.Add(key);
            if (!_processDetails.TryGetValue(key, out var list)) _processDetails[key] = list = [];
            // Profiles recorded before user names were resolved hold the uid as the user: they still match by uid.
            list.Add((p, p.Uid ?? (long.TryParse(p.User, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null)));
        }
        foreach (var f in profile.Files)
        {
            if (f.Path.Contains('*')) _filePatterns.Add(f);
            else _exactFiles[f.Path] = _exactFiles.GetValueOrDefault(f.Path) | f.Access;
        }
        foreach (var n in profile.Network) _network.Add((n.Direction, n.Protocol, ParseNetwork(n.Peer), n.Port));
        _syscalls.UnionWith(profile.Syscalls);
        _capabilities.UnionWith(profile.Capabilities);
    }

    /// <summary>An executable run by the same parent executable under the same name, as the same user and with the same content when those were recorded.</summary>
    public bool Knows(ExecObservation exec)
    {
        var key = (exec.Executable, RuntimeParent.Canonical(exec.Parent));
        if (!_processes.Contains(key)) return false;
        foreach (var (p, numericUser) in _processDetails[key])
            if (p.Name == exec.Name && (p.User is null || p.User == exec.User || (numericUser is not null && numericUser == exec.Uid))
                && (p.Sha256 is null || exec.Sha256 is null || p.Sha256 == exec.Sha256))
                return true;
        return false;
    }

    public bool Knows(FileObservation file)
    {
        if (_exactFiles.TryGetValue(file.Path, out var access) && (access & file.Access) == file.Access) return true;
        foreach (var pattern in _filePatterns)
            if ((pattern.Access & file.Access) == file.Access && PathFolder.Matches(pattern.Path, file.Path))
                return true;
        return false;
    }

    /// <summary>Egress: the peer lies in a learned address or network on that protocol and port. Ingress: the port is served, to that peer.</summary>
    public bool Knows(NetworkObservation network)
    {
        foreach (var (direction, protocol, peer, port) in _network)
            if (direction == network.Direction && port == network.Port && protocol == network.Protocol && peer.Contains(network.Peer))
                return true;
        return false;
    }

    public bool KnowsSyscall(string name) => _syscalls.Contains(name);

    public bool KnowsCapability(string name) => _capabilities.Contains(name);

    internal static IPNetwork ParseNetwork(string peer) =>
        peer.Contains('/') ? IPNetwork.Parse(peer) : new IPNetwork(IPAddress.Parse(peer), IPAddress.Parse(peer).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
}
