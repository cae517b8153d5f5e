namespace ZeroDrift.Vulnerabilities.Matching;

/// <summary>The outcome of comparing two versions: an order, or the reason none could be established.</summary>
public readonly record struct VersionOrder(int? Sign, string? Error)
{
    public static VersionOrder Of(int sign) => new(Math.Sign(sign), null);
    public static VersionOrder Unknown(string error) => new(null, error);
    public bool Known => Sign is not null;
}

/// <summary>Orders versions of one ecosystem; never throws for a malformed version.</summary>
public interface IVersionOrder
{
    /// <summary>The comparator's name, reported in a finding's evidence (e.g. "dpkg", "pep440").</summary>
    string Name { get; }

    VersionOrder Compare(string a, string b);
}
