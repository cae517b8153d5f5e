namespace ZeroDrift.Core.Budgets;

/// <summary>
/// How much one read of untrusted data may cost: bytes, nesting depth, items and time. Every reader of a target's
/// or a user's files (YAML, JSON, XML, TOML, SQLite, lockfiles, rule and policy files) takes one, so that a hostile
/// input is stopped by the same four bounds wherever it is read. <c>zerodrift</c> builds it from the limits its
/// command line names (<c>--max-file-bytes</c>, <c>--max-nesting</c>, <c>--max-entries</c>,
/// <c>--max-parse-seconds</c>); a reader that needs a tighter bound narrows it with <see cref="WithMaxBytes"/>.
/// Immutable and free of I/O: the running counts of one read live in the <see cref="ParseMeter"/> it
/// <see cref="Start"/>s.
/// </summary>
public sealed record ParseBudget
{
    /// <summary>Bytes of one file or document; checked from the file's size (<c>stat</c>) before it is opened, and
    /// again while it is read (a file may grow, a header may lie).</summary>
    public long MaxBytes { get; init; } = 512L << 20;

    /// <summary>Nesting of one document (JSON and YAML collections, XML elements), checked before a parser recurses.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Items of one document: YAML nodes (aliases counted as what they expand to), XML elements, JSON
    /// members, database rows, lines.</summary>
    public long MaxItems { get; init; } = 2_000_000;

    /// <summary>Wall time of one read, so a pathological input (a runaway SQL view, a quadratic corner of a parser) is
    /// stopped rather than left to hang the scan.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(30);

    public static ParseBudget Default { get; } = new();

    /// <summary>The same budget with at most <paramref name="maxBytes"/> bytes (a format with a smaller natural bound:
    /// a policy file, a profile).</summary>
    public ParseBudget WithMaxBytes(long maxBytes) => maxBytes >= MaxBytes ? this : this with { MaxBytes = maxBytes };

    /// <summary>Starts the meter of one read of <paramref name="what"/> (a path, "policy.yaml"): its clock starts now.</summary>
    /// <param name="items">What the items are called in a message: "YAML nodes", "rows", "XML elements".</param>
    public ParseMeter Start(string what, string items = "items") => new(this, what, items);

    /// <summary>Refuses a file from its declared size before a byte of it is read.</summary>
    /// <exception cref="BudgetExceededException">When <paramref name="bytes"/> is above <see cref="MaxBytes"/>.</exception>
    public void CheckSize(long bytes, string what)
    {
        if (bytes > MaxBytes)
            throw new BudgetExceededException(BudgetLimit.Bytes, $"{what}: {bytes} bytes, larger than the {MaxBytes} byte limit for a parsed file");
    }
}
