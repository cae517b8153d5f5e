using System.Globalization;
using System.Text.RegularExpressions;

namespace ZeroDrift.Core.Patterns;

/// <summary>
/// Regular expressions from a user's file or run on a target's data (gitleaks configs, Falco <c>regex</c> conditions,
/// CEL <c>matches()</c>), with RE2's guarantees: linear time in the input (.NET's <see cref="RegexOptions.NonBacktracking"/>
/// engine, never the backtracking one), and RE2's refusals. RE2 refuses what .NET's linear-time engine cannot run
/// (backreferences, lookarounds, atomic groups) and also a repetition count above 1,000 and nested counted
/// repetitions whose copies of the innermost item multiply past 1,000 (<c>((a{1,100}){1,100}){1,100}</c>): such a
/// program would be huge. NonBacktracking builds its automaton from the same unfolded program, lazily, so a pattern
/// RE2 accepts can still cost a second to build; one RE2 refuses could cost minutes. Everything refused throws
/// <see cref="Re2TranslationException"/> with the reason, for one line naming the file and the rule.
/// </summary>
public static class LinearRegex
{
    /// <summary>RE2's largest repetition count, and its bound on the copies nested counted repetitions make.</summary>
    public const int MaxRepeatCount = 1000;

    /// <summary>RE2's (and Go's) deepest nesting of groups and repetitions.</summary>
    public const int MaxNesting = 1000;

    /// <summary>
    /// The unfolded size past which .NET's NonBacktracking engine refuses a pattern ("could result in an automata as
    /// large as N nodes"); checked here first so that a refusal never waits for the engine's first use.
    /// </summary>
    public const int MaxUnfoldedSize = 10_000;

    /// <summary>Translates an RE2 pattern, checks it and builds it on the linear-time engine.</summary>
    public static Regex Compile(string re2, RegexOptions options = RegexOptions.None, TimeSpan? matchTimeout = null) =>
        CompileTranslated(Re2Translator.Translate(re2), options, matchTimeout);

