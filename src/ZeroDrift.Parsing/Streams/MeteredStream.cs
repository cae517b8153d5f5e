using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Parsing.Streams;

/// <summary>
/// Charges every chunk read to a <see cref="ParseMeter"/>: a streaming parser reading through it stops at the
/// budget's bytes and time even while it is inside one long token. Does not own the inner stream.
/// </summary>
public sealed class MeteredStream(Stream inner, ParseMeter meter) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0) meter.Read(read);
        return read;
    }

    public override long Position { get => meter.Bytes; set => throw new NotSupportedException(); }
}
