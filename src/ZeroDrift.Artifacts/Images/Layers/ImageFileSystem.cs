using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Images.Layers;

/// <summary>
/// The final view of an image's layers (whiteouts applied), each entry knowing the layer that last wrote it.
/// Only the files the scan asked for while the layers streamed have content; opening another is a bug in the caller.
/// </summary>
public sealed class ImageFileSystem : IFileSystem
{
    private readonly Dictionary<string, FileEntry> _entries;
    private readonly ContentStore _content;
    private Dictionary<string, List<FileEntry>>? _children;

    internal ImageFileSystem(Dictionary<string, FileEntry> entries, ContentStore content)
    {
        _entries = entries;
        _content = content;
    }

    public int Count => _entries.Count;

    public IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default) => _entries.Values;

    public FileEntry? Lstat(string path)
    {
        var normalized = VirtualPath.Normalize(path);
        if (_entries.TryGetValue(normalized, out var entry)) return entry;
        // Layers need not carry an entry for every parent directory.
        return normalized == VirtualPath.Root || Children().ContainsKey(normalized)
            ? new FileEntry(normalized, FileKind.Directory, 0, 0b111_101_101)
            : null;
    }

    public IEnumerable<FileEntry> List(string directory) =>
        Children().TryGetValue(VirtualPath.Normalize(directory), out var list) ? list : [];

    public bool HasContent(string path) => _content.Contains(path);

    public Stream Open(FileEntry entry)
    {
        var content = _content.Open(entry.Path);
        if (content is null && entry.Kind == FileKind.Hardlink && entry.LinkTarget is { } target)
        {
            content = _content.Open(target);
            // A hard link names a file of the same layer; one naming a path no layer holds is a broken image.
            if (content is null && !_entries.ContainsKey(target))
                throw new ArtifactException($"{entry.Path}: a hard link to {target}, which is not in the image");
        }
        return content
            ?? throw new InvalidOperationException($"{entry.Path}: content was not captured from the layers (no cataloger asked for it)");
    }

    private Dictionary<string, List<FileEntry>> Children()
    {
        if (_children is not null) return _children;
        var children = new Dictionary<string, List<FileEntry>>(StringComparer.Ordinal);
        var implied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _entries.Values)
        {
            var parent = VirtualPath.Parent(entry.Path);
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
            list.Add(entry);
            // Make implied ancestors listable too, each once (a set: a hostile layer may imply many siblings).
            for (var p = parent; p != VirtualPath.Root && !_entries.ContainsKey(p) && implied.Add(p); p = VirtualPath.Parent(p))
            {
                var pp = VirtualPath.Parent(p);
                if (!children.TryGetValue(pp, out var l2)) children[pp] = l2 = [];
                l2.Add(new FileEntry(p, FileKind.Directory, 0, 0b111_101_101));
            }
        }
        return _children = children;
    }

    public void Dispose() => _content.Dispose();
}
