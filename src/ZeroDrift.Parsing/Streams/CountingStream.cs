namespace ZeroDrift.Parsing.Streams;

/// <summary>Sees each chunk read through a <see cref="CountingStream"/>, with the running total (to hash it, charge it to a budget).</summary>
public delegate void ChunkObserver(ReadOnlySpan<byte> chunk, long total);

/// <summary>
/// Counts the bytes read through it, and shows each chunk to an optional observer: what was really read, not what a
/// header declared. Disposes the inner stream unless <paramref name="leaveOpen"/>.
/// </summary>
public sealed class CountingStream(Stream inner, ChunkObserver? observer = null, bool leaveOpen = false) : ReadOnlyStream
{
    private long _count;

    public long Count => _count;

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0)
        {
            _count += read;
            observer?.Invoke(buffer[..read], _count);
        }
        return read;
    }

    public override long Position { get => _count; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen) inner.Dispose();
        base.Dispose(disposing);
    }
}
