using System.Collections;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Google.Protobuf;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Misconfig.Custom;

/// <summary>
/// The cost and the deadline of one check's evaluations, charged from inside the evaluation: the CEL library has no
/// cost tracking or cancellation, so <see cref="CelExpressionGuard.Instrument"/> weaves calls to
/// <see cref="Step"/> and <see cref="Charge"/> into the expression, and <c>matches()</c> is this meter's linear-time
/// <see cref="Matches"/>. Once over budget every step answers false and every charge throws, so the evaluation
/// unwinds in a few cheap steps per comprehension level instead of finishing; the result is then discarded.
/// One meter per check; the check evaluates under a lock, so a meter serves one evaluation at a time.
/// </summary>
internal sealed class CelMeter(CelLimits limits)
{
    /// <summary>What building one <c>matches()</c> pattern costs, in cost units.</summary>
    private const long PatternBuildCost = 1000;

    /// <summary>Patterns kept built per check (a pattern can come from the scanned document).</summary>
    private const int MaxCachedPatterns = 32;

    private readonly long _timeLimit = (long)(limits.MaxTime.TotalSeconds * Stopwatch.Frequency);
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);
    private long _cost;
    private long _deadline;

    /// <summary>Why the current evaluation went over budget; null while within it.</summary>
    public string? Exceeded { get; private set; }

    public void Start()
    {
        _cost = 0;
        Exceeded = null;
        _deadline = Stopwatch.GetTimestamp() + _timeLimit;
    }

    /// <summary>One comprehension step: true to go on, false once over budget (the step's body is then skipped).</summary>
    public bool Step()
    {
        if (Exceeded is not null) return false;
        Add(1);
        return Exceeded is null;
    }

    /// <summary>Charges the size of a value a step or a <c>+</c> made, and passes it on.</summary>
    public object? Charge(object? value)
    {
        if (Exceeded is null) Add(SizeOf(value));
        return Exceeded is null ? value : throw new CelBudgetExceededException(Exceeded);
    }

    /// <summary>CEL's <c>matches()</c> (an unanchored RE2 search) on the linear-time engine, with RE2's refusals.</summary>
    public bool Matches(string input, string pattern)
    {
        if (!_patterns.TryGetValue(pattern, out var regex))
        {
            Add(PatternBuildCost + pattern.Length);
            if (Exceeded is not null) throw new CelBudgetExceededException(Exceeded);
            if (_patterns.Count >= MaxCachedPatterns) _patterns.Clear();
            regex = LinearRegex.Compile(pattern, RegexOptions.None, limits.MaxTime);
            _patterns[pattern] = regex;
        }
        Add(input.Length);
        if (Exceeded is not null) throw new CelBudgetExceededException(Exceeded);
        try
        {
            return regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            Exceeded = $"matches() ran longer than {limits.MaxTime.TotalMilliseconds:0} ms";
            throw new CelBudgetExceededException(Exceeded);
        }
    }

    private void Add(long units)
    {
        _cost = Math.Min(_cost + units, long.MaxValue / 2);
        if (_cost > limits.MaxCost)
            Exceeded = $"over its evaluation budget of {limits.MaxCost} cost units";
        else if (Stopwatch.GetTimestamp() > _deadline)
            Exceeded = $"ran longer than {limits.MaxTime.TotalMilliseconds:0} ms";
    }

    private static long SizeOf(object? value) => value switch
    {
        string s => Math.Max(1, s.Length),
        ByteString b => Math.Max(1, b.Length),
        ICollection c => Math.Max(1, c.Count),
        _ => 1,
    };
}
