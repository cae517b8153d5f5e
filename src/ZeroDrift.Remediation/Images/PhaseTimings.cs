using System.Diagnostics;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// Wall-clock time per phase of a patch (read image, scan, index, fetch, unpack + layer, write, rescan...), so that
/// the performance target can be diagnosed phase by phase (docs/remediation.md). Phases are consecutive: each
/// <see cref="Mark"/> closes the time since the previous one. Some phases also carry the part of their time spent
/// inside one stream (decompression, compression), measured by <see cref="TimedStream"/>.
/// </summary>
public sealed class PhaseTimings
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Phase, TimeSpan Elapsed)> _phases = [];
    private readonly Dictionary<string, Stopwatch> _inner = new(StringComparer.Ordinal);
    private TimeSpan _last;

    public IReadOnlyList<(string Phase, TimeSpan Elapsed)> Phases => _phases;

    public IEnumerable<(string Part, TimeSpan Elapsed)> Parts => _inner.Select(p => (p.Key, p.Value.Elapsed));

    public TimeSpan Total => _clock.Elapsed;

    public void Mark(string phase)
    {
        var now = _clock.Elapsed;
        _phases.Add((phase, now - _last));
        _last = now;
    }

    /// <summary>The accumulating clock of one part (e.g. "xz decode"), started and stopped around each call into it.</summary>
    public Stopwatch Part(string name)
    {
        if (!_inner.TryGetValue(name, out var w)) _inner[name] = w = new Stopwatch();
        return w;
    }

    public string Format() =>
        string.Join(", ", _phases.Select(p => $"{p.Phase} {p.Elapsed.TotalSeconds:0.000}s"))
        + (_inner.Count > 0 ? "; within them: " + string.Join(", ", Parts.Select(p => $"{p.Part} {p.Elapsed.TotalSeconds:0.000}s")) : "")
        + $"; total {Total.TotalSeconds:0.000}s";
}

/// <summary>Adds the time spent in the inner stream's Read/Write to a stopwatch; passes everything else through.</summary>
internal sealed class TimedStream(Stream inner, Stopwatch clock, bool leaveOpen = false) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        clock.Start();
        try { return inner.Read(buffer); }
        finally { clock.Stop(); }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        clock.Start();
        try { inner.Write(buffer); }
        finally { clock.Stop(); }
    }

    public override void Flush()
    {
        clock.Start();
        try { inner.Flush(); }
        finally { clock.Stop(); }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            clock.Start();
            try { inner.Dispose(); }
            finally { clock.Stop(); }
        }
        base.Dispose(disposing);
    }
}
