using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Secrets;

/// <summary>
/// ZeroDrift's own rule set, one table row per credential type. Patterns are written in RE2 syntax (the
/// same dialect as gitleaks configs, so users can copy a row into a config) and go through
/// <see cref="Re2Translator"/> like any loaded rule. The secret is capture group 1 unless a row says otherwise.
/// </summary>
public static class BuiltInRules
{
    /// <summary>A built-in rule before compilation; an empty <see cref="Regex"/> with a <see cref="Path"/> reports the file itself.</summary>
    public sealed record Definition(string Id, string Description, string[] Keywords, string Regex, double Entropy = 0, int SecretGroup = 0)
    {
        /// <summary>RE2 patterns over the secret that mark it as not a secret (beyond the shared placeholder list).</summary>
        public IReadOnlyList<string> AllowSecrets { get; init; } = [];

        /// <summary>RE2 patterns over the whole match (the name included) that mark it as not a secret.</summary>
        public IReadOnlyList<string> AllowMatches { get; init; } = [];

        /// <summary>Lower-case words that mark a secret holding one as not a secret.</summary>
        public IReadOnlyList<string> StopWords { get; init; } = [];

        /// <summary>RE2 pattern over the file's path: the rule applies only to files it matches.</summary>
        public string? Path { get; init; }

        /// <summary>
        /// A value that starts with a token rule's prefix (<c>xoxp-</c>, <c>sm_pat_</c>, <c>dapi</c>) is left to that rule: in the
        /// vendor's shape that rule reports it; in another shape it is a fixture or truncated, not a working credential.
        /// </summary>
        public bool SkipVendorPrefixed { get; init; }
    }

    private static readonly Lazy<SecretRuleSet> Compiled = new(Compile);

    public static SecretRuleSet RuleSet => Compiled.Value;

    public static IReadOnlyList<Definition> Definitions { get; } = BuiltInRuleTable.Rows;

    private static SecretRuleSet Compile()
    {
        var rules = new List<SecretRule>();
        var warnings = new List<SecretRuleWarning>();
        var vendorPrefixes = VendorPrefixes(Definitions);
        foreach (var d in Definitions)
        {
            try
            {
                rules.Add(new SecretRule
                {
                    Id = d.Id, Description = d.Description, Pattern = d.Regex.Length == 0 ? null : d.Regex,
                    Matcher = d.Regex.Length == 0 ? null : new LazyRegex(d.Regex, validate: false),
                    Path = d.Path is null ? null : new LazyRegex(d.Path, validate: false),
                    Keywords = d.Keywords.Select(k => k.ToLowerInvariant()).ToList(), Entropy = d.Entropy, SecretGroup = d.SecretGroup,
                    Allowlists = Allowlists(d, vendorPrefixes),
                });
            }
            catch (Exception e) when (e is Re2TranslationException or ArgumentException)
            {
                warnings.Add(new(d.Id, e.Message));
            }
        }
        return new SecretRuleSet(rules, [BuiltInRuleTable.GlobalPaths], warnings);
    }

    /// <summary>
    /// A pattern for values that start with a token rule's keyword (<c>xoxp-</c>, <c>sm_pat_</c>, <c>dapi</c>): the keywords of
    /// at least 4 characters of rules whose pattern starts with the token (<c>\b(…</c>), which are the tokens' prefixes.
    /// </summary>
    private static string VendorPrefixes(IEnumerable<Definition> definitions)
    {
        var prefixes = definitions
            .Where(d => d.Regex.StartsWith(@"\b(", StringComparison.Ordinal))
            .SelectMany(d => d.Keywords.Where(k => k.Length >= 4))
            .Select(k => System.Text.RegularExpressions.Regex.Escape(k.ToLowerInvariant()))
            .Distinct().Order(StringComparer.Ordinal);
        return "(?i)^(?:" + string.Join("|", prefixes) + ")";
    }

    /// <summary>The shared placeholder list, then the rule's own: secrets, matches and stop-words, each its own (OR) allowlist.</summary>
    private static List<SecretAllowlist> Allowlists(Definition d, string vendorPrefixes)
    {
        List<SecretAllowlist> lists = [BuiltInRuleTable.Placeholders];
        if (d.AllowSecrets.Count > 0)
            lists.Add(new() { Description = "not a secret", Regexes = [.. d.AllowSecrets.Select(a => new LazyRegex(a, validate: false))] });
        if (d.AllowMatches.Count > 0)
            lists.Add(new()
            {
                Description = "names a value that is not a secret", RegexTarget = RegexTarget.Match,
                Regexes = [.. d.AllowMatches.Select(a => new LazyRegex(a, validate: false))],
            });
        if (d.StopWords.Count > 0) lists.Add(new() { Description = "stop-words", StopWords = d.StopWords });
        if (d.SkipVendorPrefixed)
            lists.Add(new() { Description = "another rule's vendor prefix", Regexes = [new LazyRegex(vendorPrefixes, validate: false)] });
        return lists;
    }
}
