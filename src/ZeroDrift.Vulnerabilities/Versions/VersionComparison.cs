namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// The result of comparing two versions: an order (-1, 0, +1), or the reason they cannot be compared. A version
/// that does not parse is never silently "not affected": callers must look at <see cref="Order"/> being null.
/// </summary>
public readonly record struct VersionComparison
{
    private readonly string? error;

    private VersionComparison(int? order, string? error)
    {
        Order = order;
        this.error = error;
    }

    /// <summary>-1 when the first version is older, 0 when equal, +1 when newer; null when they cannot be compared.</summary>
    public int? Order { get; }

    /// <summary>Why the versions cannot be compared; null when <see cref="Order"/> has a value.</summary>
    public string? Error => Order is null ? error ?? "the versions were not compared" : null;

    public bool IsKnown => Order is not null;

    /// <summary><c>&lt;</c>, <c>=</c>, <c>&gt;</c>, or <c>?</c> when the versions cannot be compared.</summary>
    public string Symbol => Order switch { null => "?", < 0 => "<", 0 => "=", _ => ">" };

    public static VersionComparison Of(int order) => new(Math.Sign(order), null);

    public static VersionComparison Failed(string error) => new(null, error);

    /// <summary>The same comparison seen from the other side: a &lt; b becomes b &gt; a.</summary>
    public VersionComparison Reversed() => Order is { } o ? Of(-o) : this;

    public override string ToString() => Order is null ? $"? ({Error})" : Symbol;
}
