using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Assets;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Admission;

/// <summary>Writes every image that passes through admission into the asset inventory, with what was verified about it.</summary>
public sealed class AssetObserver(AssetStore store) : IAdmissionObserver
{
    public void Observed(Workload workload, string? @namespace, PolicyDecision decision)
    {
        var name = $"{workload.Kind} {(@namespace is null ? "" : @namespace + "/")}{workload.Name}";
        foreach (var image in workload.Containers().Select(c => c.Image).Distinct(StringComparer.Ordinal))
        {
            ImageReference reference;
            try { reference = ImageReference.Parse(image); }
            catch (Artifacts.ArtifactException) { continue; }
            var evidence = decision.Evidence.GetValueOrDefault(image);
            var digest = evidence?.Image.Digest ?? reference.Digest;
            if (digest is null) continue;
            var verified = evidence?.Attestations.Where(a => a.Verified).ToList() ?? [];
            var lastScan = evidence?.Scan?.FinishedOn;
            var allowed = decision.Verdicts.Where(v => v.Subject.StartsWith(image, StringComparison.Ordinal)).All(v => v.Passed);
            store.Record(reference.Name, digest, image, "admission", name,
                evidence?.Signatures.Where(s => s.Verified).Select(s => s.VerifiedBy!) ?? [], verified.Select(a => a.Statement!.PredicateType), lastScan,
                allowed ? "allow" : "deny");
        }
    }
}
