using System.Diagnostics;
using System.Text.RegularExpressions;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Secrets;

/// <summary>
/// A translated RE2 pattern whose engine is built on first use. A NonBacktracking regex costs about 1 MB to build
/// (character-class tables and DFA state per regex), so building the 200-odd rules of a config up front would cost
/// hundreds of MB while a typical file needs a handful; validation at load uses the cheap backtracking parser.
/// </summary>
public sealed class LazyRegex
{
    private readonly Lazy<(Regex Regex, bool NonBacktracking)> _compiled;

    /// <summary>The same pattern on the backtracking interpreter with a short time bound (null for a wrapped regex).</summary>
    private readonly Lazy<Regex>? _probe;
    private int _probeTimeouts;

    /// <summary>The probe compiled to IL once the interpreter has cost more than <see cref="CompileAfter"/> (null until then).</summary>
    private Regex? _compiledProbe;
    private long _probeTicks;
    private int _compiling;
    private readonly string? _net;

    /// <summary>Time bound of one probe; a window that needs longer goes to the linear-time engine.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(20);

    /// <summary>After this many probe timeouts a pattern is evidently slow on the interpreter for this input: stop probing.</summary>
    private const int MaxProbeTimeouts = 4;

    /// <summary>
    /// Translates and validates now (throws <see cref="Re2TranslationException"/> or <see cref="ArgumentException"/>,
    /// including for what RE2 refuses: see <see cref="LinearRegex"/>); builds later.
    /// </summary>
    public LazyRegex(string re2) : this(re2, validate: true)
    {
    }

    /// <param name="re2">The pattern.</param>
    /// <param name="validate">False for patterns known to be valid (the built-in rules, which a test compiles): their
    /// probe is then built on first use too. Building all 231 up front cost 130-180 ms of a scan's start (the
    /// interpreter analyses each pattern's leading strings for a vectorised search), for the third that fire.</param>
    internal LazyRegex(string re2, bool validate)
    {
        var net = Re2Translator.Translate(re2);
        // RE2's refusals and the linear-time engine's size limit hold for the whole pattern, before anything is split off.
        var unfolded = validate ? LinearRegex.Check(net) : 0;
        // A leading \b makes NonBacktracking build Unicode word-character tables for the regex (+0.8 ms of 1.6 ms
        // construction, best of 7; 130 built-in token rules start with one). It is checked on each match instead,
        // with RE2's ASCII meaning, which is what the pattern says in the first place.
        if (Re2Translator.TryStripLeadingWordBoundary(net, out var rest))
        {
            net = rest;
            LeadingWordBoundary = true;
        }
        else if (Re2Translator.TryStripLeadingIdentifierPrefix(net, out rest, out var prefix))
        {
            net = rest;
            PrefixMaxLength = prefix;
        }
        MaxLength = MaxMatchLength.Of(net) is { } n ? n + PrefixMaxLength : null;
        MaxNewlines = MaxMatchLength.Newlines(net);
        _compiled = new(() => (LinearRegex.CompileTranslated(net), true));
        // The syntax check, without the NonBacktracking build cost, of the pattern that runs; kept as the probe.
        _probe = new(() => new Regex(net, RegexOptions.CultureInvariant, ProbeTimeout));
        _net = net;
        if (!validate) return;
        _ = _probe.Value;
        // A large unfolded pattern is built now, so that whatever the linear-time engine still refuses is refused at
        // load with the rule's name, never at its first match (a few user patterns pay this; the built-in ones never).
        if (unfolded > EagerBuildSize) _ = _compiled.Value;
    }

    /// <summary>
    /// Unfolded size past which a loaded pattern's linear-time engine is built at load: half the engine's limit, where
    /// its own estimate (the same unfolding) could differ from <see cref="LinearRegex.UnfoldedSize"/>. None of
    /// gitleaks' 222 default patterns reaches it (the largest, kubernetes-secret-yaml, unfolds to 1,922).
    /// </summary>
    private const long EagerBuildSize = LinearRegex.MaxUnfoldedSize / 2;

    /// <summary>The longest whole match (the left-out prefix included), or null when unbounded or not measured.</summary>
    public int? MaxLength { get; }

    /// <summary>
    /// The most line ends one match can hold (0: the pattern never spans lines), or null when unbounded or not measured
    /// (a wrapped regex). Decided from what the pattern can match, not from how it is spelled: <c>[\s'"]</c> or
    /// <c>[^"]</c> admit a line end, <c>[ \t]</c> does not.
    /// </summary>
    public int? MaxNewlines { get; }

    /// <summary>The pattern began with <c>\b</c>, left out of <see cref="Value"/>: a match counts only where <see cref="AtWordBoundary"/>.</summary>
    public bool LeadingWordBoundary { get; }

    /// <summary>RE2's <c>\b</c> (ASCII word characters) at <paramref name="index"/> of <paramref name="text"/>.</summary>
    public static bool AtWordBoundary(string text, int index) => AtWordBoundary(text.AsSpan(), index);

    /// <inheritdoc cref="AtWordBoundary(string, int)"/>
    public static bool AtWordBoundary(ReadOnlySpan<char> text, int index)
    {
        var before = index > 0 && IsWord(text[index - 1]);
        var after = index < text.Length && IsWord(text[index]);
        return before != after;
    }

    /// <summary>
    /// The pattern began with a lazy identifier prefix <c>[\w.-]{0,N}?</c>, left out of <see cref="Value"/>
    /// (0 when not): a match of the rest at <c>index</c> is a match of the whole pattern from <see cref="PrefixStart"/>.
    /// </summary>
    public int PrefixMaxLength { get; }

