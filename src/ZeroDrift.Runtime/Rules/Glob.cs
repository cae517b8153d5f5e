namespace ZeroDrift.Runtime.Rules;

/// <summary>
/// fnmatch(3) without <c>FNM_PATHNAME</c>, as libsinsp calls it for <c>glob</c>: <c>*</c> matches any run of
/// characters including <c>/</c>, <c>?</c> one character, <c>[abc]</c>, <c>[a-z]</c> and <c>[!x]</c>/<c>[^x]</c> a
/// class; a backslash escapes the next character. Matching uses the two-pointer method (backtracking only to the
/// last <c>*</c>), so it is O(pattern × value) at worst and allocates nothing.
/// </summary>
internal sealed class Glob(string pattern, bool ignoreCase)
{
    public bool IsMatch(string value)
    {
        int p = 0, v = 0, starP = -1, starV = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starV = v;
                continue;
            }
            if (p < pattern.Length && MatchOne(ref p, value[v]))
            {
                v++;
                continue;
            }
            if (starP < 0) return false;
            p = starP;
            v = ++starV;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Whether the pattern element at <paramref name="p"/> matches <paramref name="c"/>; advances past it when so.</summary>
    private bool MatchOne(ref int p, char c)
    {
        var at = p;
        switch (pattern[at])
        {
            case '?':
                p = at + 1;
                return true;
            case '[':
                var close = ClassEnd(at);
                if (close < 0) goto default;
                if (!InClass(at + 1, close, c)) return false;
                p = close + 1;
                return true;
            case '\\' when at + 1 < pattern.Length:
                if (!Same(pattern[at + 1], c)) return false;
                p = at + 2;
                return true;
            default:
                if (!Same(pattern[at], c)) return false;
                p = at + 1;
                return true;
        }
    }

    private bool Same(char a, char b) => a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));

    /// <summary>The index of the <c>]</c> closing a class opened at <paramref name="open"/>; a <c>]</c> first in the class is literal.</summary>
    private int ClassEnd(int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        while (i < pattern.Length && pattern[i] != ']') i++;
        return i < pattern.Length ? i : -1;
    }

    private bool InClass(int start, int end, char c)
    {
        var negate = pattern[start] is '!' or '^';
        if (negate) start++;
        var found = false;
        for (var i = start; i < end; i++)
        {
            if (i + 2 < end && pattern[i + 1] == '-')
            {
                var lo = pattern[i];
                var hi = pattern[i + 2];
                if ((c >= lo && c <= hi) || (ignoreCase && char.ToLowerInvariant(c) >= char.ToLowerInvariant(lo) && char.ToLowerInvariant(c) <= char.ToLowerInvariant(hi)))
                    found = true;
                i += 2;
            }
            else if (Same(pattern[i], c)) found = true;
        }
        return found != negate;
    }
}
