using System.Buffers;

namespace ZeroDrift.Sensitive;

/// <summary>Which kinds of personal data have one of their context keywords in a piece of text.</summary>
internal static class KeywordContext
{
    // Per kind, one vectorized multi-string search finds candidate keyword positions; boundaries are checked only
    // there. ASCII keywords and the others (Chinese) are searched apart: the ASCII set gets the fast case-insensitive
    // path, and the others are looked for only in text holding a non-ASCII character.
    private static readonly (SearchValues<string> Ascii, SearchValues<string> Other, string[] Keywords)[] ByKind =
        [.. Enum.GetValues<PiiKind>().Select(kind => PiiRules.Keywords[kind]).Select(words => (
            SearchValues.Create([.. words.Where(k => k.All(char.IsAscii))], StringComparison.OrdinalIgnoreCase),
            SearchValues.Create([.. words.Where(k => !k.All(char.IsAscii))], StringComparison.Ordinal),
            words))];

    /// <summary>A bit per <see cref="PiiKind"/> whose keywords occur in <paramref name="text"/>.</summary>
    public static int Scan(ReadOnlySpan<char> text)
    {
        var mask = 0;
        foreach (var kind in Enum.GetValues<PiiKind>()) if (Has(text, kind)) mask |= 1 << (int)kind;
        return mask;
    }

    /// <summary>Whether one of <paramref name="kind"/>'s keywords occurs in <paramref name="text"/>.</summary>
    public static bool Has(ReadOnlySpan<char> text, PiiKind kind)
    {
        var (ascii, other, keywords) = ByKind[(int)kind];
        return Find(text, ascii, keywords) || (text.ContainsAnyExceptInRange((char)0, (char)127) && Find(text, other, keywords));
    }

    private static bool Find(ReadOnlySpan<char> text, SearchValues<string> search, string[] keywords)
    {
        var offset = 0;
        while (offset < text.Length)
        {
            var i = text[offset..].IndexOfAny(search);
            if (i < 0) return false;
            i += offset;
            foreach (var keyword in keywords)
            {
                if (text[i..].StartsWith(keyword, StringComparison.OrdinalIgnoreCase) && AtBoundary(text, i, keyword)) return true;
            }
            offset = i + 1;
        }
        return false;
    }

    public static bool Has(int mask, PiiKind kind) => (mask & (1 << (int)kind)) != 0;

    /// <summary>Case-insensitive; an ASCII keyword must stand as a word (so <c>tel</c> is not found in <c>hotel</c>), where a
    /// camelCase hump or <c>_</c> separates words and a plural s is allowed.</summary>
    internal static bool Contains(ReadOnlySpan<char> text, string keyword)
    {
        var offset = 0;
        while (offset < text.Length)
        {
            var i = text[offset..].IndexOf(keyword, StringComparison.OrdinalIgnoreCase);
            if (i < 0) return false;
            i += offset;
            if (AtBoundary(text, i, keyword)) return true;
            offset = i + 1;
        }
        return false;
    }

    private static bool AtBoundary(ReadOnlySpan<char> text, int i, string keyword)
    {
        if (!char.IsAscii(keyword[0])) return true;
        var end = i + keyword.Length;
        var startOk = i == 0 || !char.IsAsciiLetter(text[i - 1]) || (char.IsAsciiLetterLower(text[i - 1]) && char.IsAsciiLetterUpper(text[i]));
        var endOk = end == text.Length || !char.IsAsciiLetterLower(text[end])
            || (text[end] == 's' && (end + 1 == text.Length || !char.IsAsciiLetterLower(text[end + 1])));
        return startOk && endOk;
    }
}
