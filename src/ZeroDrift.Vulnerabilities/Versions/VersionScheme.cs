using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>
/// One ecosystem's rules for ordering version strings (dpkg, rpm, PEP 440, Maven, …). Every scheme refuses
/// empty, oversized and whitespace- or control-character-bearing input with a reason instead of guessing.
/// </summary>
public abstract class VersionScheme
{
    /// <summary>No real version is this long; the bound keeps hostile input cheap to reject.</summary>
    public const int MaxLength = 1024;

    /// <summary>The scheme's name as shown to users, e.g. "Debian (dpkg)".</summary>
    public abstract string Name { get; }

    /// <summary>Orders two versions, or says why it cannot.</summary>
    public abstract VersionComparison Compare(string? a, string? b);

    /// <summary>Whether the scheme can read this version; the reason when it cannot.</summary>
    public abstract bool IsValid(string? version, [NotNullWhen(false)] out string? error);

    /// <summary>The checks shared by every scheme; returns the trimmed text, or null with the reason.</summary>
    protected static string? Precheck(string? text, out string? error)
    {
        error = null;
        if (text is null || text.Length == 0 || string.IsNullOrWhiteSpace(text))
        {
            error = "the version is empty";
            return null;
        }
        if (text.Length > MaxLength)
        {
            error = $"the version is longer than {MaxLength} characters";
            return null;
        }
        var trimmed = text.Trim();
        foreach (var c in trimmed)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                error = "the version contains whitespace or control characters";
                return null;
            }
        }
        return trimmed;
    }

    /// <summary>A version quoted for an error message: bounded, one line.</summary>
    internal static string Quote(string? text)
    {
        if (text is null) return "(null)";
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        return "'" + string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c)) + "'";
    }
}

/// <summary>A scheme whose parsed versions are ordered by <typeparamref name="TVersion"/>'s own comparison.</summary>
public abstract class VersionScheme<TVersion> : VersionScheme where TVersion : IComparable<TVersion>
{
    public bool TryParse(string? text, [MaybeNullWhen(false)] out TVersion version, [NotNullWhen(false)] out string? error)
    {
        var trimmed = Precheck(text, out error);
        if (trimmed is null)
        {
            version = default;
            error ??= "the version is empty";
            return false;
        }
        return TryParseCore(trimmed, out version, out error);
    }

    /// <summary>Parses a trimmed, non-empty, bounded version without whitespace or control characters.</summary>
    protected abstract bool TryParseCore(string text, [MaybeNullWhen(false)] out TVersion version, [NotNullWhen(false)] out string? error);

    public override bool IsValid(string? version, [NotNullWhen(false)] out string? error) => TryParse(version, out _, out error);

    public override VersionComparison Compare(string? a, string? b)
    {
        if (!TryParse(a, out var va, out var ea)) return VersionComparison.Failed($"{Quote(a)} is not a valid {Name} version: {ea}");
        if (!TryParse(b, out var vb, out var eb)) return VersionComparison.Failed($"{Quote(b)} is not a valid {Name} version: {eb}");
        return VersionComparison.Of(va.CompareTo(vb));
    }

    public override string ToString() => Name;
}
