using ZeroDrift.Artifacts.Archives;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Artifacts.Images.Layers;

/// <summary>Progress of a squash, for progress bars.</summary>
public sealed record LayerProgress(int LayerIndex, int LayerCount, long UncompressedBytes);

/// <summary>
/// Builds an image's final file view in one pass over its layers, from the top layer down: an entry is kept
/// when no upper layer wrote, deleted (<c>.wh.NAME</c>) or made opaque (<c>.wh..wh..opq</c>) its path or a parent.
/// The content of the entries the caller asks for is taken on the way, so each layer is decompressed once.
/// Nothing is written to the host except those files' content, into a private temporary directory.
/// </summary>
/// A <see cref="ILayerFileVisitor"/>, when given, also sees every version of the files it wants, hidden ones included.
public sealed class LayerSquasher(ScanLimits limits, Func<FileEntry, bool> required, Action<string> warn, IProgress<LayerProgress>? progress = null,
    ILayerFileVisitor? visitor = null)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    public async Task<ImageFileSystem> SquashAsync(ResolvedImage image, CancellationToken cancellationToken)
    {
        var entries = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var opaque = new HashSet<string>(StringComparer.Ordinal);
        var content = new ContentStore();
        var budget = new ByteBudget(limits.MaxTotalBytes);
        var linksToFill = new List<FileEntry>();
        try
        {
            for (var i = image.Layers.Count - 1; i >= 0; i--)
            {
                var layer = image.Layers[i];
                var layerDeleted = new List<string>();
                var layerOpaque = new List<string>();
                await ReadLayerAsync(image, layer, budget, cancellationToken, (tarEntry, path) =>
                {
                    var name = VirtualPath.FileName(path);
                    if (name == OpaqueMarker) { layerOpaque.Add(VirtualPath.Parent(path)); return; }
                    if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                    {
                        layerDeleted.Add(VirtualPath.Combine(VirtualPath.Parent(path), name[WhiteoutPrefix.Length..]));
                        return;
                    }
                    if (IsHidden(path, i, entries, deleted, opaque))
                    {
                        if (visitor is not null) VisitHidden(tarEntry, path, layer.Info.Ref);
                        return;
                    }
                    var entry = ToEntry(tarEntry, path, layer.Info.Ref);
                    entries[path] = entry;
                    if (entries.Count > limits.MaxEntries)
                        throw new LimitExceededException($"{image.Metadata.Reference}: more than {limits.MaxEntries} files");
                    var visit = visitor is not null && entry.Kind == FileKind.Regular && visitor.Wants(entry);
                    if (!required(entry))
                    {
                        if (visit) visitor!.Visit(entry, tarEntry.DataStream, hidden: false);
                        return;
                    }
                    switch (entry.Kind)
                    {
                        case FileKind.Regular when entry.Size > limits.MaxFileBytes:
                            warn($"{path}: {entry.Size} bytes, larger than the {limits.MaxFileBytes} byte limit for a parsed file; skipped");
                            if (visit) visitor!.Visit(entry, tarEntry.DataStream, hidden: false);
                            break;
                        case FileKind.Regular:
                            content.Capture(path, tarEntry.DataStream, entry.Size);
                            // The layer stream reads once: the visitor reads the captured copy.
                            if (visit) { using var captured = content.Open(path) ?? Stream.Null; visitor!.Visit(entry, captured, hidden: false); }
                            break;
                        case FileKind.Symlink or FileKind.Hardlink:
                            linksToFill.Add(entry);
                            break;
                    }
                });
                deleted.UnionWith(layerDeleted);
                opaque.UnionWith(layerOpaque);
            }
            var fs = new ImageFileSystem(entries, content);
            await FillLinksAsync(image, fs, entries, content, linksToFill, budget, cancellationToken).ConfigureAwait(false);
            return fs;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A required symlink or hardlink whose target was not taken when its layer passed (it was not required
    /// itself, or lies in an upper layer): read those layers again for just those files.
    /// </summary>
    private async Task FillLinksAsync(ResolvedImage image, ImageFileSystem fs, Dictionary<string, FileEntry> entries,
        ContentStore content, List<FileEntry> links, ByteBudget budget, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<int, Dictionary<string, string>>(); // layer → path in layer → path to store under
        foreach (var link in links)
        {
            if (link.Kind == FileKind.Hardlink && link.LinkTarget is { } target && link.Layer is { } layer)
            {
                if (!(content.Contains(target) && entries.TryGetValue(target, out var t) && t.Layer?.Index == layer.Index))
                    Want(layer.Index, target, link.Path);
            }
            else if (fs.Resolve(link.Path, limits.MaxSymlinkHops) is { Kind: FileKind.Regular, Layer: { } targetLayer } resolved
                     && !content.Contains(resolved.Path) && resolved.Size <= limits.MaxFileBytes)
            {
                Want(targetLayer.Index, resolved.Path, resolved.Path);
            }
        }
        foreach (var (index, paths) in wanted)
        {
            await ReadLayerAsync(image, image.Layers[index], budget, cancellationToken, (tarEntry, path) =>
            {
                if (paths.TryGetValue(path, out var storeAs) && tarEntry.Kind == TarKind.Regular)
                    content.Capture(storeAs, tarEntry.DataStream, tarEntry.Length);
            }).ConfigureAwait(false);
        }

        void Want(int layer, string pathInLayer, string storeAs)
        {
            if (!wanted.TryGetValue(layer, out var map)) wanted[layer] = map = new Dictionary<string, string>(StringComparer.Ordinal);
            map[pathInLayer] = storeAs;
        }
    }

    private void VisitHidden(TarItem tarEntry, string path, Core.LayerRef layer)
    {
        if (tarEntry.Kind != TarKind.Regular) return;
        var entry = ToEntry(tarEntry, path, layer);
        if (visitor!.Wants(entry)) visitor.Visit(entry, tarEntry.DataStream, hidden: true);
    }

    private static bool IsHidden(string path, int layerIndex, Dictionary<string, FileEntry> entries, HashSet<string> deleted, HashSet<string> opaque)
    {
        // A later entry for the same path within one layer replaces the earlier one.
        if (entries.TryGetValue(path, out var existing) && existing.Layer?.Index != layerIndex) return true;
        if (deleted.Contains(path)) return true;
        for (var parent = VirtualPath.Parent(path); ; parent = VirtualPath.Parent(parent))
        {
            if (opaque.Contains(parent) || deleted.Contains(parent)) return true;
            if (entries.TryGetValue(parent, out var p) && p.Kind != FileKind.Directory && p.Layer?.Index != layerIndex) return true;
            if (parent == VirtualPath.Root) return false;
        }
    }

    private async Task ReadLayerAsync(ResolvedImage image, LayerBlob layer, ByteBudget budget, CancellationToken cancellationToken, Action<TarItem, string> visit)
    {
        var what = $"{image.Metadata.Reference}: layer {layer.Info.Index} ({layer.Info.Digest ?? layer.Info.DiffId})";
        var escaped = 0;
        long count = 0;
        await using var blob = await layer.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var stream = new LayerStream(blob, layer.Info, limits, budget, what);
            {
                // Zeros a sparse file's holes produce are decompressed bytes too: a 20 GiB hole costs nothing to store.
                var reader = new TarEntryReader(stream.Tar, stream.ChargeExpanded);
                while (reader.Next() is { } tarEntry)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (++count > limits.MaxEntries)
                        throw new LimitExceededException($"{what}: more than {limits.MaxEntries} entries");
                    var path = VirtualPath.Normalize(tarEntry.Name, out var escapes);
                    if (escapes) escaped++;
                    if (path == VirtualPath.Root) continue;
                    visit(tarEntry, path);
                }
                progress?.Report(new LayerProgress(layer.Info.Index, image.Layers.Count, stream.UncompressedBytes));
            }
            stream.Finish();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException
                                       or ZstdSharp.ZstdException or IOException and not FileNotFoundException)
        {
            throw new ArtifactException($"{what}: corrupt or truncated layer ({e.Message.Split('\n')[0]})", e);
        }
        if (escaped > 0)
            warn($"{what}: {escaped} entries with paths that climb out of the root ('..'); kept inside the image root");
    }

    private static FileEntry ToEntry(TarItem tar, string path, Core.LayerRef layer)
    {
        var mode = tar.Mode;
        return tar.Kind switch
        {
            TarKind.Regular => new FileEntry(path, FileKind.Regular, tar.Length, mode, null, layer),
            TarKind.Directory => new FileEntry(path, FileKind.Directory, 0, mode, null, layer),
            TarKind.Symlink => new FileEntry(path, FileKind.Symlink, 0, mode, tar.LinkName, layer),
            TarKind.Hardlink => new FileEntry(path, FileKind.Hardlink, 0, mode, VirtualPath.Normalize(tar.LinkName), layer),
            _ => new FileEntry(path, FileKind.Other, 0, mode, null, layer),
        };
    }
}
