using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Secrets;

/// <summary>
/// ZeroDrift's own rule set, one table row per credential type. Patterns are written in RE2 syntax (the
/// same dialect as gitleaks configs, so users can copy a row into a config) and go through
/// <see cref="Re2Translator"/> like any loaded rule. The secret is capture group 1 unless a row says otherwise.
/// </summary>
public static class BuiltInRules
{
    /// <summary>A built-in rule before compilation.</summary>
    public sealed record Definition(string Id, string Description, string[] Keywords, string Regex, double Entropy = 0, int SecretGroup = 0)
    {
        /// <summary>RE2 patterns over the secret that mark it as not a secret (beyond the shared placeholder list).</summary>
        public IReadOnlyList<string> AllowSecrets { get; init; } = [];
    }

    private static readonly Lazy<SecretRuleSet> Compiled = new(Compile);

    public static SecretRuleSet RuleSet => Compiled.Value;

    public static IReadOnlyList<Definition> Definitions { get; } = BuiltInRuleTable.Rows;

    private static SecretRuleSet Compile()
    {
        var rules = new List<SecretRule>();
        var warnings = new List<SecretRuleWarning>();
        foreach (var d in Definitions)
        {
            try
            {
                var regex = new LazyRegex(d.Regex, validate: false);
                rules.Add(new SecretRule
                {
                    Id = d.Id, Description = d.Description, Pattern = d.Regex, Matcher = regex,
                    Keywords = d.Keywords.Select(k => k.ToLowerInvariant()).ToList(), Entropy = d.Entropy, SecretGroup = d.SecretGroup,
                    Allowlists = d.AllowSecrets.Count == 0
                        ? [BuiltInRuleTable.Placeholders]
                        : [BuiltInRuleTable.Placeholders, new SecretAllowlist { Description = "not a secret", Regexes = d.AllowSecrets.Select(a => new LazyRegex(a, validate: false)).ToList() }],
                });
            }
            catch (Exception e) when (e is Re2TranslationException or ArgumentException)
            {
                warnings.Add(new(d.Id, e.Message));
            }
        }
        return new SecretRuleSet(rules, [BuiltInRuleTable.GlobalPaths], warnings);
    }
}
