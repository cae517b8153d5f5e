using System.Text.RegularExpressions;

namespace ZeroDrift.Secrets;

/// <summary>
/// A translated RE2 pattern whose engine is built on first use. A NonBacktracking regex costs about 1 MB to build
/// (character-class tables and DFA state per regex), so building the 200-odd rules of a config up front would cost
/// hundreds of MB while a typical file needs a handful; validation at load uses the cheap backtracking parser.
/// </summary>
public sealed class LazyRegex
{
    private readonly Lazy<(Regex Regex, bool NonBacktracking)> _compiled;

    /// <summary>Translates and validates now (throws <see cref="Re2TranslationException"/> or <see cref="ArgumentException"/>); builds later.</summary>
    public LazyRegex(string re2, TimeSpan fallbackTimeout)
    {
        var net = Re2Translator.Translate(re2);
        _ = new Regex(net, RegexOptions.CultureInvariant);  // syntax check without the NonBacktracking build cost
        _compiled = new(() => Re2Translator.CompileTranslated(net, fallbackTimeout));
    }

    /// <summary>Wraps an already built regex.</summary>
    public LazyRegex(Regex regex) =>
        _compiled = new((regex, (regex.Options & RegexOptions.NonBacktracking) != 0));

    public Regex Value => _compiled.Value.Regex;

    /// <summary>True when the regex runs on the linear-time engine (builds it if not yet built).</summary>
    public bool NonBacktracking => _compiled.Value.NonBacktracking;

    public bool IsMatch(string input) => Value.IsMatch(input);
}
