using System.Text.RegularExpressions;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// Folds the variable parts of paths so a profile learns shapes, not instances: PIDs and other numbers, UUIDs,
/// long hex ids and random temporary-name suffixes become <c>*</c> (one path component). Patterns match with
/// <c>*</c> for part of one component and <c>**</c> for any number of components. A short number inside a name
/// (<c>temp-23.rdb</c>, <c>libc.so.6</c>) cannot be told from a version by its look alone: <see cref="Shape"/> gives
/// the name with such numbers folded, so that a profile folds them once it has seen two names of that shape.
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
        // mkstemp and mktemp: a prefix ending in a separator (or a usual temporary prefix) and 6-12 random letters and
        // digits; a name without such a prefix is left alone, so that real names are not folded.
        var match = RandomSuffix().Match(part);
        if (match.Success && LooksRandom(match.Groups["suffix"].ValueSpan)) part = match.Groups["prefix"].Value + "*";
        // Timestamps and counters inside a name (go-build123456789, ansible-tmp-1700000000.12-…).
        return LongNumber().Replace(part, "*");
    }

    /// <summary>
    /// Whether a run of letters and digits reads as random rather than as words: all three classes (upper, lower,
    /// digit); letters and digits alternating at least three times (<c>a8xk2q</c>, not <c>md5sums</c>); or mixed case
    /// in a way words are not written: a single lower-case letter between capitals, a capital after lower case at the
    /// end, or a lower-case letter before two capitals (<c>xqLmNb</c>, not <c>AspNetCore</c> or <c>DejaVuSans</c>).
    /// mktemp's ten random characters fail these about once in 70 names, mkstemp's six about once in 8: such a name
    /// is folded once a second one of its shape is seen (<see cref="Shape"/>).
    /// </summary>
    private static bool LooksRandom(ReadOnlySpan<char> run)
    {
        var (upper, lower, digit, changes) = Classes(run);
        if (upper && lower && digit) return true;
        if (digit && (upper || lower)) return changes >= 3;
        return upper && lower && UnwordlyCase().IsMatch(run) && !CapitalisedWords().IsMatch(run);
    }

    /// <summary>A run of two or more classes of characters that is not capitalised words: random, or a word (kept apart by <see cref="Shape"/>'s evidence).</summary>
    private static bool MaybeRandom(ReadOnlySpan<char> run)
    {
        var (upper, lower, digit, _) = Classes(run);
        return (upper ? 1 : 0) + (lower ? 1 : 0) + (digit ? 1 : 0) >= 2 && !CapitalisedWords().IsMatch(run);
    }

    private static (bool Upper, bool Lower, bool Digit, int Changes) Classes(ReadOnlySpan<char> run)
    {
        bool upper = false, lower = false, digit = false;
        var changes = 0;
        for (var i = 0; i < run.Length; i++)
        {
            upper |= char.IsAsciiLetterUpper(run[i]);
            lower |= char.IsAsciiLetterLower(run[i]);
            digit |= char.IsAsciiDigit(run[i]);
            if (i > 0 && ClassOf(run[i]) != ClassOf(run[i - 1])) changes++;
        }
        return (upper, lower, digit, changes);
    }

    private static int ClassOf(char c) => char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetterUpper(c) ? 1 : 2;

    /// <summary>
    /// <paramref name="path"/> (folded) with what may vary inside a name folded too: every run of digits
    /// (<c>/data/temp-23.rdb</c> → <c>/data/temp-*.rdb</c>) and a suffix that may be random (<c>tmp.abcDEFghij</c> →
    /// <c>tmp.*</c>). Two different paths of one shape are instances of one name that embeds a process id, a counter
    /// or a random part (redis's <c>temp-&lt;pid&gt;.rdb</c>, PostgreSQL's <c>pgsql_tmp&lt;pid&gt;.&lt;n&gt;</c>); a single one
    /// may be a version (<c>libc.so.6</c>) and is kept as it is. Returns <paramref name="path"/> itself when nothing
    /// in it may vary.
    /// </summary>
    public static string Shape(string path)
    {
        if (path.Length == 0 || path[0] != '/') return path;
        var parts = path.Split('/');
        for (var i = 1; i < parts.Length; i++) parts[i] = ShapeOf(parts[i]);
        var shape = string.Join('/', parts);
        return shape == path ? path : shape;
    }

    private static string ShapeOf(string part)
    {
        var match = RandomSuffix().Match(part);
        if (match.Success && MaybeRandom(match.Groups["suffix"].ValueSpan)) part = match.Groups["prefix"].Value + "*";
        return Digits().Replace(part, "*");
    }

    /// <summary>
    /// The pattern covering two paths of one <see cref="Shape"/>: the components they share as they are, the others
    /// folded to their shape. Both must have the same number of components.
    /// </summary>
    public static string Generalise(string a, string b)
    {
        var pa = a.Split('/');
        var pb = b.Split('/');
        if (pa.Length != pb.Length) throw new ArgumentException($"{a} and {b} are not of one shape", nameof(b));
        for (var i = 0; i < pa.Length; i++)
            if (pa[i] != pb[i]) pa[i] = ShapeOf(pa[i]);
        return string.Join('/', pa);
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

    // PostgreSQL's WAL segments are upper-case hex (00000001000000000000000A); one case per id.
    [GeneratedRegex("^(?:[0-9a-f]{12,}|[0-9A-F]{12,})$")]
    private static partial Regex HexId();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex("^(?:[A-Z][a-z]+)+$")]
    private static partial Regex CapitalisedWords();

    [GeneratedRegex("[A-Z][a-z][A-Z]|[a-z][A-Z]$|[a-z][A-Z][A-Z]|[A-Z]{2}[a-z]+[A-Z]")]
    private static partial Regex UnwordlyCase();

    [GeneratedRegex("^(?<prefix>.*[._-]|tmp|temp|php|sess)(?<suffix>[A-Za-z0-9]{6,12})$")]
    private static partial Regex RandomSuffix();
}
