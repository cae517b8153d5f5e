using System.Globalization;

namespace ZeroDrift.Secrets;

/// <summary>
/// What a translated (.NET syntax) pattern can match, read from the pattern itself: the longest match
/// (<see cref="Of"/>) and the most line ends one match can hold (<see cref="Newlines"/>). Each is null when unbounded
/// (<c>*</c>, <c>+</c>, <c>{n,}</c> over something that counts) or when the pattern uses a construct this reader does
/// not measure (backreferences, lookarounds, <c>(?x)</c>): callers then assume the worst. The scanner uses them to bound
/// the window a rule's regex runs over around a keyword: a long line is cut, and a rule that cannot match a line end
/// runs on the keyword's line only.
/// </summary>
public static class MaxMatchLength
{
    private const long Unbounded = long.MaxValue / 4;
    private const long Limit = 1_000_000;

    /// <summary>The longest text the pattern can match, or null.</summary>
    public static int? Of(string pattern) => Measure(pattern)?.Length is { } n && n <= Limit ? (int)n : null;

    /// <summary>
    /// How many line ends (<c>\n</c>) one match can hold at most: 0 for a pattern that never spans lines, whatever it
    /// is spelled with (a <c>\s</c> or a negated class admits <c>\n</c>; <c>[ \t]</c> or <c>\S</c> does not), or null.
    /// </summary>
    public static int? Newlines(string pattern) => Measure(pattern)?.Newlines is { } n && n <= Limit ? (int)n : null;

    /// <summary>Longest match and most line ends, each capped at <see cref="Unbounded"/>.</summary>
    private readonly record struct Reach(long Length, long Newlines)
    {
        public static readonly Reach Zero = new(0, 0);
        public static Reach Max(Reach a, Reach b) => new(Math.Max(a.Length, b.Length), Math.Max(a.Newlines, b.Newlines));
        public static Reach operator +(Reach a, Reach b) =>
            new(Math.Min(Unbounded, a.Length + b.Length), Math.Min(Unbounded, a.Newlines + b.Newlines));
        public Reach Times(long n) => new(Scale(Length, n), Scale(Newlines, n));
        public Reach Forever() => new(Length == 0 ? 0 : Unbounded, Newlines == 0 ? 0 : Unbounded);
        private static long Scale(long v, long n) => v == 0 ? 0 : Math.Min(Unbounded, v * Math.Min(n, Unbounded / v));
    }

    private static Reach? Measure(string pattern)
    {
        try
        {
            var i = 0;
            var dotAll = false;
            var reach = Alternation(pattern, ref i, ref dotAll);
            return i == pattern.Length ? reach : null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException or OverflowException)
        {
            return null;
        }
    }

    // dotAll: whether '.' admits \n here; an inline (?s) changes it for the rest of the enclosing group.
    private static Reach Alternation(string p, ref int i, ref bool dotAll)
    {
        var start = dotAll;
        var best = Sequence(p, ref i, ref dotAll);
        while (i < p.Length && p[i] == '|')
        {
            i++;
            best = Reach.Max(best, Sequence(p, ref i, ref dotAll));
        }
        dotAll = start;
        return best;
    }

    private static Reach Sequence(string p, ref int i, ref bool dotAll)
    {
        var total = Reach.Zero;
        while (i < p.Length && p[i] is not ('|' or ')'))
            total += Quantified(p, ref i, Atom(p, ref i, ref dotAll));
        return total;
    }

    private static Reach Quantified(string p, ref int i, Reach atom)
    {
        if (i >= p.Length) return atom;
        Reach result;
        switch (p[i])
        {
            case '*' or '+':
                i++;
                result = atom.Forever();
                break;
            case '?':
                i++;
                result = atom;
                break;
            case '{':
                var close = p.IndexOf('}', i);
                // Braces that do not form {n}, {n,} or {n,m} are literal characters in .NET.
                if (close < 0 || !IsQuantifier(p.AsSpan(i + 1, close - i - 1))) return atom;
                var body = p[(i + 1)..close];
                var comma = body.IndexOf(',');
                long upper;
                if (comma < 0) upper = long.Parse(body, CultureInfo.InvariantCulture);
                else if (comma == body.Length - 1) upper = -1;
                else upper = long.Parse(body[(comma + 1)..], CultureInfo.InvariantCulture);
                i = close + 1;
                result = upper < 0 ? atom.Forever() : atom.Times(upper);
                break;
            default:
                return atom;
        }
        if (i < p.Length && p[i] == '?') i++;   // lazy: same bounds
        return result;
    }

    private static bool IsQuantifier(ReadOnlySpan<char> body)
    {
        var comma = body.IndexOf(',');
        var lower = comma < 0 ? body : body[..comma];
        var upper = comma < 0 ? "1" : body[(comma + 1)..];
        return lower.Length > 0 && !lower.ContainsAnyExceptInRange('0', '9') && !upper.ContainsAnyExceptInRange('0', '9');
    }

    private static Reach One(bool newline) => new(1, newline ? 1 : 0);

    private static Reach Atom(string p, ref int i, ref bool dotAll)
    {
        var c = p[i];
        switch (c)
        {
            case '(':
                return Group(p, ref i, ref dotAll);
            case '[':
                return One(CharClass.AdmitsNewline(p, ref i));
            case '\\':
                return Escape(p, ref i);
            case '^' or '$':
                i++;
                return Reach.Zero;
            case '.':
                i++;
                return One(dotAll);
            case '*' or '+' or '?':
                throw new NotSupportedException();
            default:
                i++;
                return One(c == '\n');
        }
    }

