using System.Formats.Tar;

namespace ZeroDrift.Artifacts.Images.Archives;

/// <summary>
/// The regular files of an uncompressed tar archive on disk (an image archive), indexed by name with their
/// offsets, so that each member opens later as a bounded slice without extracting anything.
/// </summary>
public sealed class TarIndex
{
    private readonly string _archivePath;
    private readonly Dictionary<string, (long Offset, long Length)> _members = new(StringComparer.Ordinal);

    private TarIndex(string archivePath) => _archivePath = archivePath;

    public static TarIndex Build(string archivePath, ScanLimits limits)
    {
        var index = new TarIndex(archivePath);
        try
        {
            using var stream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new TarReader(stream, leaveOpen: true);
            long count = 0;
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (++count > limits.MaxEntries)
                    throw new LimitExceededException($"{archivePath}: more than {limits.MaxEntries} entries");
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var name = Normalize(entry.Name);
                // On a seekable stream TarReader leaves the position after the member's data and its padding to
                // the 512-byte block, so the data starts one padded length back. Layers are digest-checked and
                // JSON members parsed, so an offset that were ever wrong would fail loudly, not silently.
                var padded = (entry.Length + 511) / 512 * 512;
                var offset = stream.Position - padded;
                if (entry.Length < 0 || offset < 512 || offset + entry.Length > stream.Length)
                    throw new ArtifactException($"{archivePath}: truncated archive (member {name} runs past the end)");
                index._members[name] = (offset, entry.Length);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            throw new ArtifactException($"{archivePath}: corrupt or truncated tar archive ({e.Message})");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ArtifactException($"{archivePath}: permission denied");
        }
        return index;
    }

    private static string Normalize(string name) => name.Replace('\\', '/').TrimStart('.', '/');

    public bool Contains(string name) => _members.ContainsKey(Normalize(name));

    public long? Length(string name) => _members.TryGetValue(Normalize(name), out var m) ? m.Length : null;

    public Stream? Open(string name)
    {
        if (!_members.TryGetValue(Normalize(name), out var member)) return null;
        var stream = new FileStream(_archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        stream.Seek(member.Offset, SeekOrigin.Begin);
        return new SliceStream(stream, member.Length);
    }
}

/// <summary>A read-only window of <c>length</c> bytes starting at the inner stream's position; owns the inner stream.</summary>
internal sealed class SliceStream(Stream inner, long length) : Stream
{
    private readonly long _length = length;
    private long _remaining = length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0) return 0;
        var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        if (read == 0) throw new EndOfStreamException("archive member is truncated");
        _remaining -= read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0) return 0;
        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0) throw new EndOfStreamException("archive member is truncated");
        _remaining -= read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
