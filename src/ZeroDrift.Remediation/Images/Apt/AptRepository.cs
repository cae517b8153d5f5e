using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>
/// Reads one apt repository the way apt does before it trusts anything: InRelease is fetched and its OpenPGP
/// signature checked against the keyring (an expired <c>Valid-Until</c> is refused, as apt refuses replayed
/// metadata); the Packages index is fetched and must match the SHA-256 and size the signed Release lists; the
/// packages it names are fetched later and must match the index's SHA-256 and size.
/// </summary>
public sealed class AptRepository(HttpFetcher fetcher, OpenPgpKeyring keyring, TimeProvider time)
{
    /// <summary>Largest InRelease read (Debian's are about 200 KB).</summary>
    public const long MaxReleaseBytes = 16L << 20;

    /// <summary>Largest Packages index read, compressed and uncompressed (bookworm main/amd64: 9 MB as xz, 45 MB as text).</summary>
    public const long MaxIndexBytes = 512L << 20;

    /// <summary>The packages of <paramref name="source"/> for <paramref name="architecture"/>, every signature and checksum checked.</summary>
    public async Task<List<AptPackage>> LoadAsync(AptSource source, string architecture, CancellationToken ct)
    {
        var releaseUri = new Uri(source.BaseUri, $"dists/{source.Suite}/InRelease");
        var what = releaseUri.ToString();
        var document = await fetcher.GetAsync(releaseUri, MaxReleaseBytes, ct).ConfigureAwait(false)
            ?? throw new RemediationException($"{what}: not found (a repository without InRelease is not supported)");
        var verified = ClearSignedVerifier.Verify(document, keyring, what);
        var release = ControlFile.Parse(verified.Text, what).FirstOrDefault() ?? throw new RemediationException($"{what}: empty Release");
        CheckValidUntil(release, what);
        var checksums = ControlFile.Lines(release["SHA256"])
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 3)
            .ToDictionary(p => p[2], p => (Sha256: p[0], Size: long.Parse(p[1], NumberStyles.None, CultureInfo.InvariantCulture)), StringComparer.Ordinal);
        if (checksums.Count == 0) throw new RemediationException($"{what}: the Release lists no SHA256 checksums");
        var packages = new List<AptPackage>();
        foreach (var component in source.Components)
        {
            var stem = $"{component}/binary-{architecture}/Packages";
            var name = new[] { stem + ".xz", stem + ".gz", stem }.FirstOrDefault(checksums.ContainsKey)
                ?? throw new RemediationException($"{what}: the Release lists no {stem} index");
            var (sha256, size) = checksums[name];
            if (size > MaxIndexBytes) throw new RemediationException($"{what}: {name} has {size} bytes, more than {MaxIndexBytes}");
            var indexUri = new Uri(source.BaseUri, $"dists/{source.Suite}/{name}");
            var content = await fetcher.GetAsync(indexUri, size, ct).ConfigureAwait(false)
                ?? throw new RemediationException($"{indexUri}: not found, though the Release lists it");
            var actual = Convert.ToHexStringLower(SHA256.HashData(content));
            if (content.Length != size || !string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new RemediationException($"{indexUri}: checksum mismatch (SHA256 {actual}, {content.Length} bytes; the signed Release says {sha256}, {size} bytes)");
            using var text = new StreamReader(Decompress(content, name, indexUri.ToString()));
            foreach (var p in ControlFile.Parse(text, indexUri.ToString()))
                if (ToPackage(p, source, indexUri.ToString()) is { } package) packages.Add(package);
        }
        return packages;
    }

    private void CheckValidUntil(ControlParagraph release, string what)
    {
        if (release["Valid-Until"] is not { } text) return;
        if (!DateTimeOffset.TryParse(text.Replace(" UTC", " +0000", StringComparison.Ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var until))
            throw new RemediationException($"{what}: unreadable Valid-Until '{text}'");
        if (until < time.GetUtcNow())
            throw new RemediationException($"{what}: expired (Valid-Until {text}): the repository's metadata may be a replay");
    }

    internal static Stream Decompress(byte[] content, string name, string what)
    {
        var raw = new MemoryStream(content, writable: false);
        Stream stream = name.EndsWith(".xz", StringComparison.Ordinal) ? Compression.XzDecoder.Open(raw)
            : name.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress)
            : raw;
        return new BoundedReadStream(stream, MaxIndexBytes, what);
    }

    private static AptPackage? ToPackage(ControlParagraph p, AptSource source, string what)
    {
        if (p["Package"] is not { } name || p["Version"] is not { } version || p["Filename"] is not { } filename || p["SHA256"] is not { } sha256)
            return null;
        if (filename.Contains("..", StringComparison.Ordinal) || filename.StartsWith('/') || filename.Contains("://", StringComparison.Ordinal))
            throw new RemediationException($"{what}: package {name} has an unsafe Filename '{filename}'");
        if (!long.TryParse(p["Size"], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            throw new RemediationException($"{what}: package {name} {version} has no valid Size");
        return new AptPackage(name, version, p["Architecture"] ?? "", filename, sha256.Trim(), size, p["Depends"], p["Pre-Depends"], p["Provides"], source)
        {
            Conflicts = p["Conflicts"],
            Breaks = p["Breaks"],
            Replaces = p["Replaces"],
        };
    }
}

/// <summary>A read-only stream that fails once more than a bound has been read (a decompression bomb in an index or a package).</summary>
public sealed class BoundedReadStream(Stream inner, long max, string what) : Stream
{
    private long _read;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or ArgumentException or IndexOutOfRangeException
                                       or SharpCompress.Common.ArchiveException)
        {
            throw new RemediationException($"{what}: corrupt compressed data ({e.Message})", e);
        }
        _read += n;
        if (_read > max) throw new RemediationException($"{what}: more than {max} bytes once decompressed");
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
