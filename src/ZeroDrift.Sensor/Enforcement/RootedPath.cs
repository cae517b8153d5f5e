namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// Resolves a path as a process inside a container sees it, from the host through <c>/proc/&lt;pid&gt;/root</c>.
/// Symlinks are followed by hand: past the magic /proc link, the kernel resolves an absolute symlink target
/// (<c>/bin/sh → /bin/busybox</c>) against the caller's root, the host's, which would stat the wrong file.
/// </summary>
internal static class RootedPath
{
    private const int MaxLinks = 40; // the kernel's own limit (ELOOP)

    /// <summary>The host path of <paramref name="path"/> inside <paramref name="root"/>, or null on a symlink loop.</summary>
    public static string? Resolve(string root, string path)
    {
        var pending = new Stack<string>();
        Push(pending, path);
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                // ".." at the container's root stays at its root, as it does inside the container.
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var candidate = Join(root, resolved) + "/" + part;
            if (new FileInfo(candidate).LinkTarget is { } target)
            {
                if (++links > MaxLinks) return null;
                if (target.StartsWith('/')) resolved.Clear();
                Push(pending, target);
                continue;
            }
            resolved.Add(part);
        }
        return Join(root, resolved);
    }

    private static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static string Join(string root, List<string> parts) =>
        parts.Count == 0 ? root : root.TrimEnd('/') + "/" + string.Join('/', parts);
}
