using System.IO.Compression;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Scanning.Content;

internal enum ArchiveKind { None, Zip, Tar, TarGzip }

/// <summary>Reading more from one archive than <see cref="ContentScanOptions.MaxArchiveBytes"/> allows: a bomb.</summary>
internal sealed class ArchiveBudgetException(string message) : IOException(message);

/// <summary>
/// Opens archives found inside a target and hands their entries back to the scanner. Hostile archives are normal:
/// entries are never written out under their own names (an entry climbing out with <c>..</c> is only a path in a
/// report), the bytes decompressed from one outer archive are bounded (nested ones share the budget), declared
/// sizes are enforced while reading, entries whose compression ratio says "bomb" are skipped, and so is a nesting
/// deeper than the limit. Each problem is a warning naming the archive; the scan goes on.
/// </summary>
internal sealed class ArchiveReader(ContentScanner scanner, ContentScanOptions options)
{
    private const int InMemoryZipBytes = 64 << 20;
    private const long RatioCheckBytes = 1 << 20;

    public static ArchiveKind KindOf(string path)
    {
        var name = VirtualPath.FileName(path).ToLowerInvariant();
        if (name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal)) return ArchiveKind.TarGzip;
        if (name.EndsWith(".tar", StringComparison.Ordinal)) return ArchiveKind.Tar;
        return Path.GetExtension(name) is ".zip" or ".jar" or ".war" or ".ear" or ".aar" or ".nupkg" or ".whl" or ".apk"
            ? ArchiveKind.Zip : ArchiveKind.None;
    }

    public void Scan(ContentScanner.FileOrigin origin, ArchiveKind kind, Stream content, int depth, ContentCollector collector, CancellationToken cancellationToken)
    {
        // The outermost archive owns the budget; every entry stream, nested archives' included, is charged to it.
        var budget = (content as BoundedStream)?.Root ?? new BoundedStream(content, options.MaxArchiveBytes, origin.Path);
        var reader = content as BoundedStream ?? budget;
        try
        {
            switch (kind)
            {
                case ArchiveKind.Zip: ScanZip(origin, reader, budget, depth, collector, cancellationToken); break;
                case ArchiveKind.Tar: ScanTar(origin, reader, depth, collector, cancellationToken); break;
                default:
                    using (var gzip = new GZipStream(content, CompressionMode.Decompress, leaveOpen: true))
                    {
                        // The budget bounds the decompressed bytes, which is what a gzip bomb inflates.
                        ScanTar(origin, new BoundedStream(gzip, budget.Remaining, origin.Path, budget), depth, collector, cancellationToken);
                    }
                    break;
            }
        }
        catch (ArchiveBudgetException e)
        {
            collector.Warn(e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException or ArgumentException or NotSupportedException)
        {
            collector.Warn($"{origin.Path}: corrupt or unreadable archive, skipped from there on: {e.Message.Split('\n')[0]}");
        }
    }

    private void ScanZip(ContentScanner.FileOrigin origin, BoundedStream content, BoundedStream budget, int depth, ContentCollector collector, CancellationToken cancellationToken)
    {
        // The zip directory sits at the end: a forward-only stream is first kept in memory or a private file.
        Artifacts.Temp.PrivateTempDirectory? spill = null;
        Stream seekable;
        if (ReferenceEquals(content, budget) && content.Inner.CanSeek) seekable = content.Inner;
        else if (origin.Size <= InMemoryZipBytes)
        {
            var copy = new MemoryStream();
            content.CopyTo(copy);
            copy.Position = 0;
            seekable = copy;
        }
        else if (origin.Size <= options.Limits.MaxFileBytes)
        {
            spill = new Artifacts.Temp.PrivateTempDirectory("archive");
            var file = spill.NewFile();
            using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)) content.CopyTo(output);
            seekable = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        else
        {
            collector.Warn($"{origin.Path}: {origin.Size} bytes, larger than the {options.Limits.MaxFileBytes} byte limit for an archive; not opened");
            return;
        }
        try
        {
            using var zip = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
            using var entries = new EntryFanOut(scanner, collector, depth, cancellationToken);
            if (zip.Entries.Count > options.MaxArchiveEntries)
            {
                collector.Warn($"{origin.Path}: {zip.Entries.Count} entries, more than the limit of {options.MaxArchiveEntries}; only the first are read");
            }
            var escaped = 0;
            foreach (var entry in zip.Entries.Take(options.MaxArchiveEntries))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.FullName.EndsWith('/') || entry.Length == 0 && entry.CompressedLength == 0) continue;
                var inner = VirtualPath.Normalize(entry.FullName, out var escapes);
                if (escapes) escaped++;
                var path = origin.Path + "!" + inner;
                if (!scanner.Wants(path, entry.Length)) continue;
                if (entry.Length > budget.Remaining)
                {
                    collector.Warn($"{path}: {entry.Length} bytes would pass the {options.MaxArchiveBytes} byte budget of {budget.Owner}; not read (zip bomb?)");
                    continue;
                }
                if (entry.Length > RatioCheckBytes && entry.CompressedLength > 0
                    && (double)entry.Length / entry.CompressedLength > options.Limits.MaxCompressionRatio)
                {
                    collector.Warn($"{path}: compressed {entry.Length / Math.Max(1, entry.CompressedLength)}:1, above the {options.Limits.MaxCompressionRatio}:1 limit; not read (zip bomb?)");
                    continue;
                }
                using var raw = entry.Open();
                // The declared size is enforced (a lying header cannot inflate past it) and charged to the outer budget.
                var data = new BoundedStream(raw, entry.Length, path, budget, strictLength: true);
                entries.Scan(origin with { Path = path, Size = entry.Length, Reopen = null }, data);
            }
            entries.Complete();
            if (escaped > 0)
                collector.Warn($"{origin.Path}: {escaped} entries with paths that climb out of the archive ('..'); reported inside it, never extracted");
        }
        finally
        {
            if (!ReferenceEquals(seekable, content.Inner)) seekable.Dispose();
            spill?.Dispose();
        }
    }

    private void ScanTar(ContentScanner.FileOrigin origin, BoundedStream content, int depth, ContentCollector collector, CancellationToken cancellationToken)
    {
        var reader = new Artifacts.Archives.TarEntryReader(content);
        using var entries = new EntryFanOut(scanner, collector, depth, cancellationToken);
        var count = 0;
        var escaped = 0;
        while (reader.Next() is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (++count > options.MaxArchiveEntries)
            {
                collector.Warn($"{origin.Path}: more than {options.MaxArchiveEntries} entries; the rest is not read");
                break;
            }
            if (entry.Kind != Artifacts.Archives.TarKind.Regular) continue;
            var inner = VirtualPath.Normalize(entry.Name, out var escapes);
            if (escapes) escaped++;
            var path = origin.Path + "!" + inner;
            if (!scanner.Wants(path, entry.Length)) continue;
            // The tar stream already charges stored bytes to the budget as it reads them; a sparse file's holes are
            // not stored, so its reads are charged here (its stored bytes twice: a bound, not a count).
            var data = new BoundedStream(entry.DataStream, entry.Length, path, content.Root, strictLength: true, charge: entry.Sparse);
            entries.Scan(origin with { Path = path, Size = entry.Length, Reopen = null }, data);
        }
        entries.Complete();
        if (escaped > 0)
            collector.Warn($"{origin.Path}: {escaped} entries with paths that climb out of the archive ('..'); reported inside it, never extracted");
    }
}

