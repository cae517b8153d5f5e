namespace ZeroDrift.Misconfig.Custom;

/// <summary>
/// Bounds on a custom CEL check, as Kubernetes bounds CEL in admission: the expression's size and nesting hold before
/// it is parsed (the parser and the interpreter recurse per level), and each evaluation — one check on one document —
/// has a cost budget and a deadline, so a check (or a manifest it reads) cannot hang or exhaust the scan. The one
/// place these values live; a scan-wide budget can feed them.
/// </summary>
public sealed record CelLimits
{
    public static CelLimits Default { get; } = new();

    /// <summary>Longest expression, in characters (cel-go's default code-point limit).</summary>
    public int MaxExpressionLength { get; init; } = 100_000;

    /// <summary>
    /// Deepest nesting of brackets (<c>( [ {</c>) and conditionals (<c>? :</c>), counted on the tokens before parsing:
    /// the parser recurses once per level (50,000 nested parentheses overflowed the stack).
    /// </summary>
    public int MaxNesting { get; init; } = 100;

    /// <summary>
    /// Deepest parse tree the interpreter may walk (it recurses per tree level, about 600 bytes of stack each; a
    /// thread-pool thread has 1.5 MiB); measured without recursion, after the cost accounting is woven in.
    /// </summary>
    public int MaxTreeDepth { get; init; } = 1500;

    /// <summary>
    /// Cost units per check per document: one per comprehension step (<c>all</c>, <c>exists</c>, <c>exists_one</c>,
    /// <c>map</c>, <c>filter</c>), plus the size of every list, map or string a step or a <c>+</c> makes, plus the
    /// length of each <c>matches()</c> input (and 1,000 for each pattern built). About a second of this interpreter.
    /// </summary>
    public long MaxCost { get; init; } = 100_000;

    /// <summary>Wall time per check per document, checked at every step from inside the evaluation.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Wall time of all custom checks on one file: past it, the file's remaining resources are not given to them (one
    /// warning says from which resource on). Without it, a manifest of thousands of documents, each costly for a check
    /// because of its own data, would cost the per-document deadline thousands of times.
    /// </summary>
    public TimeSpan MaxTimePerFile { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>A check stopped on one document because it went over its <see cref="CelLimits"/> budget.</summary>
public sealed class CelBudgetExceededException(string message) : Exception(message);
