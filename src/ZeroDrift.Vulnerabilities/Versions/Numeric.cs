using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>A version made only of numbers, compared as a list: more components rank higher when the rest is equal.</summary>
public sealed class NumericVersion(string[] components) : IComparable<NumericVersion>
{
    public IReadOnlyList<string> Components { get; } = components;

    public int CompareTo(NumericVersion? other)
    {
        if (other is null) return 1;
        var c = Chars.ComparePadded(Components, other.Components);
        return c != 0 ? c : Components.Count.CompareTo(other.Components.Count);
    }

    public override string ToString() => string.Join('.', Components);

    internal static bool TryParse(string text, char[] separators, [MaybeNullWhen(false)] out NumericVersion version, [NotNullWhen(false)] out string? error)
    {
        version = null;
        var parts = text.Split(separators);
        foreach (var p in parts)
        {
            if (!Chars.AllDigits(p))
            {
                error = p.Length == 0 ? "it has an empty component" : $"component '{p}' is not a number";
                return false;
            }
        }
        version = new NumericVersion([.. parts.Select(p => Chars.CanonicalDigits(p))]);
        error = null;
        return true;
    }
}

/// <summary>
/// CRAN and Bioconductor (R's <c>package_version</c>): non-negative integers separated by <c>.</c> or <c>-</c>,
/// which weigh the same; 1.0 &lt; 1.0.0 because R compares the integer vectors, longer winning a tie.
/// </summary>
public sealed class CranScheme : VersionScheme<NumericVersion>
{
    private static readonly char[] Separators = ['.', '-'];

    public override string Name => "CRAN";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out NumericVersion version, [NotNullWhen(false)] out string? error) =>
        NumericVersion.TryParse(text, Separators, out version, out error);
}

/// <summary>
/// Hackage (Cabal's <c>Data.Version</c>): dot-separated non-negative integers compared as Haskell lists, so
/// 1.0 &gt; 1 and 1.0 &lt; 1.0.0. Tags (1.0-foo) are deprecated and not accepted.
/// </summary>
public sealed class HackageScheme : VersionScheme<NumericVersion>
{
    private static readonly char[] Separators = ['.'];

    public override string Name => "Hackage";

    protected override bool TryParseCore(string text, [MaybeNullWhen(false)] out NumericVersion version, [NotNullWhen(false)] out string? error) =>
        NumericVersion.TryParse(text, Separators, out version, out error);
}
