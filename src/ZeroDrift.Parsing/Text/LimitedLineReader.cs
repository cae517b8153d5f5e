using System.Text;
using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Parsing.Text;

/// <summary>
/// Reads a line-oriented text format (requirements files, lockfiles of one entry per line) through a fixed buffer: a
/// line longer than the limit is skipped (its characters are read and dropped, never held), so a 200 MiB line costs
/// the buffer, not the line. Each line is an item of the meter, which also sees the clock.
/// </summary>
public sealed class LimitedLineReader(TextReader reader, int maxLineChars, ParseMeter meter)
{
    private readonly char[] _buffer = new char[16 * 1024];
    private readonly StringBuilder _line = new();
    private int _start;
    private int _end;

    public int MaxLineChars => maxLineChars;

    /// <summary>1-based number of the line last read.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The next line without its terminator (<c>\n</c> or <c>\r\n</c>); null for a line longer than the
    /// limit; false at the end of the text.</summary>
    public bool TryRead(out string? line)
    {
        _line.Clear();
        var any = false;
        var tooLong = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = reader.Read(_buffer, 0, _buffer.Length);
                if (_end == 0) break;
            }
            any = true;
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf('\n');
            var part = newline < 0 ? span : span[..newline];
            if (!tooLong)
            {
                if (_line.Length + part.Length > maxLineChars + 1) tooLong = true;
                else _line.Append(part);
            }
            _start += part.Length + (newline < 0 ? 0 : 1);
            if (newline >= 0) break;
        }
        if (!any)
        {
            line = null;
            return false;
        }
        LineNumber++;
        meter.Item();
        if (!tooLong && _line.Length > 0 && _line[^1] == '\r') _line.Length--;
        line = tooLong || _line.Length > maxLineChars ? null : _line.ToString();
        return true;
    }
}
