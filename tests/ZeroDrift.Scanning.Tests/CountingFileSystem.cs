using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Scanning.Tests;

/// <summary>A file system that counts how often each file is opened: "read once" is what the tests check.</summary>
internal sealed class CountingFileSystem(IFileSystem inner) : IFileSystem
{
    public Dictionary<string, int> Opens { get; } = [];
    public IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default) => inner.Enumerate(cancellationToken);
    public FileEntry? Lstat(string path) => inner.Lstat(path);
    public IEnumerable<FileEntry> List(string directory) => inner.List(directory);
    public Stream Open(FileEntry entry)
    {
        lock (Opens) Opens[entry.Path] = Opens.GetValueOrDefault(entry.Path) + 1;
        return inner.Open(entry);
    }
    public void Dispose() => inner.Dispose();
}
