using System.Diagnostics;

namespace ZeroDrift.Core.Budgets;

/// <summary>
/// The running counts of one read against its <see cref="ParseBudget"/>: bytes, items and the clock. Readers call it
/// as they go (every event, row or chunk); each call is a comparison, and the clock is read once every
/// <see cref="ClockInterval"/> items. Not thread-safe: one read, one meter.
/// </summary>
public sealed class ParseMeter
{
    /// <summary>Items between two readings of the clock: often enough to stop within milliseconds of the deadline,
    /// rarely enough to cost nothing.</summary>
    public const int ClockInterval = 256;

    private readonly long _deadline;
    private long _bytes;
    private long _items;
    private int _sinceClock;

    internal ParseMeter(ParseBudget budget, string what, string itemNoun)
    {
        Budget = budget;
        What = what;
        ItemNoun = itemNoun;
        var ticks = budget.MaxTime.TotalSeconds * Stopwatch.Frequency;
        _deadline = ticks >= long.MaxValue / 2 ? long.MaxValue : Stopwatch.GetTimestamp() + (long)ticks;
    }

    public ParseBudget Budget { get; }

    /// <summary>What is being read, as messages name it.</summary>
    public string What { get; }

    public string ItemNoun { get; }

    public long Bytes => _bytes;

    public long Items => _items;

    /// <summary>True once the read has used up its time (for callbacks that must answer rather than throw: SQLite's
    /// progress handler).</summary>
    public bool Expired => Stopwatch.GetTimestamp() > _deadline;

    /// <summary>Checks the nesting of a collection about to be entered (1 for a top-level collection's children…).</summary>
    public void Depth(int depth)
    {
        if (depth > Budget.MaxDepth)
            throw new BudgetExceededException(BudgetLimit.Depth, $"{What}: nested deeper than {Budget.MaxDepth} levels");
    }

    /// <summary>Counts <paramref name="count"/> items; reads the clock now and then.</summary>
    public void Item(long count = 1)
    {
        _items += count;
        if (_items > Budget.MaxItems)
            throw new BudgetExceededException(BudgetLimit.Items, $"{What}: more than {Budget.MaxItems} {ItemNoun}");
        if (++_sinceClock >= ClockInterval)
        {
            _sinceClock = 0;
            CheckTime();
        }
    }

    /// <summary>Starts the item count again (one document of a stream of many: each gets the whole item budget;
    /// bytes and time stay shared).</summary>
    public void ResetItems() => _items = 0;

    /// <summary>Counts bytes read; checks the time too (reads come in chunks, so each is worth a clock reading).</summary>
    public void Read(long bytes)
    {
        _bytes += bytes;
        if (_bytes > Budget.MaxBytes)
            throw new BudgetExceededException(BudgetLimit.Bytes, $"{What}: larger than the {Budget.MaxBytes} byte limit for a parsed file");
        CheckTime();
    }

    public void CheckTime()
    {
        if (Expired)
            throw new BudgetExceededException(BudgetLimit.Time, $"{What}: not read within the {Budget.MaxTime.TotalSeconds:0.###} s limit for one file; stopped");
    }
}
