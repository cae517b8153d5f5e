using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using ZeroDrift.Core;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Yaml;
using ZeroDrift.Supply.Keys;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Supply.Policy;

/// <summary>The YAML file as written (docs/policy.md); <see cref="SupplyPolicy.Load"/> checks it and turns it into rules.</summary>
internal sealed class PolicyFile
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public List<string>? AllowedRegistries { get; set; }
    public string? Unmatched { get; set; }
    public List<ImageRuleFile>? Images { get; set; }
}

internal sealed class ImageRuleFile
{
    public string? Name { get; set; }
    public List<string>? Match { get; set; }
    public SignaturesFile? Signatures { get; set; }
    public List<string>? Attestations { get; set; }
    public VulnerabilitiesFile? Vulnerabilities { get; set; }
    public bool? NoSecrets { get; set; }
    public string? PodSecurity { get; set; }
    public bool? Skip { get; set; }
}

internal sealed class SignaturesFile
{
    public List<string>? Keys { get; set; }
    public string? Require { get; set; }
}

internal sealed class VulnerabilitiesFile
{
    public string? MaxSeverity { get; set; }
    public bool? FixedOnly { get; set; }
}

public enum PodSecurityLevel { Privileged, Baseline, Restricted }

public enum KeyRequirement { All, Any }

/// <summary>The rules for the images one pattern list matches.</summary>
public sealed record ImageRule(
    string Name,
    IReadOnlyList<string> Patterns,
    IReadOnlyList<TrustedKey> Keys,
    KeyRequirement Require,
    IReadOnlyList<string> Attestations,
    Severity? MaxSeverity,
    bool FixedOnly,
    bool NoSecrets,
    PodSecurityLevel? PodSecurity,
    bool Skip)
{
    private readonly Regex[] _compiled = [.. Patterns.Select(Glob)];

    /// <summary>Patterns match <c>registry/repository</c> (no tag, no digest): <c>*</c> within a path segment, <c>**</c> across segments.</summary>
    public bool Matches(string repositoryName) => _compiled.Any(r => r.IsMatch(repositoryName));

    private static Regex Glob(string pattern)
    {
        var regex = "^" + Regex.Escape(pattern).Replace(@"\*\*", "\u0001", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace("\u0001", ".*", StringComparison.Ordinal).Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$";
        // Image names come from admission requests (attacker data): the linear-time engine, never a backtracking one
        // (whose timeout would surface as an exception). The pattern has no counted repetition, so it always fits.
        return new Regex(regex, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
    }

    public bool NeedsRegistryEvidence => Keys.Count > 0 || Attestations.Count > 0 || MaxSeverity is not null || NoSecrets;
}

/// <summary>A checked policy: allowed registries, then image rules in order (the first matching rule applies).</summary>
public sealed record SupplyPolicy(IReadOnlyList<string> AllowedRegistries, bool DenyUnmatched, IReadOnlyList<ImageRule> Images, string Source)
{
    public const string ApiVersion = "zerodrift.dev/v1";
    public const string KindName = "ImagePolicy";
    private const int MaxPolicyBytes = 1 << 20;

    private static readonly IDeserializer Deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    public ImageRule? RuleFor(string repositoryName) => Images.FirstOrDefault(r => r.Matches(repositoryName));

    public static SupplyPolicy Load(string path)
    {
        if (!Path.Exists(path)) throw new SupplyException($"policy file {path} not found");
        return Parse(BoundedFile.ReadAllText(path, MaxPolicyBytes, "policy file"), path, new FileInfo(path).DirectoryName ?? ".");
    }

    public static SupplyPolicy Parse(string yaml, string source, string baseDirectory)
    {
        PolicyFile? file;
        try
        {
            file = SafeYaml.Deserialize<PolicyFile>(Deserializer, yaml, ParseBudget.Default.WithMaxBytes(MaxPolicyBytes), source);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message ?? e.Message;
            throw new SupplyException($"{source}: line {e.Start.Line}: {OneLine(inner)}", e);
        }
        catch (BudgetExceededException e)
        {
            throw new SupplyException(e.Message, e);
        }
        if (file is null) throw new SupplyException($"{source}: empty policy");
        if (file.ApiVersion != ApiVersion) throw new SupplyException($"{source}: apiVersion must be {ApiVersion}");
        if (file.Kind != KindName) throw new SupplyException($"{source}: kind must be {KindName}");
        var denyUnmatched = (file.Unmatched ?? "deny") switch
        {
            "deny" => true,
            "allow" => false,
            var other => throw new SupplyException($"{source}: unmatched must be deny or allow, not '{other}'"),
        };
        var rules = new List<ImageRule>();
        foreach (var (rule, index) in (file.Images ?? []).Select((r, i) => (r, i)))
        {
            var name = rule.Name ?? $"images[{index}]";
            var where = $"{source}: {name}";
            if (rule.Match is not { Count: > 0 } patterns) throw new SupplyException($"{where}: 'match' needs at least one pattern");
            var keys = (rule.Signatures?.Keys ?? []).Select((k, i) => LoadKey(k, baseDirectory, $"{where}: signatures.keys[{i}]")).ToList();
            var require = (rule.Signatures?.Require ?? "all") switch
            {
                "all" => KeyRequirement.All,
                "any" => KeyRequirement.Any,
                var other => throw new SupplyException($"{where}: signatures.require must be all or any, not '{other}'"),
            };
            var attestations = (rule.Attestations ?? []).Select(a =>
            {
                try { return PredicateTypes.Resolve(a); }
                catch (SupplyException e) { throw new SupplyException($"{where}: attestations: {e.Message}", e); }
            }).ToList();
            Severity? max = rule.Vulnerabilities?.MaxSeverity is { } m
                ? Enum.TryParse<Severity>(m, ignoreCase: true, out var s) && s is not Severity.Unknown ? s : throw new SupplyException($"{where}: vulnerabilities.maxSeverity must be none, low, medium, high or critical, not '{m}'")
                : null;
            PodSecurityLevel? pss = rule.PodSecurity is { } p
                ? Enum.TryParse<PodSecurityLevel>(p, ignoreCase: true, out var level) ? level : throw new SupplyException($"{where}: podSecurity must be privileged, baseline or restricted, not '{p}'")
                : null;
            var needsEvidence = max is not null || rule.NoSecrets == true || attestations.Count > 0;
            if (needsEvidence && keys.Count == 0)
                throw new SupplyException($"{where}: attestation, vulnerability and secret rules need signatures.keys (attestations are trusted only when a listed key signed them)");
            rules.Add(new ImageRule(name, patterns, keys, require, attestations, max, rule.Vulnerabilities?.FixedOnly ?? false, rule.NoSecrets ?? false, pss, rule.Skip ?? false));
        }
        return new SupplyPolicy(file.AllowedRegistries ?? [], denyUnmatched, rules, source);
    }

    private static TrustedKey LoadKey(string entry, string baseDirectory, string where)
    {
        if (entry.Contains("-----BEGIN", StringComparison.Ordinal))
            return new TrustedKey($"inline key {where}", SigningKeys.LoadPublicKey(entry, where));
        var path = Path.IsPathRooted(entry) ? entry : Path.Combine(baseDirectory, entry);
        try
        {
            return new TrustedKey(entry, SigningKeys.LoadPublicKey(SigningKeys.ReadKeyFile(path), path));
        }
        catch (SupplyException e)
        {
            throw new SupplyException($"{where}: {e.Message}", e);
        }
    }

    private static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
