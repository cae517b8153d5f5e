using System.Text;

namespace ZeroDrift.Secrets;

/// <summary>
/// A reusable UTF-8 reader over a stream, decoding as <see cref="StreamReader"/> with <see cref="Encoding.UTF8"/> does
/// (invalid bytes become U+FFFD, a UTF-8 byte-order mark is skipped) but without allocating anything per file: a tree
/// scan opens thousands of small files, and a <see cref="StreamReader"/> each (a 16 KB byte buffer and a 32 KB char
/// buffer, zeroed) made allocation and garbage collection a tenth of the scan's CPU time.
/// Requests of fewer than two characters may return 0 before the end (a supplementary character needs two): callers
/// ask for more.
/// </summary>
internal sealed class Utf8ChunkReader : TextReader
{
    private readonly byte[] _bytes = new byte[32 * 1024];
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private Stream? _stream;
    private int _position;
    private int _length;
    private bool _eof;

    /// <summary>The byte buffer: <see cref="Start"/> expects its first <c>filled</c> bytes already read from the stream.</summary>
    public byte[] Bytes => _bytes;

    /// <summary>Starts a new file whose first <paramref name="filled"/> bytes are in <see cref="Bytes"/>.</summary>
    public void Start(Stream stream, int filled)
    {
        _stream = stream;
        _length = filled;
        _position = filled >= 3 && _bytes[0] == 0xEF && _bytes[1] == 0xBB && _bytes[2] == 0xBF ? 3 : 0;
        _eof = false;
        _decoder.Reset();
    }

    /// <summary>Forgets the stream (the pool must not keep a file alive).</summary>
    public void Release() => _stream = null;

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        if (buffer.Length < 2) return 0;
        while (true)
        {
            if (_position == _length && !_eof)
            {
                _length = _stream!.Read(_bytes);
                _position = 0;
                if (_length == 0) _eof = true;
            }
            _decoder.Convert(_bytes.AsSpan(_position, _length - _position), buffer, flush: _eof, out var used, out var chars, out _);
            _position += used;
            if (chars > 0 || _eof) return chars;
        }
    }
}
