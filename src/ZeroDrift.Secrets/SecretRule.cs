using System.Text.RegularExpressions;

namespace ZeroDrift.Secrets;

/// <summary>What an allowlist regex is matched against, as gitleaks' <c>regexTarget</c>.</summary>
public enum RegexTarget { Secret, Match, Line }

/// <summary>How an allowlist's criteria combine, as gitleaks' <c>condition</c>.</summary>
public enum AllowlistCondition { Or, And }

/// <summary>
/// A gitleaks allowlist: a finding is allowed when its commit, path, regex target or a stop-word matches (OR),
/// or when every criterion the allowlist sets matches (AND).
/// </summary>
public sealed record SecretAllowlist
{
    public string? Description { get; init; }
    public AllowlistCondition Condition { get; init; } = AllowlistCondition.Or;
    public RegexTarget RegexTarget { get; init; } = RegexTarget.Secret;
    public IReadOnlyList<LazyRegex> Regexes { get; init; } = [];
    public IReadOnlyList<LazyRegex> Paths { get; init; } = [];
    public IReadOnlyList<string> Commits { get; init; } = [];
    /// <summary>Lower-cased; a secret containing one is allowed.</summary>
    public IReadOnlyList<string> StopWords { get; init; } = [];
    /// <summary>For global allowlists: the rule ids it applies to; empty means all rules.</summary>
    public IReadOnlyList<string> TargetRules { get; init; } = [];

    public bool IsEmpty => Regexes.Count == 0 && Paths.Count == 0 && Commits.Count == 0 && StopWords.Count == 0;

    /// <summary>Whether this allowlist lets a finding through; <paramref name="commit"/> is null outside git history.</summary>
    public bool Allows(string path, string secret, string match, string line, string? commit)
    {
        if (IsEmpty) return false;
        bool? commitOk = Commits.Count == 0 ? null : commit is not null && Commits.Any(c => c.Equals(commit, StringComparison.OrdinalIgnoreCase));
        bool? pathOk = Paths.Count == 0 ? null : Paths.Any(p => p.IsMatch(path));
        bool? regexOk = null;
        if (Regexes.Count > 0)
        {
            var target = RegexTarget switch { RegexTarget.Match => match, RegexTarget.Line => line, _ => secret };
            regexOk = Regexes.Any(r => r.IsMatch(target));
        }
        bool? stopOk = null;
        if (StopWords.Count > 0)
        {
            var lower = secret.ToLowerInvariant();
            stopOk = StopWords.Any(w => lower.Contains(w, StringComparison.Ordinal));
        }
        bool?[] criteria = [commitOk, pathOk, regexOk, stopOk];
        return Condition == AllowlistCondition.And
            ? criteria.All(c => c is null or true)
            : criteria.Any(c => c is true);
    }
}

/// <summary>
/// One detection rule, in gitleaks' model: a regex (with the secret in <see cref="SecretGroup"/>, or the first
/// non-empty group when 0), an optional path regex, a Shannon-entropy floor for the secret, and keywords that
/// must occur (case-insensitively) near a line before the regex is worth running.
/// </summary>
public sealed record SecretRule
{
    public required string Id { get; init; }
    public string Description { get; init; } = "";
    /// <summary>The pattern as written in the source (RE2 syntax for gitleaks configs).</summary>
    public string? Pattern { get; init; }
    /// <summary>The compiled pattern, built on first use; null for path-only rules.</summary>
    public LazyRegex? Matcher { get; init; }
    public Regex? Regex => Matcher?.Value;
    public LazyRegex? Path { get; init; }
    public int SecretGroup { get; init; }
    /// <summary>0 means no threshold; otherwise the secret's Shannon entropy must exceed it.</summary>
    public double Entropy { get; init; }
    /// <summary>Lower-cased.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<SecretAllowlist> Allowlists { get; init; } = [];
    /// <summary>True when <see cref="Regex"/> runs on the linear-time engine (builds it).</summary>
    public bool NonBacktracking => Matcher is null || Matcher.NonBacktracking;
}

/// <summary>A rule that was not loaded, and why; <see cref="File"/> is the config that holds it (null for text parsed without a name).</summary>
public sealed record SecretRuleWarning(string RuleId, string Reason)
{
    public string? File { get; init; }
}
