using System.Text;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Artifacts.FileSystems;

public static class FileSystemExtensions
{
    /// <summary>
    /// Resolves <paramref name="path"/> inside the tree, following symlinks in every component (relative targets
    /// from their directory, absolute ones from the tree's root), at most <paramref name="maxHops"/> of them.
    /// Returns null when a component is missing or the links loop.
    /// </summary>
    public static FileEntry? Resolve(this IFileSystem fs, string path, int maxHops = 40)
    {
        var pending = new Stack<string>();
        foreach (var part in VirtualPath.Normalize(path).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            pending.Push(part);
        var current = VirtualPath.Root;
        var hops = 0;
        FileEntry? entry = fs.Lstat(VirtualPath.Root);
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { current = VirtualPath.Parent(current); entry = fs.Lstat(current); continue; }
            var next = current == VirtualPath.Root ? "/" + part : current + "/" + part;
            entry = fs.Lstat(next);
            if (entry is null) return null;
            if (entry.Kind == FileKind.Symlink && entry.LinkTarget is { Length: > 0 } target)
            {
                if (++hops > maxHops) return null;
                if (target.StartsWith('/')) current = VirtualPath.Root;
                foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(t);
                entry = fs.Lstat(current);
                continue;
            }
            current = next;
        }
        return entry ?? new FileEntry(VirtualPath.Root, FileKind.Directory, 0, 0b111_101_101);
    }

    /// <summary>Opens the file at <paramref name="path"/> after resolving links; null when there is no such regular file.</summary>
    public static Stream? OpenPath(this IFileSystem fs, string path)
    {
        var entry = fs.Resolve(path);
        return entry is { Kind: FileKind.Regular or FileKind.Hardlink } ? fs.Open(entry) : null;
    }

    /// <summary>Reads a text file of at most <paramref name="maxBytes"/>; null when absent; throws when larger.</summary>
    public static string? ReadText(this IFileSystem fs, string path, long maxBytes = 16 << 20)
    {
        var entry = fs.Resolve(path);
        if (entry is not { Kind: FileKind.Regular or FileKind.Hardlink }) return null;
        return fs.ReadText(entry, maxBytes);
    }

    /// <summary>Reads <paramref name="entry"/> as UTF-8 text. Its size from the file system is checked before a byte is
    /// read (a sparse 20 GiB file costs nothing), and again while reading (a file can grow, a layer header can lie).</summary>
    /// <exception cref="LimitExceededException">When the file is larger than <paramref name="maxBytes"/>.</exception>
    public static string ReadText(this IFileSystem fs, FileEntry entry, long maxBytes = 16 << 20)
    {
        if (entry.Size > maxBytes)
            throw new LimitExceededException($"{entry.Path}: {entry.Size} bytes, larger than the {maxBytes} byte limit for a parsed file");
        using var stream = fs.Open(entry);
        return Encoding.UTF8.GetString(ReadBounded(stream, maxBytes, entry.Path, entry.Size));
    }

    /// <summary><see cref="BoundedRead.ReadAll"/> for a target's files: past the limit is a <see cref="LimitExceededException"/>,
    /// which callers reading a target treat as any other unreadable entry.</summary>
    public static byte[] ReadBounded(Stream stream, long maxBytes, string what, long expectedBytes = 0)
    {
        try
        {
            return BoundedRead.ReadAll(stream, maxBytes, what, expectedBytes);
        }
        catch (BudgetExceededException e)
        {
            throw new LimitExceededException(e.Message);
        }
    }
}
