using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;
using ZeroDrift.Core.IO;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Secrets;

/// <summary>
/// The rules and global allowlists a scan uses, with the warnings for rules that could not be loaded.
/// Loads gitleaks TOML configs unchanged (<see cref="LoadGitleaks"/>) and offers ZeroDrift's own rules
/// (<see cref="BuiltInRules"/>).
/// </summary>
public sealed class SecretRuleSet
{
    /// <summary>A gitleaks config (and each file it extends) is read up to this size; gitleaks' own is 100 KiB.</summary>
    public const long MaxConfigBytes = 16 * 1024 * 1024;

    private const int MaxExtendDepth = 4;
    private const int MaxTomlDepth = 16;

    public IReadOnlyList<SecretRule> Rules { get; }
    public IReadOnlyList<SecretAllowlist> Allowlists { get; }
    public IReadOnlyList<SecretRuleWarning> Warnings { get; }

    public SecretRuleSet(IReadOnlyList<SecretRule> rules, IReadOnlyList<SecretAllowlist>? allowlists = null,
        IReadOnlyList<SecretRuleWarning>? warnings = null)
    {
        Rules = rules;
        Allowlists = allowlists ?? [];
        Warnings = warnings ?? [];
    }

    /// <summary>
    /// Loads a gitleaks config file; <c>[extend] path</c> is resolved against its folder. Each file is read as
    /// <see cref="BoundedFile"/> reads (regular files only, at most <see cref="MaxConfigBytes"/>).
    /// </summary>
    public static SecretRuleSet LoadGitleaks(string path) =>
        ParseGitleaks(Read(path), Path.GetDirectoryName(Path.GetFullPath(path)), path, 0);

    private static string Read(string path) => BoundedFile.ReadAllText(path, MaxConfigBytes, "gitleaks config");

    /// <summary>Parses gitleaks config text; <paramref name="baseDirectory"/> resolves <c>[extend] path</c>.</summary>
    public static SecretRuleSet ParseGitleaks(string toml, string? baseDirectory = null) =>
        ParseGitleaks(toml, baseDirectory, "<config>", 0);

    private static SecretRuleSet ParseGitleaks(string toml, string? baseDirectory, string source, int depth)
    {
        TomlTable doc;
        try
        {
            doc = TomlSerializer.Deserialize<TomlTable>(toml, new TomlSerializerOptions { MaxDepth = MaxTomlDepth })
                ?? throw new FormatException($"{source}: empty gitleaks config");
        }
        catch (TomlException e)
        {
            throw new FormatException($"{source}: invalid TOML: {e.Message.Split('\n')[0]}", e);
        }

        var warnings = new List<SecretRuleWarning>();
        var rules = new List<SecretRule>();
        var allowlists = new List<SecretAllowlist>();

        if (doc.TryGetValue("extend", out var ext) && ext is TomlTable extend)
        {
            SecretRuleSet? baseSet = null;
            if (extend.TryGetValue("useDefault", out var ud) && ud is true) baseSet = BuiltInRules.RuleSet;
            else if (extend.TryGetValue("path", out var p) && p is string extendPath)
            {
                if (depth >= MaxExtendDepth) throw new FormatException($"{source}: [extend] nested deeper than {MaxExtendDepth}");
                var full = Path.GetFullPath(extendPath, baseDirectory ?? Directory.GetCurrentDirectory());
                baseSet = ParseGitleaks(Read(full), Path.GetDirectoryName(full), full, depth + 1);
            }
            if (baseSet is not null)
            {
                var disabled = Strings(extend, "disabledRules").ToHashSet(StringComparer.Ordinal);
                rules.AddRange(baseSet.Rules.Where(r => !disabled.Contains(r.Id)));
                allowlists.AddRange(baseSet.Allowlists);
                warnings.AddRange(baseSet.Warnings);
            }
        }

        if (doc.TryGetValue("allowlist", out var al) && al is TomlTable globalTable)
            AddAllowlist(globalTable, "global allowlist", allowlists, warnings, global: true);
        foreach (var table in Tables(doc, "allowlists"))
            AddAllowlist(table, "global allowlist", allowlists, warnings, global: true);

        foreach (var table in Tables(doc, "rules"))
        {
            var id = Str(table, "id");
            if (string.IsNullOrEmpty(id)) { warnings.Add(new("<no id>", "rule without an id")); continue; }
            try
            {
                var rule = ParseRule(table, id);
                // A rule with the id of an extended one replaces it, as in gitleaks.
                var existing = rules.FindIndex(r => r.Id == id);
                if (existing >= 0) rules[existing] = rule; else rules.Add(rule);
            }
            catch (Exception e) when (e is Re2TranslationException or ArgumentException or FormatException)
            {
                warnings.Add(new(id, e.Message));
            }
        }
        // Warnings of an extended file already name it; the rest are this file's.
        return new SecretRuleSet(rules, allowlists, [.. warnings.Select(w => w.File is null ? w with { File = source } : w)]);
    }

