namespace ZeroDrift.Secrets;

/// <summary>
/// The longest text a translated (.NET syntax) pattern can match, or null when it is unbounded (<c>*</c>, <c>+</c>,
/// <c>{n,}</c>) or uses a construct this reader does not measure (backreferences, lookarounds, class subtraction,
/// <c>(?x)</c>). Used to bound the window a rule's regex runs over around a keyword on a very long line.
/// </summary>
public static class MaxMatchLength
{
    private const long Unbounded = long.MaxValue / 4;
    private const long Limit = 1_000_000;

    public static int? Of(string pattern)
    {
        try
        {
            var i = 0;
            var max = Alternation(pattern, ref i);
            return i == pattern.Length && max <= Limit ? (int)max : null;
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

    private static long Alternation(string p, ref int i)
    {
        var best = Sequence(p, ref i);
        while (i < p.Length && p[i] == '|')
        {
            i++;
            best = Math.Max(best, Sequence(p, ref i));
        }
        return best;
    }

    private static long Sequence(string p, ref int i)
    {
        long total = 0;
        while (i < p.Length && p[i] is not ('|' or ')'))
            total = Math.Min(Unbounded, total + Quantified(p, ref i, Atom(p, ref i)));
        return total;
    }

    private static long Quantified(string p, ref int i, long atom)
    {
        if (i >= p.Length) return atom;
        long result;
        switch (p[i])
        {
            case '*' or '+':
                i++;
                result = atom == 0 ? 0 : Unbounded;
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
                if (comma < 0) upper = long.Parse(body, System.Globalization.CultureInfo.InvariantCulture);
                else if (comma == body.Length - 1) upper = -1;
                else upper = long.Parse(body[(comma + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                i = close + 1;
                result = upper < 0 ? (atom == 0 ? 0 : Unbounded) : Math.Min(Unbounded, atom * upper);
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

    private static long Atom(string p, ref int i)
    {
        var c = p[i];
        switch (c)
        {
            case '(':
                return Group(p, ref i);
            case '[':
                SkipClass(p, ref i);
                return 1;
            case '\\':
                return Escape(p, ref i);
            case '^' or '$':
                i++;
                return 0;
            case '*' or '+' or '?':
                throw new NotSupportedException();
            default:
                i++;
                return 1;
        }
    }

    private static long Group(string p, ref int i)
    {
        i++;   // (
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
                // Inline options: (?i) alone is zero-width; (?i:…) is a group. (?x) changes parsing: not measured.
                while (j < p.Length && (char.IsLetter(p[j]) || p[j] == '-'))
                {
                    if (p[j] == 'x') throw new NotSupportedException();
                    j++;
                }
                if (p[j] == ')') { i = j + 1; return 0; }
                if (p[j] != ':') throw new NotSupportedException();
                i = j + 1;
            }
        }
        var inner = Alternation(p, ref i);
        if (p[i] != ')') throw new NotSupportedException();
        i++;
        return inner;
    }

    private static void SkipClass(string p, ref int i)
    {
        i++;   // [
        if (p[i] == '^') i++;
        if (p[i] == ']') i++;   // a leading ] is literal
        while (p[i] != ']')
        {
            if (p[i] == '\\') { i += p[i + 1] is 'p' or 'P' ? p.IndexOf('}', i) - i + 1 : 2; continue; }
            if (p[i] == '-' && p[i + 1] == '[') throw new NotSupportedException();   // subtraction
            i++;
        }
        i++;
    }

    private static long Escape(string p, ref int i)
    {
        var d = p[i + 1];
        switch (d)
        {
            case 'b' or 'B' or 'A' or 'z' or 'Z' or 'G':
                i += 2;
                return 0;
            case 'p' or 'P':
                var close = p.IndexOf('}', i);
                if (close < 0) throw new NotSupportedException();
                i = close + 1;
                return 1;
            case 'u':
                i += 6;
                return 1;
            case 'x':
                i += 4;
                return 1;
            case 'c':
                i += 3;
                return 1;
            case 'k' or (>= '1' and <= '9'):
                throw new NotSupportedException();
            default:
                i += 2;
                return 1;
        }
    }
}
