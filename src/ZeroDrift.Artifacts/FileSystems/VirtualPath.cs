namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// Paths inside a target. They are always absolute and normalised, and ".." never climbs above the root,
/// which is how a hostile "../../etc/passwd" entry is kept inside the target.
/// </summary>
public static class VirtualPath
{
    public const string Root = "/";

    /// <summary>Normalises <paramref name="path"/>; <paramref name="escaped"/> tells whether ".." tried to leave the root.</summary>
    public static string Normalize(string path, out bool escaped)
    {
        escaped = false;
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) escaped = true;
                else parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    public static string Normalize(string path) => Normalize(path, out _);

    public static string Combine(string directory, string relative) =>
        relative.StartsWith('/') ? Normalize(relative) : Normalize(directory.TrimEnd('/') + "/" + relative);

    public static string Parent(string path)
    {
        if (path == Root) return Root;
        var i = path.LastIndexOf('/');
        return i <= 0 ? Root : path[..i];
    }

    public static string FileName(string path)
    {
        var i = path.LastIndexOf('/');
        return i < 0 ? path : path[(i + 1)..];
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies beneath it.</summary>
    public static bool IsWithin(string path, string ancestor) =>
        ancestor == Root || path == ancestor || (path.StartsWith(ancestor, StringComparison.Ordinal) && path.Length > ancestor.Length && path[ancestor.Length] == '/');
}
