namespace ZeroDrift.Sensitive;

/// <summary>
/// Reads text line by line with a bounded buffer: a line longer than <see cref="MaxSegment"/> characters comes out
/// as several segments of the same line number (cut at a separator near the limit when there is one, so a value is
/// rarely split), each with the column it starts at. Memory stays bounded whatever the input.
/// </summary>
internal sealed class BoundedLineReader(TextReader reader)
{
    public const int MaxSegment = 16 * 1024;
    private readonly char[] _buffer = new char[MaxSegment * 2];
    private int _start;
    private int _end;
    private bool _eof;
    private int _line = 1;
    private int _column = 1;

    /// <summary>The next segment, its 1-based line and the 1-based column of its first character; false at the end.</summary>
    public bool Next(out ReadOnlyMemory<char> segment, out int line, out int column)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var nl = span.IndexOf('\n');
            if (nl >= 0 && nl <= MaxSegment)
            {
                var len = nl > 0 && span[nl - 1] == '\r' ? nl - 1 : nl;
                segment = _buffer.AsMemory(_start, len);
                line = _line; column = _column;
                _start += nl + 1; _line++; _column = 1;
                return true;
            }
            if (span.Length >= MaxSegment)
            {
                var cut = MaxSegment;
                var sep = span[(MaxSegment - 256)..MaxSegment].LastIndexOfAny(' ', ',', ';');
                if (sep >= 0) cut = MaxSegment - 256 + sep + 1;
                segment = _buffer.AsMemory(_start, cut);
                line = _line; column = _column;
                _start += cut; _column += cut;
                return true;
            }
            if (_eof)
            {
                if (span.Length == 0) { segment = default; line = column = 0; return false; }
                segment = _buffer.AsMemory(_start, span.Length);
                line = _line; column = _column;
                _start = _end;
                return true;
            }
            // Compact and fill.
            Array.Copy(_buffer, _start, _buffer, 0, span.Length);
            _end = span.Length; _start = 0;
            var n = reader.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true; else _end += n;
        }
    }
}