    private static SecretRule ParseRule(TomlTable t, string id)
    {
        var pattern = Str(t, "regex");
        var pathPattern = Str(t, "path");
        if (string.IsNullOrEmpty(pattern) && string.IsNullOrEmpty(pathPattern))
            throw new FormatException("rule has neither regex nor path");
        var regex = string.IsNullOrEmpty(pattern) ? null : Compile(pattern, "regex");
        var allowlists = new List<SecretAllowlist>();
        var ruleWarnings = new List<SecretRuleWarning>();
        if (t.TryGetValue("allowlist", out var single) && single is TomlTable singleTable)
            AddAllowlist(singleTable, id, allowlists, ruleWarnings, global: false);
        foreach (var a in Tables(t, "allowlists")) AddAllowlist(a, id, allowlists, ruleWarnings, global: false);
        if (ruleWarnings.Count > 0) throw new FormatException(ruleWarnings[0].Reason);
        return new SecretRule
        {
            Id = id,
            Description = Str(t, "description") ?? "",
            Pattern = pattern,
            Matcher = regex,
            Path = string.IsNullOrEmpty(pathPattern) ? null : Compile(pathPattern, "path"),
            SecretGroup = t.TryGetValue("secretGroup", out var g) ? Convert.ToInt32(g, CultureInfo.InvariantCulture) : 0,
            Entropy = t.TryGetValue("entropy", out var e) ? Convert.ToDouble(e, CultureInfo.InvariantCulture) : 0,
            Keywords = Strings(t, "keywords").Select(k => k.ToLowerInvariant()).Where(k => k.Length > 0).Distinct().ToList(),
            Tags = Strings(t, "tags").ToList(),
            Allowlists = allowlists,
        };
    }

    private static void AddAllowlist(TomlTable t, string owner, List<SecretAllowlist> into, List<SecretRuleWarning> warnings, bool global)
    {
        try
        {
            var condition = (Str(t, "condition") ?? "OR").ToUpperInvariant() switch
            {
                "OR" or "" => AllowlistCondition.Or,
                "AND" => AllowlistCondition.And,
                var other => throw new FormatException($"allowlist condition '{other}' is neither AND nor OR"),
            };
            var target = (Str(t, "regexTarget") ?? "secret").ToLowerInvariant() switch
            {
                "secret" or "" => RegexTarget.Secret,
                "match" => RegexTarget.Match,
                "line" => RegexTarget.Line,
                var other => throw new FormatException($"allowlist regexTarget '{other}' is not secret, match or line"),
            };
            var allowlist = new SecretAllowlist
            {
                Description = Str(t, "description"),
                Condition = condition,
                RegexTarget = target,
                Regexes = Strings(t, "regexes").Select(r => Compile(r, "allowlist regex")).ToList(),
                Paths = Strings(t, "paths").Select(r => Compile(r, "allowlist path")).ToList(),
                Commits = Strings(t, "commits").ToList(),
                StopWords = Strings(t, "stopwords").Select(s => s.ToLowerInvariant()).ToList(),
                TargetRules = global ? Strings(t, "targetRules").ToList() : [],
            };
            if (!allowlist.IsEmpty) into.Add(allowlist);
        }
        catch (Exception e) when (e is Re2TranslationException or ArgumentException or FormatException)
        {
            warnings.Add(new(owner, e.Message));
        }
    }

    private static LazyRegex Compile(string re2, string what)
    {
        try
        {
            return new LazyRegex(re2);
        }
        catch (Re2TranslationException e)
        {
            throw new Re2TranslationException($"{what}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{what}: invalid pattern: {e.Message}", e);
        }
    }

    private static string? Str(TomlTable t, string key) => t.TryGetValue(key, out var v) && v is string s ? s : null;

    private static IEnumerable<TomlTable> Tables(TomlTable t, string key) => t.TryGetValue(key, out var v)
        ? v switch { TomlTableArray a => a.OfType<TomlTable>(), TomlArray a => a.OfType<TomlTable>(), _ => [] }
        : [];

    private static IEnumerable<string> Strings(TomlTable t, string key) =>
        t.TryGetValue(key, out var v) && v is TomlArray a ? a.OfType<string>() : [];
}
