using ZeroDrift.Agent;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.DynamicTesting;

/// <summary>
/// The agent's source of attested profiles (<c>agent --attested-profiles key:PUB</c>): an image's
/// <see cref="ProfilePredicate.Type"/> attestations in the registry it was pulled from, verified with the given keys
/// for this very digest; the last one attached that verifies wins, as for <c>profile import-attested</c>.
/// </summary>
public sealed class RegistryAttestedProfiles(ImageSigning signing, IReadOnlyList<TrustedKey> keys) : IAttestedProfileSource
{
    public string Description => keys.Count == 1 ? $"key {keys[0].Name}" : $"one of the keys {string.Join(", ", keys.Select(k => k.Name))}";

    public async Task<AttestationCheck> FetchAsync(LocalImage image, WorkloadIdentity identity, ProfileMode mode, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse($"{image.Repository}@{image.Digest}");
        var resolved = await signing.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        // The registry must name the same manifest the node pulled: a profile is only ever about this digest.
        if (!string.Equals(resolved.Digest, image.Digest, StringComparison.Ordinal))
            return new AttestationCheck(null, $"the registry gives {resolved.Digest} for it");
        var checks = await signing.VerifyAttestationsAsync(resolved, keys, ProfilePredicate.Type, cancellationToken).ConfigureAwait(false);
        var verified = checks.LastOrDefault(c => c.Verified && c.Statement?.Predicate is not null);
        if (verified is null)
            return new AttestationCheck(null, checks.Count == 0
                ? $"no {ProfilePredicate.Type} attestation"
                : $"no {ProfilePredicate.Type} attestation verifies with {Description} ({checks.Count} found)");
        var profile = ProfilePredicate.FromPredicate(verified.Statement!.Predicate!, $"{image.Repository}@{image.Digest}", identity.Workload, image.Digest, identity.ImageName, mode);
        return new AttestationCheck(profile, $"verified by {verified.VerifiedBy}");
    }
}
