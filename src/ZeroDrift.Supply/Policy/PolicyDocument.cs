using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using ZeroDrift.Core;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Yaml;
using ZeroDrift.Supply.Keys;
using ZeroDrift.Supply.Provenance;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Supply.Policy;

/// <summary>The YAML file as written (docs/policy.md); <see cref="SupplyPolicy.Load"/> checks it and turns it into rules.</summary>
internal sealed class PolicyFile
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public List<string>? AllowedRegistries { get; set; }
    public string? Unmatched { get; set; }
    public string? TrustedRoot { get; set; }
    public List<ImageRuleFile>? Images { get; set; }
}

/// <summary>One keyless signer (Kyverno's keyless attestor: subject, issuer, and their regexps; plus Fulcio extensions).</summary>
internal sealed class IdentityFile
{
    public string? Name { get; set; }
    public string? Subject { get; set; }
    public string? SubjectRegExp { get; set; }
    public string? Issuer { get; set; }
    public string? IssuerRegExp { get; set; }
    public Dictionary<string, string>? Extensions { get; set; }
    public Dictionary<string, string>? ExtensionsRegExp { get; set; }
}

internal sealed class ProvenanceFile
{
    public string? BuilderId { get; set; }
    public string? BuilderIdRegExp { get; set; }
    public string? BuildType { get; set; }
    public string? BuildTypeRegExp { get; set; }
    public string? SourceRepository { get; set; }
    public string? SourceRepositoryRegExp { get; set; }
    public string? Ref { get; set; }
    public string? RefRegExp { get; set; }
}

internal sealed class ImageRuleFile
{
    public string? Name { get; set; }
    public List<string>? Match { get; set; }
    public SignaturesFile? Signatures { get; set; }
    public List<IdentityFile>? Identities { get; set; }
    public ProvenanceFile? Provenance { get; set; }
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

    /// <summary>Keyless signers whose signatures (and attestations) count, with the Sigstore root that vouches for them.</summary>
    public KeylessTrust? Keyless { get; init; }

    /// <summary>What a verified SLSA provenance attestation must say, when the rule asks for one.</summary>
    public ProvenanceRequirement? Provenance { get; init; }

    public IReadOnlyList<TrustedIdentity> Identities => Keyless?.Identities ?? [];

    public bool NeedsAttestations => Attestations.Count > 0 || MaxSeverity is not null || NoSecrets || Provenance is not null;

    public bool NeedsRegistryEvidence => Keys.Count > 0 || Identities.Count > 0 || NeedsAttestations;
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
        TrustedRoot? root = null;
        TrustedRoot Root()
        {
            if (root is not null) return root;
            try
            {
                root = file.TrustedRoot is { } r ? TrustedRoot.Load(Path.IsPathRooted(r) ? r : Path.Combine(baseDirectory, r)) : TrustedRootStore.Default();
            }
            catch (SupplyException e)
            {
                throw new SupplyException($"{source}: trustedRoot: {e.Message}", e);
            }
            return root;
        }
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
            var identities = (rule.Identities ?? []).Select((i, n) => Identity(i, $"{where}: identities[{n}]")).ToList();
            var provenance = rule.Provenance is { } pf ? Provenance(pf, $"{where}: provenance") : null;
            var needsEvidence = max is not null || rule.NoSecrets == true || attestations.Count > 0 || provenance is not null;
            if (needsEvidence && keys.Count == 0 && identities.Count == 0)
                throw new SupplyException($"{where}: attestation, provenance, vulnerability and secret rules need signatures.keys or identities (attestations are trusted only when a listed key or identity signed them)");
            rules.Add(new ImageRule(name, patterns, keys, require, attestations, max, rule.Vulnerabilities?.FixedOnly ?? false, rule.NoSecrets ?? false, pss, rule.Skip ?? false)
            {
                Keyless = identities.Count > 0 ? new KeylessTrust(Root(), identities) : null,
                Provenance = provenance,
            });
        }
        return new SupplyPolicy(file.AllowedRegistries ?? [], denyUnmatched, rules, source);
    }

    private static TrustedIdentity Identity(IdentityFile file, string where)
    {
        var extensions = (file.Extensions ?? []).Select(e => new ExtensionRequirement(e.Key, e.Value, null))
            .Concat((file.ExtensionsRegExp ?? []).Select(e => new ExtensionRequirement(e.Key, null, e.Value))).ToList();
        var policy = new IdentityPolicy(file.Subject, file.SubjectRegExp, file.Issuer, file.IssuerRegExp, extensions);
        if (policy.Identity is null && policy.IdentityRegex is null) throw new SupplyException($"{where}: needs subject or subjectRegExp");
        if (policy.Issuer is null && policy.IssuerRegex is null) throw new SupplyException($"{where}: needs issuer or issuerRegExp");
        if (policy.Problem() is { } problem) throw new SupplyException($"{where}: {problem}");
        foreach (var pattern in new[] { policy.IdentityRegex, policy.IssuerRegex }.Concat(extensions.Select(e => e.Regex)).OfType<string>())
        {
            try { _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200)); }
            catch (ArgumentException e) { throw new SupplyException($"{where}: invalid regular expression '{pattern}'", e); }
        }
        return new TrustedIdentity(file.Name ?? file.Subject ?? file.SubjectRegExp!, policy);
    }

    private static ProvenanceRequirement Provenance(ProvenanceFile file, string where)
    {
        var fields = new List<ProvenanceField>();
        void Add(string name, string? exact, string? pattern)
        {
            if (exact is null && pattern is null) return;
            try { fields.Add(new ProvenanceField(name, exact, pattern)); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new SupplyException($"{where}: invalid regular expression '{pattern}' for {name}", e);
            }
        }
        Add("builderId", file.BuilderId, file.BuilderIdRegExp);
        Add("buildType", file.BuildType, file.BuildTypeRegExp);
        Add("sourceRepository", file.SourceRepository, file.SourceRepositoryRegExp);
        Add("ref", file.Ref, file.RefRegExp);
        if (fields.Count == 0) throw new SupplyException($"{where}: name at least one of builderId, buildType, sourceRepository, ref (or their RegExp forms)");
        return new ProvenanceRequirement(fields);
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
