namespace ZeroDrift.Sensitive;

/// <summary>Which kinds of personal data have one of their context keywords in a piece of text.</summary>
internal static class KeywordContext
{
    private static readonly PiiKind[] Kinds = Enum.GetValues<PiiKind>();

    /// <summary>A bit per <see cref="PiiKind"/> whose keywords occur in <paramref name="text"/>.</summary>
    public static int Scan(ReadOnlySpan<char> text)
    {
        var mask = 0;
        foreach (var kind in Kinds)
        {
            foreach (var keyword in PiiRules.Keywords[kind])
            {
                if (Contains(text, keyword)) { mask |= 1 << (int)kind; break; }
            }
        }
        return mask;
    }

    public static bool Has(int mask, PiiKind kind) => (mask & (1 << (int)kind)) != 0;

    /// <summary>Case-insensitive; an ASCII keyword must stand as a word (so <c>tel</c> is not found in <c>hotel</c>), where a
    /// camelCase hump or <c>_</c> separates words and a plural s is allowed.</summary>
    internal static bool Contains(ReadOnlySpan<char> text, string keyword)
    {
        var ascii = char.IsAscii(keyword[0]);
        var offset = 0;
        while (offset < text.Length)
        {
            var i = text[offset..].IndexOf(keyword, StringComparison.OrdinalIgnoreCase);
            if (i < 0) return false;
            i += offset;
            if (!ascii) return true;
            var end = i + keyword.Length;
            var startOk = i == 0 || !char.IsAsciiLetter(text[i - 1]) || (char.IsAsciiLetterLower(text[i - 1]) && char.IsAsciiLetterUpper(text[i]));
            var endOk = end == text.Length || !char.IsAsciiLetterLower(text[end])
                || (text[end] == 's' && (end + 1 == text.Length || !char.IsAsciiLetterLower(text[end + 1])));
            if (startOk && endOk) return true;
            offset = i + 1;
        }
        return false;
    }
}
