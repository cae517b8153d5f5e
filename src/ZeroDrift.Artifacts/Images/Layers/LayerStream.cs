using System.IO.Compression;
using System.Security.Cryptography;
using ZeroDrift.Artifacts.Images.Oci;

namespace ZeroDrift.Artifacts.Images.Layers;

/// <summary>
/// Opens one layer blob for reading as a tar: detects gzip, zstd or plain content from its magic bytes, hashes
/// both the stored and the uncompressed bytes to check them against the manifest's digest and the config's
/// diff id, and stops a decompression bomb (ratio) or an oversized image (total budget) as it streams.
/// </summary>
public sealed class LayerStream : IDisposable
{
    private readonly CountingStream _compressed;
    private readonly CountingStream _uncompressed;
    private readonly Stream _decompressor;
    private readonly LayerInfo _layer;
    private readonly string _what;
    private readonly ScanLimits _limits;
    private readonly ByteBudget _budget;
    private long _expanded;

    public Stream Tar => _uncompressed;
    public long UncompressedBytes => _uncompressed.Count;

    public LayerStream(Stream blob, LayerInfo layer, ScanLimits limits, ByteBudget budget, string what)
    {
        _layer = layer;
        _what = what;
        _limits = limits;
        _budget = budget;
        _compressed = new CountingStream(blob, layer.Digest is { } d ? Digest.CreateHash(d) : null, null);
        var magic = new byte[4];
        var peeked = _compressed.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        var buffered = new BufferedStream(new PrefixedStream(magic.AsMemory(0, peeked), _compressed), 1 << 16);
        _decompressor = peeked switch
        {
            >= 2 when magic[0] == 0x1f && magic[1] == 0x8b => new GZipStream(buffered, CompressionMode.Decompress),
            >= 4 when magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd => new ZstdSharp.DecompressionStream(buffered),
            _ => buffered,
        };
        _uncompressed = new CountingStream(_decompressor, layer.DiffId is { } diff ? Digest.CreateHash(diff) : null,
            (chunk, total) =>
            {
                budget.Take(chunk, what);
                CheckRatio(total + _expanded);
            });
    }

    /// <summary>Bytes the tar makes without storing them (a sparse file's holes): charged like decompressed bytes.</summary>
    public void ChargeExpanded(long bytes)
    {
        _expanded += bytes;
        _budget.Take(bytes, _what);
        CheckRatio(_uncompressed.Count + _expanded);
    }

    private void CheckRatio(long total)
    {
        if (total > _limits.RatioCheckThresholdBytes && total > _limits.MaxCompressionRatio * Math.Max(1, _compressed.Count))
            throw new LimitExceededException($"{_what}: decompression bomb (ratio above {_limits.MaxCompressionRatio}:1)");
    }

    /// <summary>Reads what is left (tar padding), then checks both digests.</summary>
    public void Finish()
    {
        var sink = new byte[1 << 16];
        while (_uncompressed.Read(sink) > 0) { }
        if (_layer.DiffId is { } diffId && _uncompressed.HashHex() is { } actualDiff && !diffId.EndsWith(":" + actualDiff, StringComparison.Ordinal))
            throw new ArtifactException($"{_what}: uncompressed content does not match its digest (diff id {diffId})");
        if (_layer.Digest is { } digest)
        {
            while (_compressed.Read(sink) > 0) { }
            if (_compressed.HashHex() is { } actual && !digest.EndsWith(":" + actual, StringComparison.Ordinal))
                throw new ArtifactException($"{_what}: blob does not match its digest {digest}");
        }
    }

    public void Dispose()
    {
        _uncompressed.Dispose();
        _decompressor.Dispose();
        _compressed.Dispose();
    }
}

/// <summary>The decompressed bytes one target may produce in all, shared by its layers and nested archives.</summary>
public sealed class ByteBudget(long limit)
{
    private long _used;

    public long Used => Interlocked.Read(ref _used);

    public void Take(long bytes, string what)
    {
        if (Interlocked.Add(ref _used, bytes) > limit)
            throw new LimitExceededException($"{what}: more than {limit} bytes once decompressed (raise --max-total-bytes if this image is genuine)");
    }
}

/// <summary>Counts and optionally hashes the bytes read through it; reports each chunk's running total.</summary>
internal sealed class CountingStream(Stream inner, IncrementalHash? hash, Action<int, long>? onRead) : Stream
{
    private long _count;

    public long Count => _count;

    public string? HashHex() => hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Account(buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        hash?.AppendData(data);
        _count += data.Length;
        onRead?.Invoke(data.Length, _count);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _count; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) { inner.Dispose(); hash?.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>Gives back bytes already read (a format's magic) before the rest of the stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.Length > 0)
        {
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }
        return rest.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
