namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// Replacements collected against the original text and applied together, so every edit's offsets and line
/// numbers refer to the file as the user wrote it and untouched bytes stay byte for byte.
/// </summary>
internal sealed class TextEdits(string text)
{
    private readonly List<(int Start, int Length, string Replacement)> _edits = [];

    public string Text => text;

    public bool Any => _edits.Count > 0;

    public void Replace(int start, int length, string replacement)
    {
        // Two rules may point at the same span (a name listed twice); the first one wins, overlaps are dropped.
        if (_edits.Any(e => start < e.Start + e.Length && e.Start < start + Math.Max(length, 1))) return;
        _edits.Add((start, length, replacement));
    }

    public void Insert(int at, string inserted) => _edits.Add((at, 0, inserted));

    /// <summary>1-based line of a character offset.</summary>
    public int LineOf(int offset)
    {
        var line = 1;
        for (var i = 0; i < offset && i < text.Length; i++) if (text[i] == '\n') line++;
        return line;
    }

    /// <summary>Offset of the first character of a 1-based line.</summary>
    public int LineStart(int line)
    {
        var offset = 0;
        for (var l = 1; l < line && offset < text.Length; offset++) if (text[offset] == '\n') l++;
        return offset;
    }

    /// <summary>Removes a whole line (with its newline).</summary>
    public void RemoveLine(int offset)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, offset - 1)) + 1;
        if (offset == 0) start = 0;
        var end = text.IndexOf('\n', offset);
        Replace(start, (end < 0 ? text.Length : end + 1) - start, "");
    }

    public string Apply()
    {
        var sb = new System.Text.StringBuilder(text);
        foreach (var (start, length, replacement) in _edits.OrderByDescending(e => e.Start).ThenByDescending(e => e.Length))
        {
            sb.Remove(start, length);
            sb.Insert(start, replacement);
        }
        return sb.ToString();
    }
}
