using System.Text.RegularExpressions;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// Folds the variable parts of paths so a profile learns shapes, not instances: PIDs and other numbers, UUIDs,
/// long hex ids and random temporary-name suffixes become <c>*</c> (one path component). Patterns match with
/// <c>*</c> for part of one component and <c>**</c> for any number of components.
/// </summary>
public static partial class PathFolder
{
    public static string Fold(string path)
    {
        if (path.Length == 0 || path[0] != '/') return path;
        var parts = path.Split('/');
        for (var i = 1; i < parts.Length; i++) parts[i] = FoldComponent(parts[i]);
        return string.Join('/', parts);
    }

    private static string FoldComponent(string part)
    {
        if (part.Length == 0 || part is "*" or "**") return part;
        if (part.All(char.IsAsciiDigit)) return "*";
        if (Uuid().IsMatch(part) || (HexId().IsMatch(part) && part.Any(char.IsAsciiDigit) && part.Any(char.IsAsciiLetter))) return "*";
        // mkstemp and friends: a prefix ending in a separator (or a usual temporary prefix) and 6-12 random letters
        // and digits in mixed case; a name without such a prefix is left alone, so that real names are not folded.
        var match = RandomSuffix().Match(part);
        if (match.Success)
        {
            var suffix = match.Groups["suffix"].Value;
            if (suffix.Any(char.IsAsciiDigit) && suffix.Any(char.IsAsciiLetterUpper) && suffix.Any(char.IsAsciiLetterLower))
                part = match.Groups["prefix"].Value + "*";
        }
        // Timestamps and counters inside a name (go-build123456789, ansible-tmp-1700000000.12-…).
        return LongNumber().Replace(part, "*");
    }

    /// <summary>
    /// Whether <paramref name="path"/> is covered by <paramref name="pattern"/> (a path or a folded pattern). A
    /// <c>**</c> component stands for any number of components; <c>*</c> inside a component for any characters
    /// but <c>/</c>. Polynomial in the lengths, whatever the pattern (no backtracking blow-up), and allocation-free
    /// for paths of up to 64 components.
    /// </summary>
    public static bool Matches(string pattern, string path)
    {
        var p = pattern.AsSpan();
        var t = path.AsSpan();
        var pc = p.Count('/') + 1;
        var tc = t.Count('/') + 1;
        const int StackLimit = 64;
        Span<Range> pr = pc <= StackLimit ? stackalloc Range[StackLimit] : new Range[pc];
        Span<Range> tr = tc <= StackLimit ? stackalloc Range[StackLimit] : new Range[tc];
        pc = p.Split(pr, '/');
        tc = t.Split(tr, '/');
        var cells = (pc + 1) * (tc + 1);
        // memo[i, j]: 0 unknown, 1 match, 2 no match, for pattern components from i against path components from j.
        Span<byte> memo = cells <= 4096 ? stackalloc byte[4096] : new byte[cells];
        memo[..cells].Clear();
        return MatchComponents(p, pr[..pc], t, tr[..tc], 0, 0, memo, tc + 1);
    }

    private static bool MatchComponents(ReadOnlySpan<char> p, ReadOnlySpan<Range> pr, ReadOnlySpan<char> t, ReadOnlySpan<Range> tr, int i, int j, Span<byte> memo, int stride)
    {
        ref var cell = ref memo[i * stride + j];
        if (cell != 0) return cell == 1;
        bool result;
        if (i == pr.Length) result = j == tr.Length;
        else if (p[pr[i]] is "**") result = MatchComponents(p, pr, t, tr, i + 1, j, memo, stride) || (j < tr.Length && MatchComponents(p, pr, t, tr, i, j + 1, memo, stride));
        else result = j < tr.Length && MatchComponent(p[pr[i]], t[tr[j]]) && MatchComponents(p, pr, t, tr, i + 1, j + 1, memo, stride);
        cell = result ? (byte)1 : (byte)2;
        return result;
    }

    /// <summary>One component against a pattern with <c>*</c>: the classic greedy match that remembers only the last star, O(n·m).</summary>
    private static bool MatchComponent(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int pi = 0, ti = 0, star = -1, mark = 0;
        while (ti < text.Length)
        {
            if (pi < pattern.Length && pattern[pi] == '*')
            {
                star = pi++;
                mark = ti;
            }
            else if (pi < pattern.Length && pattern[pi] == text[ti])
            {
                pi++;
                ti++;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                ti = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (pi < pattern.Length && pattern[pi] == '*') pi++;
        return pi == pattern.Length;
    }

    [GeneratedRegex("[0-9]{6,}")]
    private static partial Regex LongNumber();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex("^[0-9a-f]{12,}$")]
    private static partial Regex HexId();

    [GeneratedRegex("^(?<prefix>.*[._-]|tmp|temp|php|sess)(?<suffix>[A-Za-z0-9]{6,12})$")]
    private static partial Regex RandomSuffix();
}
