using System.IO.Compression;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.Temp;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// What one outer archive may cost, shared by every archive nested in it: entries listed, bytes decompressed
/// (counted as they are read, not taken from the headers, which a bomb lies in), and the compression ratio of
/// each entry once it is past the ratio threshold.
/// </summary>
internal sealed class ArchiveBudget(ScanLimits limits, long maxBytes) : IDisposable
{
    // Nested archives up to this size are held in memory; larger ones spill to a private temporary file.
    private const long InMemoryBytes = 32 << 20;

    private long _bytes;
    private long _entries;
    private PrivateTempDirectory? _temp;

    public ScanLimits Limits => limits;

    /// <summary>True once the byte budget is spent: nothing more is worth opening.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>
    /// <paramref name="stream"/> itself when seekable (ZipArchive needs to seek to the central directory), else a
    /// copy of it of at most <paramref name="maxBytes"/>, in memory or in a private temporary file.
    /// </summary>
    public Stream Seekable(Stream stream, long size, long maxBytes, string what)
    {
        if (stream.CanSeek) return stream;
        using (stream)
        {
            Stream copy;
            if (size <= InMemoryBytes)
            {
                copy = new MemoryStream();
            }
            else
            {
                _temp ??= new PrivateTempDirectory("jar");
                copy = new FileStream(_temp.NewFile(".jar"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
            }
            var chunk = new byte[81920];
            long total = 0;
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    copy.Dispose();
                    throw new LimitExceededException($"{what}: larger than the {maxBytes} byte limit for a parsed file");
                }
                copy.Write(chunk, 0, read);
            }
            copy.Position = 0;
            return copy;
        }
    }

    public void CountEntries(int count, string what)
    {
        _entries += count;
        if (_entries > limits.MaxEntries)
            throw Exhaust($"{what}: more than {limits.MaxEntries} zip entries in the archive and those nested in it");
    }

    /// <summary>
    /// Reads an entry whole into memory (text files: manifests, pom.properties); an entry larger than
    /// <paramref name="maxEntryBytes"/> is refused.
    /// </summary>
    public byte[] ReadSmall(ZipArchiveEntry entry, long maxEntryBytes, string what)
    {
        if (entry.Length > maxEntryBytes)
            throw new LimitExceededException($"{what}: {entry.Length} bytes, more than the {maxEntryBytes} bytes expected of it");
        using var buffer = new MemoryStream();
        Copy(entry, buffer, maxEntryBytes, what);
        return buffer.ToArray();
    }

    /// <summary>Extracts a nested archive into a seekable stream the caller disposes.</summary>
    public Stream Extract(ZipArchiveEntry entry, string what)
    {
        CheckRatio(entry.Length, entry.CompressedLength, what);
        if (entry.Length > maxBytes - _bytes)
            throw Exhaust($"{what}: {entry.Length} uncompressed bytes would pass the {maxBytes} byte budget of the outer archive");
        Stream target;
        if (entry.Length <= InMemoryBytes)
        {
            target = new MemoryStream((int)Math.Max(entry.Length, 0));
        }
        else
        {
            _temp ??= new PrivateTempDirectory("jar");
            target = new FileStream(_temp.NewFile(".jar"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        }
        try
        {
            // The header's size is checked above; the bytes actually inflated are bounded here as well.
            Copy(entry, target, maxBytes - _bytes, what);
            target.Position = 0;
            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>Copies an entry counting every inflated byte against the budget, the per-entry bound and the ratio.</summary>
    private void Copy(ZipArchiveEntry entry, Stream target, long maxEntryBytes, string what)
    {
        using var source = entry.Open();
        var chunk = new byte[81920];
        long copied = 0;
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            copied += read;
            _bytes += read;
            if (copied > maxEntryBytes)
                throw new LimitExceededException($"{what}: inflates past {maxEntryBytes} bytes");
            if (_bytes > maxBytes)
                throw Exhaust($"{what}: the archive and those nested in it inflate past the {maxBytes} byte budget");
            CheckRatio(copied, entry.CompressedLength, what);
            target.Write(chunk, 0, read);
        }
    }

    private LimitExceededException Exhaust(string message)
    {
        Exhausted = true;
        return new LimitExceededException(message);
    }

    private void CheckRatio(long uncompressed, long compressed, string what)
    {
        if (uncompressed <= limits.RatioCheckThresholdBytes) return;
        var ratio = compressed <= 0 ? double.PositiveInfinity : (double)uncompressed / compressed;
        if (ratio > limits.MaxCompressionRatio)
            throw new LimitExceededException($"{what}: compression ratio {ratio:F0}:1 exceeds {limits.MaxCompressionRatio:F0}:1 (zip bomb?)");
    }

    public void Dispose() => _temp?.Dispose();
}
