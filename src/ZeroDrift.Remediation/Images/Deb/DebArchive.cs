using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ZeroDrift.Remediation.Images.Apt;

namespace ZeroDrift.Remediation.Images.Deb;

/// <summary>
/// A .deb read without dpkg: an <c>ar</c> archive of <c>debian-binary</c> (2.0), <c>control.tar</c> and
/// <c>data.tar</c>, each tar plain, gzip, xz or zstd. Members are read in place from the downloaded file; their
/// decompressed size is bounded.
/// </summary>
public sealed class DebArchive
{
    private const long MaxControlBytes = 64L << 20;
    private readonly string _path;
    private readonly string _what;
    private readonly (string Name, long Offset, long Size) _control;
    private readonly (string Name, long Offset, long Size) _data;

    /// <summary>When set, the time spent decompressing data.tar is added to it (phase timings).</summary>
    public System.Diagnostics.Stopwatch? DecodeClock { get; init; }

    public DebArchive(string path, string what)
    {
        _path = path;
        _what = what;
        var members = ReadMembers(path, what);
        if (members.Count == 0 || members[0].Name != "debian-binary") throw new RemediationException($"{what}: not a .deb (no debian-binary first)");
        _control = members.FirstOrDefault(m => m.Name.StartsWith("control.tar", StringComparison.Ordinal));
        _data = members.FirstOrDefault(m => m.Name.StartsWith("data.tar", StringComparison.Ordinal));
        if (_control.Name is null || _data.Name is null) throw new RemediationException($"{what}: not a .deb (no control.tar or data.tar member)");
        using var f = File.OpenRead(path);
        f.Position = members[0].Offset;
        var version = new byte[Math.Min(16, members[0].Size)];
        f.ReadExactly(version);
        if (!Encoding.ASCII.GetString(version).StartsWith("2.", StringComparison.Ordinal))
            throw new RemediationException($"{what}: unsupported .deb format version '{Encoding.ASCII.GetString(version).Trim()}'");
    }

    /// <summary>The control members (<c>control</c>, <c>md5sums</c>, <c>conffiles</c>, maintainer scripts...) by name.</summary>
    public Dictionary<string, byte[]> ReadControl()
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var tar = OpenMember(_control, MaxControlBytes);
        using var reader = new TarReader(tar);
        try
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (name.Contains('/', StringComparison.Ordinal) || name.Length == 0 || name == "..")
                    throw new RemediationException($"{_what}: control member '{entry.Name}' is not a plain file name");
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                result[name] = content.ToArray();
            }
        }
        catch (InvalidDataException e)
        {
            throw new RemediationException($"{_what}: corrupt control.tar ({e.Message})", e);
        }
        if (!result.ContainsKey("control")) throw new RemediationException($"{_what}: control.tar has no control file");
        return result;
    }

    /// <summary>Streams data.tar's entries; <paramref name="maxBytes"/> bounds its decompressed size.</summary>
    public void ReadData(long maxBytes, Action<TarEntry> visit)
    {
        using var member = OpenMember(_data, maxBytes);
        using var tar = DecodeClock is null ? member : new Images.TimedStream(member, DecodeClock, leaveOpen: true);
        using var reader = new TarReader(tar);
        try
        {
            while (reader.GetNextEntry() is { } entry) visit(entry);
        }
        catch (InvalidDataException e)
        {
            throw new RemediationException($"{_what}: corrupt data.tar ({e.Message})", e);
        }
    }

    private Stream OpenMember((string Name, long Offset, long Size) member, long maxBytes)
    {
        var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var slice = new SliceStream(file, member.Offset, member.Size);
        Stream decompressed = Path.GetExtension(member.Name) switch
        {
            ".tar" => slice,
            ".gz" => new GZipStream(slice, CompressionMode.Decompress),
            ".xz" => Compression.XzDecoder.Open(slice),
            ".zst" => new ZstdSharp.DecompressionStream(slice),
            _ => throw new RemediationException($"{_what}: unsupported compression of {member.Name}"),
        };
        return new BoundedReadStream(decompressed, maxBytes, $"{_what}: {member.Name}");
    }

    private static List<(string Name, long Offset, long Size)> ReadMembers(string path, string what)
    {
        var members = new List<(string, long, long)>();
        using var f = File.OpenRead(path);
        var magic = new byte[8];
        if (f.ReadAtLeast(magic, 8, throwOnEndOfStream: false) != 8 || Encoding.ASCII.GetString(magic) != "!<arch>\n")
            throw new RemediationException($"{what}: not a .deb (no ar header)");
        var header = new byte[60];
        while (f.Position < f.Length && members.Count < 16)
        {
            if (f.ReadAtLeast(header, 60, throwOnEndOfStream: false) != 60) throw new RemediationException($"{what}: truncated ar header");
            var name = Encoding.ASCII.GetString(header, 0, 16).TrimEnd(' ').TrimEnd('/');
            if (!long.TryParse(Encoding.ASCII.GetString(header, 48, 10).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 0
                || f.Position + size > f.Length)
                throw new RemediationException($"{what}: ar member '{name}' has a bad size");
            members.Add((name, f.Position, size));
            f.Position += size + (size & 1);
        }
        return members;
    }
}

/// <summary>A window [offset, offset+length) of a seekable stream, read-only; owns the stream.</summary>
internal sealed class SliceStream(Stream inner, long offset, long length) : Stream
{
    private long _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long o, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int o, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int o, int count) => Read(buffer.AsSpan(o, count));

    public override int Read(Span<byte> buffer)
    {
        var left = length - _position;
        if (left <= 0) return 0;
        inner.Position = offset + _position;
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
