using System.IO.Compression;
using System.Security.Cryptography;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Parsing.Streams;

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
    private readonly IncrementalHash? _compressedHash;
    private readonly IncrementalHash? _uncompressedHash;
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
        _compressedHash = layer.Digest is { } d ? Digest.CreateHash(d) : null;
        _uncompressedHash = layer.DiffId is { } diff ? Digest.CreateHash(diff) : null;
        _compressed = new CountingStream(blob, _compressedHash is { } ch ? (chunk, _) => ch.AppendData(chunk) : null);
        var magic = new byte[4];
        var peeked = _compressed.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        var buffered = new BufferedStream(new PrefixedStream(magic.AsMemory(0, peeked), _compressed), 1 << 16);
        _decompressor = peeked switch
        {
            >= 2 when magic[0] == 0x1f && magic[1] == 0x8b => new GZipStream(buffered, CompressionMode.Decompress),
            >= 4 when magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd => new ZstdSharp.DecompressionStream(buffered),
            _ => buffered,
        };
        _uncompressed = new CountingStream(_decompressor,
            (chunk, total) =>
            {
                _uncompressedHash?.AppendData(chunk);
                budget.Take(chunk.Length, what);
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
        if (_layer.DiffId is { } diffId && HashHex(_uncompressedHash) is { } actualDiff && !diffId.EndsWith(":" + actualDiff, StringComparison.Ordinal))
            throw new ArtifactException($"{_what}: uncompressed content does not match its digest (diff id {diffId})");
        if (_layer.Digest is { } digest)
        {
            while (_compressed.Read(sink) > 0) { }
            if (HashHex(_compressedHash) is { } actual && !digest.EndsWith(":" + actual, StringComparison.Ordinal))
                throw new ArtifactException($"{_what}: blob does not match its digest {digest}");
        }
    }

    private static string? HashHex(IncrementalHash? hash) => hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());

    public void Dispose()
    {
        _uncompressed.Dispose();
        _decompressor.Dispose();
        _compressed.Dispose();
        _compressedHash?.Dispose();
        _uncompressedHash?.Dispose();
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