    private static Reach Group(string p, ref int i, ref bool dotAll)
    {
        i++;   // (
        var inner = dotAll;
        if (p[i] == '?')
        {
            var j = i + 1;
            if (p[j] is '=' or '!' || (p[j] == '<' && p[j + 1] is '=' or '!') || p[j] is '>' or '(') throw new NotSupportedException();
            if (p[j] is '<' or '\'' || (p[j] == 'P' && p[j + 1] == '<'))
            {
                var end = p.IndexOfAny(['>', '\''], j + 1);
                if (end < 0) throw new NotSupportedException();
                i = end + 1;
            }
            else
            {
                // Inline options: (?s) alone is zero-width and holds for the rest of the enclosing group; (?s:…) is a
                // group. (?x) changes parsing: not measured.
                var on = true;
                var flags = dotAll;
                while (j < p.Length && (char.IsLetter(p[j]) || p[j] == '-'))
                {
                    switch (p[j])
                    {
                        case 'x': throw new NotSupportedException();
                        case '-': on = false; break;
                        case 's': flags = on; break;
                    }
                    j++;
                }
                if (p[j] == ')') { i = j + 1; dotAll = flags; return Reach.Zero; }
                if (p[j] != ':') throw new NotSupportedException();
                inner = flags;
                i = j + 1;
            }
        }
        var reach = Alternation(p, ref i, ref inner);
        if (p[i] != ')') throw new NotSupportedException();
        i++;
        return reach;
    }

    private static Reach Escape(string p, ref int i)
    {
        var d = p[i + 1];
        switch (d)
        {
            case 'b' or 'B' or 'A' or 'z' or 'Z' or 'G':
                i += 2;
                return Reach.Zero;
            case 'k' or (>= '1' and <= '9'):
                throw new NotSupportedException();
            default:
                return One(CharClass.EscapeAdmitsNewline(p, ref i));
        }
    }

    /// <summary>Whether a character class or a class escape admits <c>\n</c>.</summary>
    private static class CharClass
    {
        /// <summary>Reads the class at <paramref name="i"/> (<c>[…]</c>, with negation and .NET subtraction <c>-[…]</c>).</summary>
        public static bool AdmitsNewline(string p, ref int i)
        {
            i++;   // [
            var negated = p[i] == '^';
            if (negated) i++;
            var admits = false;
            // A ']' first is a literal character, as in .NET.
            for (var first = true; p[i] != ']' || first; first = false)
            {
                if (p[i] == '-' && p[i + 1] == '[' && !first)
                {
                    i++;
                    var subtracted = AdmitsNewline(p, ref i);
                    if (p[i] != ']') throw new NotSupportedException();
                    i++;
                    return (admits != negated) && !subtracted;
                }
                // A single character or escape, possibly the start of a range a-b.
                var single = p[i] == '\\' ? Single(p, ref i, inClass: true, out var set) : Literal(p, ref i, out set);
                if (set)
                {
                    admits |= single == 1;
                    continue;
                }
                if (p[i] == '-' && p[i + 1] is not (']' or '['))
                {
                    i++;
                    var hi = p[i] == '\\' ? Single(p, ref i, inClass: true, out var hiSet) : Literal(p, ref i, out hiSet);
                    if (hiSet) throw new NotSupportedException();
                    admits |= single <= '\n' && '\n' <= hi;
                    continue;
                }
                admits |= single == '\n';
            }
            i++;
            return admits != negated;
        }

        public static bool EscapeAdmitsNewline(string p, ref int i)
        {
            var c = Single(p, ref i, inClass: false, out var set);
            return set ? c == 1 : c == '\n';
        }

        private static int Literal(string p, ref int i, out bool set)
        {
            set = false;
            return p[i++];
        }

        /// <summary>
        /// Reads one escape at <paramref name="i"/>. A class escape (<c>\s</c>, <c>\W</c>, <c>\p{…}</c>) sets
        /// <paramref name="set"/> and returns 1 when it admits <c>\n</c>, 0 when not; otherwise returns the character.
        /// </summary>
        private static int Single(string p, ref int i, bool inClass, out bool set)
        {
            var d = p[i + 1];
            set = true;
            switch (d)
            {
                case 's' or 'W' or 'D':
                    i += 2;
                    return 1;
                case 'S' or 'w' or 'd':
                    i += 2;
                    return 0;
                case 'p' or 'P':
                    var close = p.IndexOf('}', i);
                    if (close < 0 || p[i + 2] != '{') throw new NotSupportedException();
                    var category = p[(i + 3)..close];
                    i = close + 1;
                    var control = category is "C" or "Cc";
                    return (d == 'p') == control ? 1 : 0;
            }
            set = false;
            switch (d)
            {
                case 'b' when inClass: i += 2; return '\b';
                case 'n': i += 2; return '\n';
                case 't': i += 2; return '\t';
                case 'r': i += 2; return '\r';
                case 'f': i += 2; return '\f';
                case 'v': i += 2; return '\v';
                case 'a': i += 2; return '\a';
                case 'e': i += 2; return 0x1B;
                case 'x':
                    var x = int.Parse(p.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    i += 4;
                    return x;
                case 'u':
                    var u = int.Parse(p.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    i += 6;
                    return u;
                case 'c':
                    var control = char.ToUpperInvariant(p[i + 2]) - '@';
                    i += 3;
                    return control;
                case '0':
                    var end = i + 2;
                    while (end < p.Length && end < i + 4 && p[end] is >= '0' and <= '7') end++;
                    var octal = end == i + 2 ? 0 : Convert.ToInt32(p[(i + 2)..end], 8);
                    i = end;
                    return octal;
                case >= '1' and <= '9' or 'k' or 'b' or 'B' or 'A' or 'z' or 'Z' or 'G':
                    throw new NotSupportedException();
                default:
                    i += 2;
                    return d;
            }
        }
    }
}
