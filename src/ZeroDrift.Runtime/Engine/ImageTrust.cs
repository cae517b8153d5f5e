using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Runtime.Engine;

/// <summary>
/// The executables an image ships: the only candidates for trust. Anything else that runs in a container of the
/// image (downloaded, written after start, run from memory) is drift before anything is learned. Symbolic links
/// count under both names, since the kernel reports what was executed either way (<c>/bin/sh</c> or the
/// <c>/bin/busybox</c> it points to), and a path through a linked directory (<c>/bin</c> → <c>usr/bin</c> in
/// merged-/usr images) is looked up through the link.
/// </summary>
public sealed class ImageTrust
{
    private const int MaxHops = 40;
    private readonly HashSet<string> _executables;
    private readonly Dictionary<string, string> _directoryLinks;

    public ImageTrust(IEnumerable<string> executables, IReadOnlyDictionary<string, string>? directoryLinks = null)
    {
        _executables = new HashSet<string>(executables, StringComparer.Ordinal);
        _directoryLinks = directoryLinks?.ToDictionary(StringComparer.Ordinal) ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public int Count => _executables.Count;

    public bool Ships(string executable)
    {
        if (_executables.Contains(executable)) return true;
        if (_directoryLinks.Count == 0) return false;
        var path = executable;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            var rewritten = ThroughDirectoryLink(path);
            if (rewritten is null) return false;
            if (_executables.Contains(rewritten)) return true;
            path = rewritten;
        }
        return false;
    }

    /// <summary>The path with its first linked ancestor directory replaced by the link's target, or null.</summary>
    private string? ThroughDirectoryLink(string path)
    {
        for (var slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1))
            if (_directoryLinks.TryGetValue(path[..slash], out var target))
                return target + path[slash..];
        return null;
    }

    /// <summary>Every regular file with an execute bit, and every symlink that resolves to one inside the image.</summary>
    public static ImageTrust FromFileSystem(IFileSystem fileSystem, CancellationToken cancellationToken = default)
    {
        var executables = new HashSet<string>(StringComparer.Ordinal);
        var links = new List<FileEntry>();
        foreach (var entry in fileSystem.Enumerate(cancellationToken))
        {
            if ((entry.IsRegular || entry.Kind == FileKind.Hardlink) && entry.IsExecutable) executables.Add(entry.Path);
            else if (entry.Kind == FileKind.Symlink) links.Add(entry);
        }
        var directoryLinks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var link in links)
        {
            var target = Resolve(fileSystem, link);
            if (target is null) continue;
            if (target.IsRegular && executables.Contains(target.Path)) executables.Add(link.Path);
            else if (target.Kind == FileKind.Directory) directoryLinks[link.Path] = target.Path;
        }
        return new ImageTrust(executables, directoryLinks);
    }

    /// <summary>Follows a link inside the image (at most 40 hops, like the kernel); null when it leads nowhere.</summary>
    private static FileEntry? Resolve(IFileSystem fileSystem, FileEntry link)
    {
        FileEntry? current = link;
        for (var hops = 0; hops < MaxHops && current is { Kind: FileKind.Symlink, LinkTarget: { } target }; hops++)
        {
            var next = VirtualPath.Normalize(target.StartsWith('/') ? target : VirtualPath.Combine(VirtualPath.Parent(current.Path), target));
            current = fileSystem.Lstat(next);
        }
        return current is { Kind: not FileKind.Symlink } ? current : null;
    }
}
