using System.Text.RegularExpressions;

namespace ZeroDrift.Secrets;

/// <summary>The rows of <see cref="BuiltInRules"/>; kept apart so the table reads as data.</summary>
internal static class BuiltInRuleTable
{
    private const RegexOptions Fast = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    /// <summary>Obvious placeholders and examples that are never real secrets.</summary>
    public static readonly SecretAllowlist Placeholders = new()
    {
        Description = "placeholders",
        Regexes = [new Regex(@"(?i)^(?:x{6,}|\*{6,}|0{8,}|(?:your|my|example|sample|dummy|fake|test|changeme|placeholder)[_-]?\w*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})$", Fast)],
        StopWords = ["example", "xxxxxxxx", "placeholder", "changeme", "your_", "your-", "redacted", "dummy"],
    };

    /// <summary>Files that hold hashes and checksums rather than secrets.</summary>
    public static readonly SecretAllowlist GlobalPaths = new()
    {
        Description = "lockfiles, checksums and binary-ish assets",
        Paths = [new Regex(@"(?i)(?:^|/)(?:go\.sum|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Cargo\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json)$|\.(?:png|jpe?g|gif|svg|ico|woff2?|ttf|eot|pdf)$", Fast)],
    };

    private static BuiltInRules.Definition R(string id, string description, string keywords, string regex, double entropy = 0, int group = 0) =>
        new(id, description, keywords.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), regex, entropy, group);

    // Shared tails: the token ends at a quote, space, semicolon, escaped newline or line end.
    private const string End = @"(?:[\x60'""\s;,)\]}]|\\[nr]|$)";
    // "name <sep> value" assignment prefix used by keyword-qualified rules.
    private const string Assign = @"(?:[ \t\w.-]{0,20})[\s'""]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'""\s=]{0,5}";

    public static readonly BuiltInRules.Definition[] Rows =
    [
        R("aws-access-key-id", "AWS access key ID", "akia,asia,abia,acca", @"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", 3.0),
    ];
}
