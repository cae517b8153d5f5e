using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Assets;

/// <summary>Records what the registries hold: every tag of a repository (signature and referrer tags aside), resolved,
/// with its verified signatures and attestations.</summary>
public static class AssetDiscovery
{
    private const int MaxTags = 10_000;

    public static async Task<int> DiscoverAsync(AssetStore store, ImageSigning signing, RepositoryRef repository, IReadOnlyList<TrustedKey> keys, CancellationToken cancellationToken)
    {
        var tags = (await signing.Client.ListTagsAsync(repository, cancellationToken).ConfigureAwait(false))
            .Where(t => !(t.StartsWith("sha256-", StringComparison.Ordinal) || t.StartsWith("sha512-", StringComparison.Ordinal)))
            .Take(MaxTags)
            .ToList();
        foreach (var tag in tags)
        {
            var image = await signing.ResolveAsync(new ImageReference(repository.Registry, repository.Name, tag, null), cancellationToken).ConfigureAwait(false);
            var signatures = keys.Count == 0 ? [] : await signing.VerifySignaturesAsync(image, keys, cancellationToken).ConfigureAwait(false);
            var attestations = keys.Count == 0 ? [] : await signing.VerifyAttestationsAsync(image, keys, null, cancellationToken).ConfigureAwait(false);
            var verified = attestations.Where(a => a.Verified).ToList();
            var lastScan = verified.Where(a => a.Statement?.PredicateType == PredicateTypes.Vuln)
                .Select(a => ScanEvidence.FromVulnPredicate(a.Statement!.Predicate).FinishedOn).Where(f => f is not null).Max(StringComparer.Ordinal);
            store.Record(image.Reference.Name, image.Digest, image.Reference.ToString(), "registry", null,
                signatures.Where(s => s.Verified).Select(s => s.VerifiedBy!), verified.Select(a => a.Statement!.PredicateType), lastScan, "");
        }
        return tags.Count;
    }
}
