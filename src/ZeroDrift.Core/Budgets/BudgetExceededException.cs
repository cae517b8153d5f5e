namespace ZeroDrift.Core.Budgets;

/// <summary>Which bound of a <see cref="ParseBudget"/> stopped a read.</summary>
public enum BudgetLimit { Bytes, Depth, Items, Time }

/// <summary>
/// An input went past its <see cref="ParseBudget"/>. The message is one line naming the input and the bound. An
/// <see cref="IOException"/>, as an unreadable file is: a scan turns it into a warning about that file and goes on,
/// a command reading one file exits 2 with it.
/// </summary>
public sealed class BudgetExceededException(BudgetLimit limit, string message) : IOException(message)
{
    public BudgetLimit Limit { get; } = limit;
}
