namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// The file tree of a target: a directory on disk, or the squashed view of an image's layers. Paths are
/// virtual (see <see cref="VirtualPath"/>); symbolic links resolve inside the tree, never on the host.
/// </summary>
public interface IFileSystem : IDisposable
{
    /// <summary>Every entry once, in no particular order.</summary>
    IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default);

    /// <summary>The entry at <paramref name="path"/> itself, without following a final symlink.</summary>
    FileEntry? Lstat(string path);

    /// <summary>Opens a regular file (or a hardlink to one) for reading.</summary>
    Stream Open(FileEntry entry);

    /// <summary>Entries directly inside <paramref name="directory"/>.</summary>
    IEnumerable<FileEntry> List(string directory);
}
