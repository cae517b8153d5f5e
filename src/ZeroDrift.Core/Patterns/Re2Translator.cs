using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ZeroDrift.Core.Patterns;

/// <summary>A pattern refused: not RE2 syntax, no faithful .NET equivalent, or too large for a linear-time automaton.</summary>
public sealed class Re2TranslationException(string message) : Exception(message);

/// <summary>
/// Rewrites a Go RE2 pattern (the dialect gitleaks configs are written in) into .NET syntax with the same meaning.
/// RE2 differs from .NET mostly in what it lacks; the rewrites below cover what it spells differently:
/// <c>(?P&lt;name&gt;</c>, <c>\Q…\E</c>, POSIX classes, <c>\x{…}</c>, <c>\pL</c>, and ASCII-only <c>\d \w \s</c>.
/// Anything without an equivalent (ungreedy flag <c>U</c>, <c>\C</c>, Unicode scripts) throws
/// <see cref="Re2TranslationException"/> so the rule can be reported and skipped rather than silently changed.
/// </summary>
public static class Re2Translator
{
    private const string Word = "0-9A-Za-z_";
    private const string Space = @"\t\n\f\r ";
    private const string Digit = "0-9";

    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z", ["alpha"] = "A-Za-z", ["ascii"] = @"\x00-\x7F", ["blank"] = @"\t ",
        ["cntrl"] = @"\x00-\x1F\x7F", ["digit"] = "0-9", ["graph"] = @"!-~", ["lower"] = "a-z",
        ["print"] = @" -~", ["punct"] = @"!-/:-@\[-`{-~", ["space"] = @"\t\n\v\f\r ", ["upper"] = "A-Z",
        ["word"] = Word, ["xdigit"] = "0-9A-Fa-f",
    };

    // Unicode general categories are spelled alike in both engines; scripts (\p{Greek}) are not.
    private static readonly HashSet<string> Categories = new(StringComparer.Ordinal)
    {
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe",
        "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn",
    };

    /// <summary>
    /// Splits a leading <c>\b</c> off a translated pattern when that is safe: the rest has no top-level alternation
    /// (the boundary applies to the whole pattern) and does not start with a quantifier.
    /// </summary>
    public static bool TryStripLeadingWordBoundary(string net, out string rest)
    {
        rest = net;
        if (!net.StartsWith(@"\b", StringComparison.Ordinal) || net.Length < 3 || net[2] is '*' or '+' or '?' or '{') return false;
        if (HasTopLevelAlternation(net[2..])) return false;
        rest = net[2..];
        return true;
    }

    /// <summary>The translation of RE2's <c>[\w.-]</c>: what the leading identifier prefix of assignment rules spans.</summary>
    public const string IdentifierClass = "[0-9A-Za-z_.-]";

    /// <summary>
    /// Splits off the leading lazy identifier prefix of "name = value" rules (<c>(?i)[\w.-]{0,50}?(?:aws)…</c>, in 96
    /// of gitleaks' rules and ZeroDrift's assignment rules) when the rest has no top-level alternation: the prefix
    /// can be empty, so the pattern matches where the rest does, and the leftmost match starts exactly
    /// <c>min(N, identifier characters just before the rest's match)</c> earlier (the secret scanner's <c>LazyRegex.PrefixStart</c>).
    /// A counted loop at the start of an unanchored pattern multiplies the states NonBacktracking must build.
    /// </summary>
    public static bool TryStripLeadingIdentifierPrefix(string net, out string rest, out int maxLength)
    {
        rest = net;
        maxLength = 0;
        var flags = net.StartsWith("(?i)", StringComparison.Ordinal) ? "(?i)" : "";
        var body = net.AsSpan(flags.Length);
        if (!body.StartsWith(IdentifierClass + "{0,", StringComparison.Ordinal)) return false;
        body = body[(IdentifierClass.Length + 3)..];
        var digits = body.IndexOf("}?", StringComparison.Ordinal);
        if (digits is <= 0 or > 4 || !int.TryParse(body[..digits], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return false;
        var remainder = body[(digits + 2)..].ToString();
        if (remainder.Length == 0 || remainder[0] is '*' or '+' or '?' or '{' || HasTopLevelAlternation(remainder)) return false;
        rest = flags + remainder;
        maxLength = n;
        return true;
    }

    private static bool HasTopLevelAlternation(string body)
    {
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { if (c == ']') inClass = false; continue; }
            if (c == '[') { inClass = true; if (i + 1 < body.Length && body[i + 1] == ']') i++; continue; }
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '|' && depth == 0) return true;
        }
        return false;
    }

    public static string Translate(string re2)
    {
        var sb = new StringBuilder(re2.Length + 16);
        var i = 0;
        while (i < re2.Length)
        {
            var c = re2[i];
            if (c == '\\') i = Escape(re2, i, sb, inClass: false);
            else if (c == '[') i = CharClass(re2, i, sb);
            else if (c == '(' && i + 1 < re2.Length && re2[i + 1] == '?') i = Group(re2, i, sb);
            else { sb.Append(c); i++; }
        }
        return sb.ToString();
    }

    private static int Group(string s, int i, StringBuilder sb)
    {
        // i at "(?"
        if (s.AsSpan(i).StartsWith("(?P<")) { sb.Append("(?<"); return i + 4; }
        if (i + 2 < s.Length && (s[i + 2] == '=' || s[i + 2] == '!' || s[i + 2] == '<' && i + 3 < s.Length && (s[i + 3] == '=' || s[i + 3] == '!')))
            throw new Re2TranslationException("lookaround is not RE2 syntax");
        if (i + 2 < s.Length && s[i + 2] == '<') { sb.Append("(?<"); return i + 3; }
        // flag group: (?flags) or (?flags:
        var j = i + 2;
        while (j < s.Length && s[j] != ')' && s[j] != ':')
        {
            var f = s[j];
            if (f == 'U') throw new Re2TranslationException("ungreedy flag (?U) has no .NET equivalent");
            if (f is not ('i' or 'm' or 's' or '-'))
                throw new Re2TranslationException($"unknown group flag '{f}'");
            j++;
        }
        if (j >= s.Length) throw new Re2TranslationException("unterminated group flags");
        sb.Append(s, i, j - i + 1);
        return j + 1;
    }

    private static int CharClass(string s, int i, StringBuilder sb)
    {
        sb.Append('[');
        i++;
        if (i < s.Length && s[i] == '^') { sb.Append('^'); i++; }
        // A ']' first in the class is a literal in RE2.
        if (i < s.Length && s[i] == ']') { sb.Append(@"\]"); i++; }
        while (i < s.Length && s[i] != ']')
        {
            if (s[i] == '[' && i + 1 < s.Length && s[i + 1] == ':')
            {
                var end = s.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new Re2TranslationException("unterminated POSIX class");
                var name = s[(i + 2)..end];
                if (name.StartsWith('^')) throw new Re2TranslationException($"negated POSIX class [:{name}:] inside a class");
                if (!Posix.TryGetValue(name, out var body)) throw new Re2TranslationException($"unknown POSIX class [:{name}:]");
                sb.Append(body);
                i = end + 2;
            }
            else if (s[i] == '\\') i = Escape(s, i, sb, inClass: true);
            else if (s[i] == '[') { sb.Append(@"\["); i++; }  // literal in RE2, set-subtraction syntax in .NET
            else { sb.Append(s[i]); i++; }
        }
        if (i >= s.Length) throw new Re2TranslationException("missing closing ]");
        sb.Append(']');
        return i + 1;
    }

    private static int Escape(string s, int i, StringBuilder sb, bool inClass)
    {
        if (i + 1 >= s.Length) throw new Re2TranslationException("trailing backslash");
        var e = s[i + 1];
        switch (e)
        {
            case 'd': sb.Append(inClass ? Digit : "[" + Digit + "]"); return i + 2;
            case 'w': sb.Append(inClass ? Word : "[" + Word + "]"); return i + 2;
            case 's': sb.Append(inClass ? Space : "[" + Space + "]"); return i + 2;
            case 'D' when !inClass: sb.Append("[^" + Digit + "]"); return i + 2;
            case 'W' when !inClass: sb.Append("[^" + Word + "]"); return i + 2;
            case 'S' when !inClass: sb.Append("[^" + Space + "]"); return i + 2;
            case 'Q':
            {
                var end = s.IndexOf(@"\E", i + 2, StringComparison.Ordinal);
                var literal = end < 0 ? s[(i + 2)..] : s[(i + 2)..end];
                sb.Append(inClass ? EscapeInClass(literal) : Regex.Escape(literal));
                return end < 0 ? s.Length : end + 2;
            }
            case 'C': throw new Re2TranslationException(@"\C (any byte) has no .NET equivalent");
            case 'z': sb.Append(@"\z"); return i + 2;
            case 'Z': throw new Re2TranslationException(@"\Z is not RE2 syntax");
            case 'x' when i + 2 < s.Length && s[i + 2] == '{':
            {
                var end = s.IndexOf('}', i + 3);
                if (end < 0) throw new Re2TranslationException(@"unterminated \x{");
                var cp = int.Parse(s.AsSpan(i + 3, end - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (cp > 0xFFFF) throw new Re2TranslationException($@"\x{{{cp:X}}} is outside the BMP");
                sb.Append(CultureInfo.InvariantCulture, $@"\u{cp:X4}");
                return end + 1;
            }
            case 'p' or 'P':
            {
                string name;
                int next;
                if (i + 2 < s.Length && s[i + 2] == '{')
                {
                    var end = s.IndexOf('}', i + 3);
                    if (end < 0) throw new Re2TranslationException(@"unterminated \p{");
                    name = s[(i + 3)..end];
                    next = end + 1;
                }
                else if (i + 2 < s.Length) { name = s[i + 2].ToString(); next = i + 3; }
                else throw new Re2TranslationException(@"trailing \p");
                var negate = e == 'P';
                if (name.StartsWith('^')) { negate = !negate; name = name[1..]; }
                if (!Categories.Contains(name)) throw new Re2TranslationException($@"Unicode script \p{{{name}}} is spelled differently in .NET");
                sb.Append(negate ? @"\P{" : @"\p{").Append(name).Append('}');
                return next;
            }
            default:
                if (char.IsAsciiDigit(e) && e != '0') throw new Re2TranslationException($@"\{e} (backreference) is not RE2 syntax");
                sb.Append('\\').Append(e);
                return i + 2;
        }
    }

    private static string EscapeInClass(string literal)
    {
        var sb = new StringBuilder();
        foreach (var ch in literal)
        {
            if (ch is '\\' or ']' or '[' or '^' or '-') sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }
}
