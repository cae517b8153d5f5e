using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Parsing.Tests;

/// <summary>A stream that hands out at most a few bytes per read, so a reader meets every possible cut between two reads.</summary>
internal sealed class TrickleStream(byte[] data, int perRead = 1) : ReadOnlyStream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(perRead, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
}
