namespace ZeroDrift.Parsing.Streams;

/// <summary>
/// Gives back bytes already read (a format's magic, a binary sniff) before the rest of the stream, so a reader can
/// look at the head of a forward-only stream and still hand the whole of it on. Does not own <paramref name="rest"/>.
/// </summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ReadOnlyStream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.IsEmpty) return rest.Read(buffer);
        var n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }
}