/// <summary>
/// Scans a top-level archive's small entries on the other cores while this thread goes on reading the archive: a
/// 50 MB package of templates is otherwise one core's work, often the last seconds of a scan. An entry is read into
/// memory (at most <see cref="MaxBytes"/>, its declared size, charged to the archive's budget as before) and handed
/// to a task; at most one entry per core is in flight, beyond that this thread scans it itself. Entries of nested
/// archives, larger entries and nested archives themselves are scanned here, in order.
/// </summary>
internal sealed class EntryFanOut(ContentScanner scanner, ContentCollector collector, int depth, CancellationToken cancellationToken) : IDisposable
{
    public const int MaxBytes = 1 << 20;
    private readonly List<Task> _inFlight = [];

    public void Scan(ContentScanner.FileOrigin entry, Stream data)
    {
        if (depth > 0 || entry.Size > MaxBytes || ArchiveReader.KindOf(entry.Path) != ArchiveKind.None)
        {
            scanner.ScanFile(entry, data, depth + 1, collector, cancellationToken);
            return;
        }
        var bytes = ContentScanner.ReadAll(data, entry.Size);
        _inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
        if (_inFlight.Count >= Environment.ProcessorCount)
        {
            scanner.ScanFile(entry, new MemoryStream(bytes, writable: false), depth + 1, collector, cancellationToken);
            return;
        }
        _inFlight.Add(Task.Run(() => scanner.ScanFile(entry, new MemoryStream(bytes, writable: false), depth + 1, collector, cancellationToken), cancellationToken));
    }

    /// <summary>Waits for the entries in flight; their failure (cancellation) surfaces here.</summary>
    public void Complete() => Task.WhenAll(_inFlight).GetAwaiter().GetResult();

    /// <summary>Never leaves a task running past the archive, whatever stopped the reading.</summary>
    public void Dispose()
    {
        try { Task.WaitAll([.. _inFlight]); }
        catch (AggregateException) { }
    }
}

/// <summary>
/// A read-only view that stops a stream at a byte budget: throws <see cref="ArchiveBudgetException"/> past it, and
/// charges what it reads to a parent budget (the outermost archive's) so nested archives share one bound.
/// With <c>strictLength</c>, reaching the budget is the declared end of an entry: the read stops there quietly.
/// </summary>
internal sealed class BoundedStream(Stream inner, long budget, string what, BoundedStream? parent = null, bool strictLength = false, bool charge = true) : Stream
{
    private long _remaining = budget;

    public long Budget { get; } = budget;

    public Stream Inner => inner;
    public string Owner => parent?.Owner ?? what;
    public BoundedStream Root => parent?.Root ?? this;
    public long Remaining => Math.Min(_remaining, parent?.Remaining ?? long.MaxValue);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        var allowed = Remaining;
        if (allowed <= 0)
        {
            if (strictLength && _remaining <= 0) return 0;
            // One more byte tells a stream that ends exactly at the budget from one that goes on.
            var probe = new byte[1];
            if (inner.Read(probe) == 0) return 0;
            throw new ArchiveBudgetException($"{Owner}: more than {Root.Budget} bytes decompressed; the rest is not read (zip bomb?)");
        }
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, allowed)]);
        _remaining -= n;
        if (charge) parent?.Charge(n);
        return n;
    }

    private void Charge(long n)
    {
        _remaining -= n;
        parent?.Charge(n);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
