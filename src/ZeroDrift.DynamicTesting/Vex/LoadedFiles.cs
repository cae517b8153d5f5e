using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.DynamicTesting.Vex;

/// <summary>
/// Every file the profiles of an image saw used: executed (a process's executable) or opened in any way (the dynamic
/// loader opens each shared object before it maps it, an interpreter opens each module it imports; profiles record
/// opens, not mmaps). Conservative on purpose: a data file read counts as much as a library loaded, and a folded
/// pattern (<c>/usr/lib/python3/**</c>) covers every file it matches.
/// </summary>
public sealed class LoadedFiles
{
    private readonly Dictionary<string, string> _exact = new(StringComparer.Ordinal);
    // Patterns indexed by their literal directory prefix (up to the first component with a wildcard), so that a file
    // is checked only against the patterns of its own ancestors: O(depth) per file, not O(patterns).
    private readonly Dictionary<string, List<(string Pattern, string Source)>> _patterns = new(StringComparer.Ordinal);

    public int Exact => _exact.Count;
    public int Patterns => _patterns.Values.Sum(p => p.Count);

    /// <summary>Adds a profile's executables and opened files; <paramref name="source"/> names it in the evidence.</summary>
    public void Add(BehaviourProfile profile, string source)
    {
        foreach (var process in profile.Processes) AddPath(process.Executable, source);
        foreach (var file in profile.Files) AddPath(file.Path, source);
    }

    /// <summary>The same from a profile read as a stream (<see cref="ProfilePaths"/>: what VEX needs of a large one).</summary>
    public void Add(ProfilePaths profile, string source)
    {
        foreach (var executable in profile.Executables) AddPath(executable, source);
        foreach (var file in profile.Files) AddPath(file, source);
    }

    private void AddPath(string path, string source)
    {
        if (path.Length == 0 || path[0] != '/') return;
        var canonical = Canonical(path);
        if (!canonical.Contains('*'))
        {
            _exact.TryAdd(canonical, source);
            return;
        }
        var star = canonical.IndexOf('*');
        var prefix = canonical[..(canonical.LastIndexOf('/', star) + 1)];
        if (!_patterns.TryGetValue(prefix, out var list)) _patterns[prefix] = list = [];
        list.Add((canonical, source));
    }

    /// <summary>The profile that used <paramref name="path"/> (a package's file), or null when none did.</summary>
    public string? UsedBy(string path)
    {
        if (path.Length == 0 || path[0] != '/') return null;
        var canonical = Canonical(path);
        if (_exact.TryGetValue(canonical, out var source)) return source;
        if (_patterns.Count == 0) return null;
        for (var slash = canonical.LastIndexOf('/'); slash >= 0; slash = slash == 0 ? -1 : canonical.LastIndexOf('/', slash - 1))
        {
            if (!_patterns.TryGetValue(canonical[..(slash + 1)], out var list)) continue;
            foreach (var (pattern, from) in list)
                if (PathFolder.Matches(pattern, canonical)) return from;
        }
        return null;
    }

    /// <summary>
    /// One name for a file that merged /usr reaches under two (<c>/bin/ls</c> and <c>/usr/bin/ls</c>, <c>/lib/…</c> and
    /// <c>/usr/lib/…</c>): package databases list one, the kernel reports the other. Folding both together can only
    /// count more packages as used.
    /// </summary>
    internal static string Canonical(string path)
    {
        if (!path.StartsWith("/usr/", StringComparison.Ordinal)) return path;
        var rest = path.AsSpan(4);
        foreach (var dir in MergedDirectories)
            if (rest.StartsWith(dir, StringComparison.Ordinal) && (rest.Length == dir.Length || rest[dir.Length] == '/')) return path[4..];
        return path;
    }

    private static readonly string[] MergedDirectories = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
}
