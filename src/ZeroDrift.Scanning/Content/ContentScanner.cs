using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Scanning.Content;

/// <summary>
/// The one pass of the content scanners: each file any detector requires is read once and handed to every
/// detector that requires it; archives inside the target (zip, jar, war, ear, tar, tar.gz) are opened to a bounded
/// depth and their entries go the same way, under paths like <c>/app/x.jar!/BOOT-INF/application.properties</c>.
/// Directories are walked in parallel over files; an image's files (every version in every layer) stream past
/// through <see cref="LayerVisitor"/> while the layers are read for the inventory, so the image is read once too.
/// A detector's failure on one file is a warning; the scan goes on.
/// </summary>
public sealed class ContentScanner(IReadOnlyList<IContentDetector> detectors, ContentScanOptions options)
{
    public IReadOnlyList<IContentDetector> Detectors => detectors;

    public ContentScanOptions Options => options;

    private ArchiveReader Archives => new(this, options);

    /// <summary>Scans every regular file of a directory tree (or any fully readable file system), in parallel.</summary>
    public ContentResult ScanFileSystem(IFileSystem fileSystem, CancellationToken cancellationToken)
    {
        var collector = new ContentCollector();
        var files = fileSystem.Enumerate(cancellationToken).Where(e => e.Kind == FileKind.Regular && Wants(e.Path, e.Size));
        Parallel.ForEach(files, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            entry =>
            {
                try
                {
                    using var stream = fileSystem.Open(entry);
                    ScanFile(new FileOrigin(entry.Path, entry.Size, () => fileSystem.Open(entry), Decorate: null), stream, depth: 0, collector, cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    collector.Warn($"{entry.Path}: cannot read: {e.Message.Split('\n')[0]}");
                }
            });
        Finish(collector, cancellationToken);
        return collector.Result();
    }

    /// <summary>The findings of detectors that judge files together (Terraform modules), once all files are read.</summary>
    public void Finish(ContentCollector collector, CancellationToken cancellationToken)
    {
        foreach (var detector in detectors.OfType<IDeferredContentDetector>())
        {
            try
            {
                // The per-file bound holds for findings judged across files too: they count against the file they name.
                var perFile = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var finding in detector.Complete(collector.Warn, cancellationToken))
                {
                    var count = perFile[finding.Path] = perFile.GetValueOrDefault(finding.Path) + 1;
                    if (count == options.MaxFindingsPerFile + 1)
                        collector.Warn($"{finding.Path}: more than {options.MaxFindingsPerFile} {detector.Class.ToString().ToLowerInvariant()} findings judged across files; the rest are not reported");
                    if (count <= options.MaxFindingsPerFile) collector.Add(finding);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                collector.Warn($"{detector.Class.ToString().ToLowerInvariant()} scan failed: {e.Message.Split('\n')[0]}");
            }
        }
    }

    /// <summary>
    /// A visitor for <see cref="Artifacts.Targets.TargetOptions.LayerFileVisitor"/>: every version of every file the
    /// detectors want goes through them; versions a later layer deleted or overwrote are flagged as such. Call
    /// <see cref="LayerContentVisitor.Complete"/> once the layers are read, before taking the collector's result.
    /// </summary>
    public LayerContentVisitor LayerVisitor(ContentCollector collector, CancellationToken cancellationToken) =>
        new(this, collector, cancellationToken);

    /// <summary>True when a detector needs the file, or it is an archive whose entries they may need.</summary>
    public bool Wants(string path, long size) =>
        ArchiveReader.KindOf(path) != ArchiveKind.None || detectors.Any(d => d.FileRequired(path, size));

    /// <summary>Where a file's content comes from and what to add to its findings (layer, commit).</summary>
    internal sealed record FileOrigin(string Path, long Size, Func<Stream>? Reopen, Func<ContentFinding, ContentFinding>? Decorate);

    /// <summary>Scans one file's content (or opens it as an archive); <paramref name="depth"/> counts enclosing archives.</summary>
    internal void ScanFile(FileOrigin origin, Stream content, int depth, ContentCollector collector, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var kind = ArchiveReader.KindOf(origin.Path);
        if (kind != ArchiveKind.None)
        {
            if (depth >= options.MaxArchiveDepth)
                collector.Warn($"{origin.Path}: archive nested {depth + 1} deep, deeper than the limit of {options.MaxArchiveDepth}; not opened");
            else
                Archives.Scan(origin, kind, content, depth, collector, cancellationToken);
            return;
        }
        var wanted = detectors.Where(d => d.FileRequired(origin.Path, origin.Size)).ToList();
        if (wanted.Count == 0) return;
        // Counted as read, not as declared: a detector may stop early (a binary file) and a header may lie.
        var counted = new CountingStream(content, leaveOpen: true);
        try
        {
            ScanWith(wanted, origin, counted, collector, cancellationToken);
        }
        finally
        {
            collector.Counted(counted.Count);
        }
    }

    private void ScanWith(List<IContentDetector> wanted, FileOrigin origin, Stream content, ContentCollector collector, CancellationToken cancellationToken)
    {
        if (wanted.Count == 1)
        {
            Run(wanted[0], origin, content, collector, cancellationToken);
            return;
        }
        if (origin.Size <= options.SharedBufferBytes)
        {
            // Read once into memory; every detector reads its own view of the same bytes.
            var bytes = ReadAll(content, origin.Size);
            foreach (var d in wanted) Run(d, origin, new MemoryStream(bytes, writable: false), collector, cancellationToken);
            return;
        }
        if (origin.Reopen is not null)
        {
            Run(wanted[0], origin, content, collector, cancellationToken);
            foreach (var d in wanted.Skip(1))
            {
                using var again = origin.Reopen();
                Run(d, origin, again, collector, cancellationToken);
            }
            return;
        }
        // A large file from a forward-only stream (a layer, an archive entry): keep it in a private file for the others.
        using var spill = new Artifacts.Temp.PrivateTempDirectory("content");
        var file = spill.NewFile();
        using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)) content.CopyTo(output);
        foreach (var d in wanted)
        {
            using var copy = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Run(d, origin, copy, collector, cancellationToken);
        }
    }

    internal static byte[] ReadAll(Stream content, long size)
    {
        using var buffer = new MemoryStream((int)Math.Max(0, size));
        content.CopyTo(buffer);
        return buffer.ToArray();
    }

    private void Run(IContentDetector detector, FileOrigin origin, Stream content, ContentCollector collector, CancellationToken cancellationToken)
    {
        try
        {
            // A file's findings are memory the file decides: past the limit the detector is not asked for more (one that
            // yields as it parses, as the misconfiguration scanner does, stops parsing there too).
            var count = 0;
            foreach (var finding in detector.Scan(origin.Path, content, collector.Warn, cancellationToken))
            {
                if (++count > options.MaxFindingsPerFile)
                {
                    collector.Warn($"{origin.Path}: more than {options.MaxFindingsPerFile} {detector.Class.ToString().ToLowerInvariant()} findings; the rest of the file is not reported");
                    break;
                }
                collector.Add(origin.Decorate is null ? finding : origin.Decorate(finding));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not ArchiveBudgetException)
        {
            collector.Warn($"{origin.Path}: {detector.Class.ToString().ToLowerInvariant()} scan failed: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>
    /// Scans the files of an image's layers as they stream past. The layer is read on one thread; files up to
    /// 1 MiB (almost all text files) are copied and scanned by workers on the other cores, at most 64 waiting
    /// (64 MiB), so decompression and scanning overlap with bounded memory; larger files are scanned inline.
    /// </summary>
    public sealed class LayerContentVisitor : ILayerFileVisitor, IDisposable
    {
        private const int OffloadBytes = 1 << 20;
        private readonly ContentScanner _scanner;
        private readonly ContentCollector _collector;
        private readonly CancellationToken _cancellationToken;
        private readonly System.Collections.Concurrent.BlockingCollection<(FileOrigin Origin, byte[] Content)> _queue = new(boundedCapacity: 64);
        private readonly Task[] _workers;

        internal LayerContentVisitor(ContentScanner scanner, ContentCollector collector, CancellationToken cancellationToken)
        {
            _scanner = scanner;
            _collector = collector;
            _cancellationToken = cancellationToken;
            _workers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount - 1)).Select(_ => Task.Run(() =>
            {
                foreach (var (origin, content) in _queue.GetConsumingEnumerable())
                    Scan(origin, new MemoryStream(content, writable: false));
            })).ToArray();
        }

        public bool Wants(FileEntry entry) => _scanner.Wants(entry.Path, entry.Size);

        public void Visit(FileEntry entry, Stream content, bool hidden)
        {
            var layer = entry.Layer;
            var origin = new FileOrigin(entry.Path, entry.Size, Reopen: null, f => Decorate(f, layer, hidden));
            if (entry.Size > OffloadBytes || _queue.IsAddingCompleted)
            {
                Scan(origin, content);
                return;
            }
            byte[] bytes;
            try
            {
                bytes = ReadAll(content, entry.Size);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                _collector.Warn($"{entry.Path} (layer {layer?.Index}): cannot read: {e.Message.Split('\n')[0]}");
                return;
            }
            _queue.Add((origin, bytes), _cancellationToken);
        }

        /// <summary>Waits for the files still queued: after this the collector holds every finding.</summary>
        public void Complete()
        {
            _queue.CompleteAdding();
            Task.WaitAll(_workers, _cancellationToken);
            _scanner.Finish(_collector, _cancellationToken);
        }

        public void Dispose()
        {
            if (!_queue.IsAddingCompleted) _queue.CompleteAdding();
            try { Task.WaitAll(_workers); } catch (AggregateException) { }
            _queue.Dispose();
        }

        private void Scan(FileOrigin origin, Stream content)
        {
            try
            {
                _scanner.ScanFile(origin, content, depth: 0, _collector, _cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A worker never dies on one file: the layer reader would wait on a full queue for ever.
                _collector.Warn($"{origin.Path}: cannot scan: {e.Message.Split('\n')[0]}");
            }
        }

        /// <summary>The same secret in two layers is two findings: a deleted version's fingerprint names its layer.</summary>
        private static ContentFinding Decorate(ContentFinding f, LayerRef? layer, bool hidden) => f with
        {
            Layer = layer,
            InDeletedLayer = hidden,
            Fingerprint = hidden && layer is not null ? $"{layer.Digest}:{f.Fingerprint}" : f.Fingerprint,
            Message = hidden ? f.Message + $" (in a deleted layer: layer {layer?.Index} still holds this file although a later layer removed or replaced it)" : f.Message,
        };
    }
}