    /// <summary>Where the whole pattern's leftmost match starts when the rest matched at <paramref name="index"/>:
    /// up to <see cref="PrefixMaxLength"/> identifier characters earlier, never before <paramref name="windowStart"/>.</summary>
    public int PrefixStart(ReadOnlySpan<char> text, int index, int windowStart)
    {
        var start = index;
        var limit = Math.Max(windowStart, index - PrefixMaxLength);
        while (start > limit && (IsWord(text[start - 1]) || text[start - 1] is '.' or '-')) start--;
        return start;
    }

    private static bool IsWord(char c) => c is (>= '0' and <= '9') or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';

    /// <summary>Wraps an already built regex.</summary>
    public LazyRegex(Regex regex) =>
        _compiled = new((regex, (regex.Options & RegexOptions.NonBacktracking) != 0));

    /// <summary>Wraps a regex built on first use.</summary>
    public LazyRegex(Func<Regex> build) =>
        _compiled = new(() =>
        {
            var regex = build();
            return (regex, (regex.Options & RegexOptions.NonBacktracking) != 0);
        });

    public Regex Value => _compiled.Value.Regex;

    /// <summary>True when the regex runs on the linear-time engine (builds it if not yet built).</summary>
    public bool NonBacktracking => _compiled.Value.NonBacktracking;

    /// <summary>
    /// False when <see cref="Value"/> has no match in <paramref name="input"/>; true when it may have one (a match of
    /// the pattern without its left-out leading <c>\b</c>, or a probe that ran out of time).
    /// Whether a match exists does not depend on the engine (RE2 patterns have neither backreferences nor lookaround),
    /// so the backtracking interpreter answers it: it is built in a fraction of the time of the NonBacktracking engine
    /// (whose construction, and the compilation of its generic code, was about a third of a tree scan's CPU time),
    /// and most windows a keyword opens hold no match. A rule whose probes add up to <see cref="CompileAfter"/> gets
    /// them compiled. The probe runs on a window of bounded length with a time bound; after
    /// <see cref="MaxProbeTimeouts"/> timeouts (of probes and of <see cref="Bounded"/> matches) the rule skips it, so
    /// crafted input costs at most that much more than the linear-time engine alone.
    /// </summary>
    public bool MayMatch(ReadOnlySpan<char> input)
    {
        if (Bounded is not { } bounded) return Value.IsMatch(input);
        try
        {
            if (bounded == _compiledProbe) return bounded.IsMatch(input);
            var from = Stopwatch.GetTimestamp();
            var found = bounded.IsMatch(input);
            if (Interlocked.Add(ref _probeTicks, Stopwatch.GetTimestamp() - from) > CompileAfterTicks) Compile();
            return found;
        }
        catch (RegexMatchTimeoutException)
        {
            BoundedTimedOut();
            return Value.IsMatch(input);
        }
    }

    /// <summary>
    /// Interpreter time after which a rule's probe is compiled to IL (<see cref="RegexOptions.Compiled"/>). Compiling
    /// one of the built-in patterns and its first call cost 1-9 ms, and the compiled code searches several times faster
    /// (the generic rule's probe over a tree: ~490 ms on the interpreter, ~125 ms compiled): a rule whose windows cost
    /// less than this (nearly all of them) never pays for it, and one that does spends at most about twice the best of
    /// the two. Measured on a tree scan, fresh process, alternating runs: 3 ms and 10 ms gave the same CPU, 30 ms more.
    /// </summary>
    public static readonly TimeSpan CompileAfter = TimeSpan.FromMilliseconds(5);

    private static readonly long CompileAfterTicks = (long)(CompileAfter.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Builds the compiled probe once (the first thread past the threshold; the others keep interpreting meanwhile).</summary>
    private void Compile()
    {
        if (Interlocked.Exchange(ref _compiling, 1) != 0) return;
        var compiled = new Regex(_net!, RegexOptions.CultureInvariant | RegexOptions.Compiled, ProbeTimeout);
        // The first call JIT-compiles the generated code: done here on an empty input, so that it never counts against a
        // window's time bound (under load it took longer than the bound, and four timeouts take the rule off the probe).
        try
        {
            compiled.IsMatch("");
        }
        catch (RegexMatchTimeoutException)
        {
        }
        Volatile.Write(ref _compiledProbe, compiled);
    }

    /// <summary>
    /// The backtracking engine of the probe (compiled once hot), with its time bound, while the rule has timeouts left;
    /// null otherwise: matches then come from <see cref="Value"/>.
    /// </summary>
    internal Regex? Bounded => _probe is null || Volatile.Read(ref _probeTimeouts) >= MaxProbeTimeouts
        ? null
        : Volatile.Read(ref _compiledProbe) ?? _probe.Value;

    /// <summary>Probes and bounded matches that ran out of time so far (for tests).</summary>
    internal int Timeouts => Volatile.Read(ref _probeTimeouts);

    /// <summary>A match on <see cref="Bounded"/> ran out of time: counts as a probe timeout.</summary>
    internal void BoundedTimedOut() => Interlocked.Increment(ref _probeTimeouts);

    /// <summary>Whether the whole pattern matches (the left-out prefix can be empty, so it changes nothing here).</summary>
    public bool IsMatch(string input)
    {
        // Allowlist patterns meet a few strings each (the findings' secrets): the bounded engine, built in a fraction of
        // the linear-time engine's time, answers unless it ran out of time.
        if (Bounded is { } bounded)
        {
            try
            {
                return Matches(bounded, input);
            }
            catch (RegexMatchTimeoutException)
            {
                BoundedTimedOut();
            }
        }
        return Matches(Value, input);
    }

    private bool Matches(Regex regex, string input)
    {
        if (!LeadingWordBoundary) return regex.IsMatch(input);
        for (var m = regex.Match(input); m.Success; m = m.NextMatch())
            if (AtWordBoundary(input, m.Index)) return true;
        return false;
    }
}
