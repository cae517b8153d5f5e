using System.Collections.Concurrent;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Parsing;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Scanning.Content;

/// <summary>
/// One read of a directory's files for the vulnerability scan and the content scanners together. The inventory
/// runs first through <see cref="First"/>: a file it opens that the content scanners want too (a manifest, a
/// lockfile) is read into memory once, served to the cataloger from there and kept; the content scan then reads
/// through <see cref="Second"/>, which hands out a kept file once and forgets it. Files only one side wants are
/// read by that side alone, as before. For images the layer visitor already gives one read, so this is for
/// directories (whose files, unlike a layer stream, could be read twice).
/// Bounded: files over <see cref="MaxFileBytes"/> and anything past <see cref="MaxTotalBytes"/> kept at once are
/// simply read again by the second side.
/// </summary>
public sealed class SharedFileReads : IDisposable
{
    public const long MaxFileBytes = 8L * 1024 * 1024;
    public const long MaxTotalBytes = 64L * 1024 * 1024;

    private readonly IFileSystem _inner;
    private readonly Func<FileEntry, bool> _secondWants;
    private readonly ConcurrentDictionary<string, byte[]> _kept = new(StringComparer.Ordinal);
    private long _keptBytes;

    /// <param name="inner">The directory's file system (not owned: the target disposes it).</param>
    /// <param name="secondWants">Whether the second reader will read the file (<see cref="ContentScanner.Wants"/>).</param>
    public SharedFileReads(IFileSystem inner, Func<FileEntry, bool> secondWants)
    {
        _inner = inner;
        _secondWants = secondWants;
        First = new View(this, first: true);
        Second = new View(this, first: false);
    }

    /// <summary>The view the first reader (the inventory) uses.</summary>
    public IFileSystem First { get; }

    /// <summary>The view the second reader (the content scan) uses.</summary>
    public IFileSystem Second { get; }

    /// <summary>Files read once for both sides (for tests and the benchmark).</summary>
    public int SharedFiles => _sharedFiles;

    private int _sharedFiles;

    private Stream OpenFirst(FileEntry entry)
    {
        if (_kept.TryGetValue(entry.Path, out var kept)) return new MemoryStream(kept, writable: false);
        if (entry.Size > MaxFileBytes || Interlocked.Read(ref _keptBytes) + entry.Size > MaxTotalBytes || !_secondWants(entry))
            return _inner.Open(entry);
        var stream = _inner.Open(entry);
        byte[] bytes;
        try
        {
            // A binary file (a NUL byte in its first 8 KB: an assembly, an ELF binary) costs the detectors one
            // small read, not a whole one: it is handed to the cataloger as it is, neither copied nor kept.
            if (stream.CanSeek && ArchiveReader.KindOf(entry.Path) == ArchiveKind.None)
            {
                var sniff = new byte[(int)Math.Min(BinaryContent.SniffBytes, Math.Max(0, entry.Size))];
                var n = BinaryContent.ReadHead(stream, sniff);
                stream.Seek(0, SeekOrigin.Begin);
                if (BinaryContent.IsBinary(sniff.AsSpan(0, n))) return stream;
            }
            // A file that grows past the limit while it is read is an error, not an unbounded buffer.
            bytes = BoundedRead.ReadAll(stream, MaxFileBytes, entry.Path, entry.Size);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        stream.Dispose();
        if (_kept.TryAdd(entry.Path, bytes))
        {
            Interlocked.Add(ref _keptBytes, bytes.Length);
            Interlocked.Increment(ref _sharedFiles);
        }
        return new MemoryStream(bytes, writable: false);
    }

    private Stream OpenSecond(FileEntry entry)
    {
        if (!_kept.TryRemove(entry.Path, out var kept)) return _inner.Open(entry);
        Interlocked.Add(ref _keptBytes, -kept.Length);
        return new MemoryStream(kept, writable: false);
    }

    public void Dispose()
    {
        _kept.Clear();
        _keptBytes = 0;
    }

    private sealed class View(SharedFileReads shared, bool first) : IFileSystem
    {
        public IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default) => shared._inner.Enumerate(cancellationToken);

        public FileEntry? Lstat(string path) => shared._inner.Lstat(path);

        public Stream Open(FileEntry entry) => first ? shared.OpenFirst(entry) : shared.OpenSecond(entry);

        public IEnumerable<FileEntry> List(string directory) => shared._inner.List(directory);

        // The views do not own the directory: the target that opened it disposes it.
        public void Dispose() { }
    }
}
