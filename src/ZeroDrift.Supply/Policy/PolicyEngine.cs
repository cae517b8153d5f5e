using System.Collections.Concurrent;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Core;
using ZeroDrift.Supply.Provenance;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Policy;

/// <summary>One rule's verdict about one subject (an image or a pod spec), with the reason in words.</summary>
public sealed record RuleVerdict(string Rule, string Subject, bool Passed, string Reason);

/// <summary>The outcome for an image or workload: allowed when every verdict passed.</summary>
/// <param name="Pins">For each image as written, the same image pinned to the digest that was verified.</param>
/// <param name="Evidence">For each image as written, what the registry held for it (signatures, attestations), when looked up.</param>
public sealed record PolicyDecision(IReadOnlyList<RuleVerdict> Verdicts, IReadOnlyDictionary<string, string> Pins, IReadOnlyDictionary<string, ImageEvidence> Evidence)
{
    public bool Allowed => Verdicts.All(v => v.Passed);
    public RuleVerdict? FirstFailure => Verdicts.FirstOrDefault(v => !v.Passed);
}

/// <summary>Signatures and attestations of one digest, verified with one rule's keys.</summary>
public sealed record ImageEvidence(ResolvedImage Image, IReadOnlyList<SignatureCheck> Signatures, IReadOnlyList<SignatureCheck> Attestations)
{
    /// <summary>Keyless signatures, each verified against the rule's Sigstore root and matched to its identities.</summary>
    public IReadOnlyList<SignatureCheck> KeylessSignatures { get; init; } = [];

    /// <summary>Keyless attestations, verified the same way.</summary>
    public IReadOnlyList<SignatureCheck> KeylessAttestations { get; init; } = [];

    /// <summary>Every attestation a listed key or identity verified.</summary>
    public IEnumerable<SignatureCheck> TrustedAttestations => Attestations.Concat(KeylessAttestations).Where(a => a.Verified);

    /// <summary>The newest verified vuln attestation's scan, read once per digest (cached evidence is judged on every
    /// admission request; reading a large report each time would dominate the cached path).</summary>
    public ScanEvidence? Scan => (_scan ??= new Lazy<ScanEvidence?>(() => TrustedAttestations
        .Where(a => a.Statement?.PredicateType == PredicateTypes.Vuln)
        .Select(a => ScanEvidence.FromVulnPredicate(a.Statement!.Predicate))
        .OrderByDescending(s => s.FinishedOn, StringComparer.Ordinal)
        .FirstOrDefault())).Value;

    private Lazy<ScanEvidence?>? _scan;
}

