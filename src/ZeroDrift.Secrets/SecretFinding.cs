namespace ZeroDrift.Secrets;

/// <summary>
/// One secret found: where (1-based line and column of the match's start), by which rule, the matched text and
/// the secret inside it. <see cref="Fingerprint"/> is gitleaks' <c>path:rule:line</c>, stable enough for baselines.
/// Outputs show <see cref="RedactedSecret"/> / <see cref="RedactedMatch"/> unless the user asks for secrets.
/// </summary>
public sealed record SecretFinding
{
    public required string RuleId { get; init; }
    public string Description { get; init; } = "";
    public required string File { get; init; }
    public required int Line { get; init; }
    public required int Column { get; init; }
    public required int EndLine { get; init; }
    public required string Match { get; init; }
    public required string Secret { get; init; }
    public double Entropy { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];

    public string Fingerprint => $"{File}:{RuleId}:{Line}";

    public string RedactedSecret => Redact(Secret);

    public string RedactedMatch => Secret.Length == 0 ? Match : Match.Replace(Secret, RedactedSecret, StringComparison.Ordinal);

    /// <summary>Keeps a short prefix (at most 4 characters, never more than a quarter) so a reader can tell keys apart.</summary>
    public static string Redact(string secret)
    {
        var keep = Math.Min(4, secret.Length / 4);
        return secret[..keep] + "*****";
    }
}