    /// <summary>As <see cref="Compile"/>, for a pattern already in .NET syntax (the output of <see cref="Re2Translator.Translate"/>).</summary>
    public static Regex CompileTranslated(string net, RegexOptions options = RegexOptions.None, TimeSpan? matchTimeout = null)
    {
        Check(net);
        try
        {
            return new Regex(net, options | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant,
                matchTimeout ?? Regex.InfiniteMatchTimeout);
        }
        catch (NotSupportedException e)
        {
            throw new Re2TranslationException($"the linear-time engine refuses it: {FirstSentence(e.Message)}");
        }
        catch (ArgumentException e)
        {
            throw new Re2TranslationException($"invalid pattern: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>
    /// Refuses (with <see cref="Re2TranslationException"/>) a pattern in .NET syntax whose repetitions RE2 would refuse,
    /// that nests deeper than <see cref="MaxNesting"/>, or whose unfolded size exceeds <see cref="MaxUnfoldedSize"/>;
    /// returns that size. Reads the pattern once, without recursion and without building anything.
    /// </summary>
    public static long Check(string net)
    {
        var size = UnfoldedSize(net);
        return size <= MaxUnfoldedSize ? size
            : throw new Re2TranslationException($"the pattern unfolds to about {size} states, more than the linear-time engine's {MaxUnfoldedSize}");
    }

    /// <summary>The pattern's size with counted repetitions unfolded, as the linear-time engine builds it (checks RE2's limits on the way).</summary>
    public static long UnfoldedSize(string net)
    {
        var stack = new Stack<Frame>();
        var frame = new Frame();
        var i = 0;
        while (i < net.Length)
        {
            var c = net[i];
            switch (c)
            {
                case '\\':
                    i = SkipEscape(net, i);
                    frame.Atom(1, 1);
                    continue;
                case '[':
                    i = SkipClass(net, i);
                    frame.Atom(1, 1);
                    continue;
                case '(':
                    if (stack.Count >= MaxNesting) throw new Re2TranslationException($"groups nest deeper than {MaxNesting} levels");
                    stack.Push(frame);
                    frame = new Frame();
                    i++;
                    continue;
                case ')':
                    if (stack.Count == 0) throw new Re2TranslationException("unexpected )");
                    var (inner, product) = frame.Close();
                    frame = stack.Pop();
                    frame.Atom(inner, product);
                    i++;
                    continue;
                case '|':
                    frame.Flush();
                    i++;
                    continue;
                case '*' or '+' or '?':
                    // A loop without a count adds no copies (RE2 does not count it either).
                    frame.Repeat(0, null);
                    i++;
                    if (i < net.Length && net[i] == '?') i++;
                    continue;
                case '{' when TryCount(net, i, out var min, out var max, out var end):
                    frame.Repeat(min, max);
                    i = end;
                    if (i < net.Length && net[i] == '?') i++;
                    continue;
                default:
                    frame.Atom(1, 1);
                    i++;
                    continue;
            }
        }
        if (stack.Count > 0) throw new Re2TranslationException("missing )");
        return frame.Close().Size;
    }

    private sealed class Frame
    {
        private long _size;
        private int _product = 1;
        private long _atomSize;
        private int _atomProduct = 1;
        private bool _hasAtom;

        public void Atom(long size, int product)
        {
            Flush();
            (_atomSize, _atomProduct, _hasAtom) = (size, product, true);
        }

        /// <summary>Applies a quantifier to the last item: {min,max} (max null: unbounded), or 0 for * + ?.</summary>
        public void Repeat(int min, int? max)
        {
            if (!_hasAtom) return; // the engine reports a quantifier with nothing to repeat
            var count = max ?? min;
            if (count > MaxRepeatCount || min > MaxRepeatCount)
                throw new Re2TranslationException($"repetition count {Math.Max(count, min)} exceeds RE2's limit of {MaxRepeatCount}");
            if (count >= 2)
            {
                var copies = (long)count * _atomProduct;
                if (copies > MaxRepeatCount)
                    throw new Re2TranslationException($"nested counted repetitions make {copies} copies of one item, more than RE2's limit of {MaxRepeatCount}");
                _atomProduct = (int)copies;
                _atomSize = Math.Min(long.MaxValue / 4, _atomSize * (max ?? min + 1));
            }
        }

        public void Flush()
        {
            if (!_hasAtom) return;
            _size = Math.Min(long.MaxValue / 4, _size + _atomSize);
            _product = Math.Max(_product, _atomProduct);
            _hasAtom = false;
        }

        public (long Size, int Product) Close()
        {
            Flush();
            return (Math.Max(_size, 1), _product);
        }
    }

    private static int SkipEscape(string s, int i)
    {
        if (i + 1 >= s.Length) return s.Length;
        var e = s[i + 1];
        if (e is 'p' or 'P' or 'k' && i + 2 < s.Length && s[i + 2] is '{' or '<')
        {
            var close = s.IndexOfAny(['}', '>'], i + 3);
            return close < 0 ? s.Length : close + 1;
        }
        return i + 2;
    }

    private static int SkipClass(string s, int i)
    {
        i++;
        if (i < s.Length && s[i] == '^') i++;
        if (i < s.Length && s[i] == ']') i++; // a leading ] is a literal
        while (i < s.Length && s[i] != ']') i = s[i] == '\\' ? SkipEscape(s, i) : i + 1;
        return Math.Min(i + 1, s.Length);
    }

    /// <summary>A quantifier {n}, {n,} or {n,m} at <paramref name="i"/>; anything else there is a literal brace.</summary>
    private static bool TryCount(string s, int i, out int min, out int? max, out int end)
    {
        min = 0;
        max = null;
        end = s.IndexOf('}', i + 1);
        if (end < 0) return false;
        var body = s.AsSpan(i + 1, end - i - 1);
        end++;
        var comma = body.IndexOf(',');
        var first = comma < 0 ? body : body[..comma];
        if (first.Length == 0 || !int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out min))
            return first.Length > 0 && IsDigits(first) && Overflow(out min);
        if (comma < 0) { max = min; return true; }
        var second = body[(comma + 1)..];
        if (second.Length == 0) return true;
        if (!int.TryParse(second, NumberStyles.None, CultureInfo.InvariantCulture, out var m))
            return IsDigits(second) && Overflow(out min);
        max = m;
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    /// <summary>A count too large for an int is a quantifier all the same, and far past the limit.</summary>
    private static bool Overflow(out int min)
    {
        min = int.MaxValue;
        return true;
    }

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length <= 200 ? line : line[..200] + "…";
    }
}