/// <summary>
/// Evaluates a <see cref="SupplyPolicy"/> the same way for <c>policy check</c> and for admission. Registry evidence is
/// verified once per (rule, digest) and cached (digests are immutable, so the result cannot go stale except through new
/// signatures, which a restart or <see cref="ClearCache"/> picks up); tags are re-resolved after <paramref name="tagTtl"/>.
/// </summary>
public sealed class PolicyEngine(SupplyPolicy policy, ImageSigning signing, IPodSecurityEvaluator podSecurity, TimeSpan tagTtl)
{
    private readonly ConcurrentDictionary<(string Rule, string Digest), Lazy<Task<ImageEvidence>>> _evidence = new();
    private readonly ConcurrentDictionary<string, (ResolvedImage Image, DateTimeOffset Expires)> _tags = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImagePlan> _plans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Text, string Rule), (ImageEvidence Evidence, RuleVerdict[] Verdicts)> _judged = new();

    /// <summary>Bound of the per-reference memos: images as written come from the cluster's workloads, but a hostile
    /// stream of distinct references must not grow memory without end (the memo is dropped and rebuilt).</summary>
    private const int MaxMemoEntries = 10_000;

    /// <summary>Longest reference text memoized: a valid reference is far shorter (name ≤ 255, tag ≤ 128, a digest), and a
    /// hostile megabyte-long "image" must not be kept ten thousand times.</summary>
    private const int MaxMemoKeyLength = 1024;

    public SupplyPolicy Policy => policy;
    public int CachedDigests => _evidence.Count;

    public void ClearCache()
    {
        _evidence.Clear();
        _tags.Clear();
        _judged.Clear();
    }

    public async Task<PolicyDecision> CheckImageAsync(string image, CancellationToken cancellationToken)
    {
        var verdicts = new List<RuleVerdict>();
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        var evidence = new Dictionary<string, ImageEvidence>(StringComparer.Ordinal);
        await CheckImageAsync(image, verdicts, pins, evidence, cancellationToken).ConfigureAwait(false);
        return new PolicyDecision(verdicts, pins, evidence);
    }

    /// <summary>Every container image of the workload, then its pod spec against the strictest Pod Security level the
    /// rules of its images ask for.</summary>
    public async Task<PolicyDecision> CheckWorkloadAsync(Workload workload, CancellationToken cancellationToken)
    {
        var verdicts = new List<RuleVerdict>();
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        var evidence = new Dictionary<string, ImageEvidence>(StringComparer.Ordinal);
        var levels = new List<(PodSecurityLevel Level, string Rule)>();
        var containers = workload.Containers().ToList();
        var checks = containers.Select(c => c.Image).Distinct(StringComparer.Ordinal).Select(async image =>
        {
            var local = new List<RuleVerdict>();
            var localPins = new Dictionary<string, string>(StringComparer.Ordinal);
            var localEvidence = new Dictionary<string, ImageEvidence>(StringComparer.Ordinal);
            var rule = await CheckImageAsync(image, local, localPins, localEvidence, cancellationToken).ConfigureAwait(false);
            return (local, localPins, localEvidence, rule);
        }).ToList();
        foreach (var (local, localPins, localEvidence, rule) in await Task.WhenAll(checks).ConfigureAwait(false))
        {
            verdicts.AddRange(local);
            foreach (var (k, v) in localPins) pins[k] = v;
            foreach (var (k, v) in localEvidence) evidence[k] = v;
            if (rule?.PodSecurity is { } level) levels.Add((level, rule.Name));
        }
        if (levels.Count > 0)
        {
            var (level, ruleName) = levels.MaxBy(l => l.Level);
            var violations = podSecurity.Violations(workload.PodSpec, workload.PodMetadata, level);
            var subject = $"{workload.Kind} {workload.Name}".TrimEnd();
            verdicts.Add(violations.Count == 0
                ? new RuleVerdict($"{ruleName}: podSecurity", subject, true, $"meets Pod Security Standard '{level.ToString().ToLowerInvariant()}'")
                : new RuleVerdict($"{ruleName}: podSecurity", subject, false, $"violates Pod Security Standard '{level.ToString().ToLowerInvariant()}': {string.Join("; ", violations)}"));
        }
        return new PolicyDecision(verdicts, pins, evidence);
    }

    /// <summary>Checks one image; pins it to its digest only when every verdict about it passed (a mutation must never
    /// pin what was not verified).</summary>
    private async Task<ImageRule?> CheckImageAsync(string text, List<RuleVerdict> verdicts, Dictionary<string, string> pins,
        Dictionary<string, ImageEvidence> evidence, CancellationToken cancellationToken)
    {
        var start = verdicts.Count;
        var candidates = new Dictionary<string, string>(StringComparer.Ordinal);
        var rule = await CheckImageCoreAsync(text, verdicts, candidates, evidence, cancellationToken).ConfigureAwait(false);
        if (verdicts.Skip(start).All(v => v.Passed))
            foreach (var (k, v) in candidates) pins[k] = v;
        return rule;
    }

    private async Task<ImageRule?> CheckImageCoreAsync(string text, List<RuleVerdict> verdicts, Dictionary<string, string> pins,
        Dictionary<string, ImageEvidence> evidenceFound, CancellationToken cancellationToken)
    {
        var plan = PlanFor(text);
        verdicts.AddRange(plan.Verdicts);
        if (plan is not { Reference: { } reference, Rule: { Skip: false, NeedsRegistryEvidence: true } rule }) return plan.Rule;

        ImageEvidence evidence;
        try
        {
            var image = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
            pins[text] = $"{reference.Name}@{image.Digest}";
            evidence = await EvidenceAsync(rule, image, cancellationToken).ConfigureAwait(false);
            evidenceFound[text] = evidence;
        }
        catch (Exception e) when (e is ArtifactException or HttpRequestException or IOException)
        {
            verdicts.Add(new RuleVerdict($"{rule.Name}: verification", text, false, $"cannot verify: {e.Message}"));
            return rule;
        }
        verdicts.AddRange(Judged(text, rule, evidence));
        return rule;
    }

    /// <summary>What an image reference as written decides without the registry: its parse, the registry allow-list, the
    /// rule that applies. The policy does not change while the engine lives, so this is worked out once per reference.</summary>
    private sealed record ImagePlan(ImageReference? Reference, RuleVerdict[] Verdicts, ImageRule? Rule);

    private ImagePlan PlanFor(string text)
    {
        if (_plans.TryGetValue(text, out var cached)) return cached;
        var plan = MakePlan(text);
        if (text.Length > MaxMemoKeyLength) return plan;
        if (_plans.Count >= MaxMemoEntries) _plans.Clear();
        _plans[text] = plan;
        return plan;
    }

    private ImagePlan MakePlan(string text)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(text);
        }
        catch (ArtifactException e)
        {
            return new ImagePlan(null, [new RuleVerdict("image", text, false, e.Message)], null);
        }
        var verdicts = new List<RuleVerdict>();
        var name = reference.Name;
        if (policy.AllowedRegistries.Count > 0)
        {
            var allowed = policy.AllowedRegistries.FirstOrDefault(r => RegistryAllowed(r, reference));
            verdicts.Add(allowed is null
                ? new RuleVerdict("allowedRegistries", text, false, $"registry {reference.Registry} is not in allowedRegistries ({string.Join(", ", policy.AllowedRegistries)})")
                : new RuleVerdict("allowedRegistries", text, true, $"{name} is allowed by '{allowed}'"));
        }
        var rule = policy.RuleFor(name);
        if (rule is null)
        {
            verdicts.Add(new RuleVerdict("unmatched", text, !policy.DenyUnmatched,
                policy.DenyUnmatched ? $"no image rule matches {name} and unmatched images are denied" : $"no image rule matches {name}; unmatched images are allowed"));
            return new ImagePlan(reference, [.. verdicts], null);
        }
        if (rule.Skip) verdicts.Add(new RuleVerdict($"{rule.Name}: skip", text, true, "the rule exempts these images from verification"));
        return new ImagePlan(reference, [.. verdicts], rule);
    }

    /// <summary>The verdicts of a rule on verified evidence. Evidence is immutable and cached per digest, so its verdicts are
    /// too (a cached admission decision then formats no text); a re-gathered evidence object is judged afresh.</summary>
    private RuleVerdict[] Judged(string text, ImageRule rule, ImageEvidence evidence)
    {
        var key = (text, rule.Name);
        if (_judged.TryGetValue(key, out var cached) && ReferenceEquals(cached.Evidence, evidence)) return cached.Verdicts;
        var verdicts = Judge(text, rule, evidence);
        if (text.Length > MaxMemoKeyLength) return verdicts;
        if (_judged.Count >= MaxMemoEntries) _judged.Clear();
        _judged[key] = (evidence, verdicts);
        return verdicts;
    }

    private static RuleVerdict[] Judge(string text, ImageRule rule, ImageEvidence evidence)
    {
        var verdicts = new List<RuleVerdict>();
        var subject = $"{text} ({evidence.Image.Digest})";
        if (rule.Keys.Count > 0)
        {
            var signedBy = evidence.Signatures.Where(s => s.Verified).Select(s => s.VerifiedBy!).ToHashSet(StringComparer.Ordinal);
            var missing = rule.Keys.Where(k => !signedBy.Contains(k.Name)).Select(k => k.Name).ToList();
            var ok = rule.Require == KeyRequirement.All ? missing.Count == 0 : missing.Count < rule.Keys.Count;
            var found = evidence.Signatures.Count == 0 ? "no signatures found" : $"{evidence.Signatures.Count} signature(s) found, verified by: {(signedBy.Count == 0 ? "none" : string.Join(", ", signedBy.Order(StringComparer.Ordinal)))}";
            verdicts.Add(new RuleVerdict($"{rule.Name}: signatures", subject, ok, ok
                ? $"signed by {string.Join(", ", signedBy.Order(StringComparer.Ordinal))}"
                : $"requires {(rule.Require == KeyRequirement.All ? "all of" : "one of")} {string.Join(", ", rule.Keys.Select(k => k.Name))}; {found}"));
        }
        if (rule.Identities.Count > 0)
        {
            var verified = evidence.KeylessSignatures.Where(s => s.Verified).ToList();
            verdicts.Add(verified.Count > 0
                ? new RuleVerdict($"{rule.Name}: identities", subject, true, $"signed keylessly by {verified[0].VerifiedBy} ({verified[0].Location})")
                : new RuleVerdict($"{rule.Name}: identities", subject, false, evidence.KeylessSignatures.Count == 0
                    ? $"requires a keyless signature by one of {string.Join(", ", rule.Identities.Select(i => i.Name))}; no keyless signatures found"
                    : $"requires a keyless signature by one of {string.Join(", ", rule.Identities.Select(i => i.Name))}; {evidence.KeylessSignatures.Count} found, none counts: {evidence.KeylessSignatures[0].Failure}"));
        }
        var verifiedAttestations = evidence.TrustedAttestations.ToList();
        var allAttestations = evidence.Attestations.Concat(evidence.KeylessAttestations).ToList();
        foreach (var type in rule.Attestations)
        {
            var match = verifiedAttestations.FirstOrDefault(a => a.Statement?.PredicateType == type);
            verdicts.Add(new RuleVerdict($"{rule.Name}: attestation {type}", subject, match is not null, match is not null
                ? $"verified by {match.VerifiedBy} ({match.Location})"
                : $"no {type} attestation signed by {Signers(rule)} ({allAttestations.Count(a => a.Statement?.PredicateType == type)} unverified)"));
        }
        if (rule.Provenance is { } required)
        {
            var provenances = verifiedAttestations.Select(a => (Check: a, Provenance: a.Statement is { } st ? SlsaProvenance.Of(st) : null)).Where(p => p.Provenance is not null).ToList();
            var satisfied = provenances.FirstOrDefault(p => required.Mismatch(p.Provenance!) is null);
            verdicts.Add(satisfied.Provenance is not null
                ? new RuleVerdict($"{rule.Name}: provenance", subject, true, $"built by {satisfied.Provenance.BuilderId} from {satisfied.Provenance.SourceRepository}@{satisfied.Provenance.Ref} (SLSA {satisfied.Provenance.PredicateType[(satisfied.Provenance.PredicateType.LastIndexOf('/') + 1)..]}, verified by {satisfied.Check.VerifiedBy})")
                : new RuleVerdict($"{rule.Name}: provenance", subject, false, provenances.Count == 0
                    ? $"no SLSA provenance attestation signed by {Signers(rule)} ({allAttestations.Count(a => a.Statement is { } st && SlsaProvenance.IsProvenance(st.PredicateType))} unverified)"
                    : $"no verified provenance matches: {required.Mismatch(provenances[0].Provenance!)}"));
        }
        if (rule.MaxSeverity is not null || rule.NoSecrets)
        {
            var scan = evidence.Scan;
            if (rule.MaxSeverity is { } max)
            {
                if (scan is null)
                    verdicts.Add(new RuleVerdict($"{rule.Name}: vulnerabilities", subject, false, $"no vulnerability attestation signed by {Signers(rule)}"));
                else if (!scan.VulnerabilitiesScanned)
                    verdicts.Add(new RuleVerdict($"{rule.Name}: vulnerabilities", subject, false, "the attested scan did not look for vulnerabilities"));
                else
                {
                    var counted = scan.Vulnerabilities.Where(v => !rule.FixedOnly || v.HasFix).ToList();
                    // Zero trust: a vulnerability nobody rated cannot be shown to be within the limit, so it counts as critical.
                    var over = counted.Where(v => Rated(v.Severity) > max).OrderByDescending(v => Rated(v.Severity)).ToList();
                    var scope = rule.FixedOnly ? "fixable " : "";
                    verdicts.Add(new RuleVerdict($"{rule.Name}: vulnerabilities", subject, over.Count == 0, over.Count == 0
                        ? $"no {scope}vulnerability above {Name(max)} ({counted.Count} {scope}finding(s) at or below it)"
                        : $"{over.Count} {scope}vulnerabilit{(over.Count == 1 ? "y" : "ies")} above {Name(max)}: {string.Join(", ", over.Take(5).Select(v => $"{v.Id} ({Name(v.Severity)})"))}{(over.Count > 5 ? ", …" : "")}"));
                }
            }
            if (rule.NoSecrets)
            {
                verdicts.Add(scan?.Secrets switch
                {
                    null => new RuleVerdict($"{rule.Name}: noSecrets", subject, false, scan is null ? $"no scan attestation signed by {Signers(rule)}" : "the attested scan did not look for secrets"),
                    0 => new RuleVerdict($"{rule.Name}: noSecrets", subject, true, "the attested scan found no secrets"),
                    var n => new RuleVerdict($"{rule.Name}: noSecrets", subject, false, $"the attested scan found {n} secret(s)"),
                });
            }
        }
        return [.. verdicts];
    }

    /// <summary>Who may sign the evidence a rule reads, in words.</summary>
    private static string Signers(ImageRule rule) => rule.Identities.Count == 0 ? "a trusted key" : rule.Keys.Count == 0 ? "a trusted identity" : "a trusted key or identity";

    private static string Name(Severity s) => s.ToString().ToLowerInvariant();

    private static Severity Rated(Severity s) => s == Severity.Unknown ? Severity.Critical : s;

    private static bool RegistryAllowed(string entry, ImageReference reference)
    {
        var e = entry.TrimEnd('/');
        if (!e.Contains('/', StringComparison.Ordinal))
            return new ImageRule("", [e], [], KeyRequirement.All, [], null, false, false, null, false).Matches(reference.Registry);
        return reference.Name.StartsWith(e + "/", StringComparison.Ordinal) || reference.Name == e;
    }

    /// <summary>
    /// Tag → digest, cached for the TTL. When an entry expires, one request refreshes it while the others keep the
    /// previous digest until the refresh lands: no burst of registry calls at expiry, and a moved tag is seen within the
    /// TTL plus one registry round trip. A digest-pinned reference never expires.
    /// </summary>
    private async Task<ResolvedImage> ResolveAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var key = reference.ToString();
        if (_tags.TryGetValue(key, out var cached))
        {
            if (reference.Digest is not null || cached.Expires > DateTimeOffset.UtcNow) return cached.Image;
            if (_refreshing.TryAdd(key, 0))
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        using var timeout = new CancellationTokenSource(signing.Client.Options.RequestTimeout);
                        var fresh = await signing.ResolveAsync(reference, timeout.Token).ConfigureAwait(false);
                        _tags[key] = (fresh, DateTimeOffset.UtcNow + tagTtl);
                    }
                    catch (Exception)
                    {
                        // The registry could not be asked: forget the entry so that the next request resolves (and fails) itself.
                        _tags.TryRemove(key, out _);
                    }
                    finally
                    {
                        _refreshing.TryRemove(key, out _);
                    }
                }, CancellationToken.None);
            }
            return cached.Image;
        }
        var image = await signing.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        _tags[key] = (image, DateTimeOffset.UtcNow + tagTtl);
        return image;
    }

    private async Task<ImageEvidence> EvidenceAsync(ImageRule rule, ResolvedImage image, CancellationToken cancellationToken)
    {
        var key = (rule.Name, image.Digest);
        // Concurrent requests for one digest share one verification; a failed one is not cached.
        var lazy = _evidence.GetOrAdd(key, _ => new Lazy<Task<ImageEvidence>>(() => GatherAsync(rule, image)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            _evidence.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    private async Task<ImageEvidence> GatherAsync(ImageRule rule, ResolvedImage image)
    {
        // Not tied to one request's cancellation: the result serves every request waiting for this digest.
        using var timeout = new CancellationTokenSource(signing.Client.Options.RequestTimeout);
        var none = Task.FromResult<IReadOnlyList<SignatureCheck>>([]);
        var signatures = rule.Keys.Count > 0 ? signing.VerifySignaturesAsync(image, rule.Keys, timeout.Token) : none;
        var attestations = rule.NeedsAttestations && rule.Keys.Count > 0 ? signing.VerifyAttestationsAsync(image, rule.Keys, null, timeout.Token) : none;
        // Keyless evidence is gathered alongside keyed evidence: one lookup chain's latency, not two.
        var keylessSignatures = rule.Keyless is { } trust ? signing.VerifyKeylessSignaturesAsync(image, trust, timeout.Token) : none;
        var keylessAttestations = rule.Keyless is { } trust2 && rule.NeedsAttestations ? signing.VerifyKeylessAttestationsAsync(image, trust2, null, timeout.Token) : none;
        await Task.WhenAll(signatures, attestations, keylessSignatures, keylessAttestations).ConfigureAwait(false);
        return new ImageEvidence(image, await signatures.ConfigureAwait(false), await attestations.ConfigureAwait(false))
        {
            KeylessSignatures = await keylessSignatures.ConfigureAwait(false),
            KeylessAttestations = await keylessAttestations.ConfigureAwait(false),
        };
    }
}
