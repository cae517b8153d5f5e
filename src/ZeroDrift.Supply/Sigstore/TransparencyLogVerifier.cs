using System.Globalization;
using System.Text;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// Proves an entry is in a trusted log: the inclusion proof leads from the entry's body to the root hash of a
/// checkpoint the log signed, and/or the log's signed entry timestamp (SET) covers body, time and index. Returns
/// the integrated time when a SET vouches for it (the only way a Rekor v1 time is trusted).
/// </summary>
public static class TransparencyLogVerifier
{
    public static DateTimeOffset? Verify(TlogEntry entry, TrustedRoot root, string bundleVersion)
    {
        var log = root.TransparencyLogs.FirstOrDefault(l => l.LogId.AsSpan().SequenceEqual(entry.LogId))
            ?? throw new SupplyException($"log entry: log {Convert.ToBase64String(entry.LogId)} is not in the trusted root");
        var rekorV2 = entry.KindVersion == "0.0.2" && entry.Kind == "hashedrekord";

        DateTimeOffset? integrated = null;
        if (entry.SignedEntryTimestamp is { } set && !rekorV2)
        {
            if (!log.Key.VerifyMessage(SetPayload(entry), set)) throw new SupplyException("log entry: the signed entry timestamp does not verify with the log's key");
            integrated = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime);
            if (!log.Validity.Contains(integrated.Value)) throw new SupplyException($"log entry: integrated at {integrated:O}, outside the log key's validity");
        }

        if (entry.Proof is { } proof)
        {
            var computed = MerkleInclusion.RootFromProof(proof.LogIndex, proof.TreeSize, MerkleInclusion.LeafHash(entry.CanonicalizedBody), proof.Hashes);
            if (computed is null || !computed.AsSpan().SequenceEqual(proof.RootHash))
                throw new SupplyException("log entry: the inclusion proof does not lead to its root hash");
            if (proof.Checkpoint is { } text)
            {
                var checkpoint = Checkpoint.Parse(text);
                if (!checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash) || checkpoint.TreeSize != proof.TreeSize)
                    throw new SupplyException("log entry: the checkpoint is for another tree than the inclusion proof");
                if (!checkpoint.SignedBy(log)) throw new SupplyException("log entry: no checkpoint signature from the log verifies");
            }
            else if (bundleVersion != "0.1" || integrated is null)
            {
                // Without a signed checkpoint the root hash is the bundle's word: from v0.2 on protobuf-specs requires
                // it; a v0.1 bundle may lean on its SET instead.
                throw new SupplyException("log entry: the inclusion proof has no signed checkpoint");
            }
        }
        else if (bundleVersion != "0.1" || rekorV2)
        {
            // From v0.2 on a bundle must carry the proof: a SET alone is the log's promise, not a proof.
            throw new SupplyException("log entry: no inclusion proof");
        }
        if (integrated is null && entry.Proof?.Checkpoint is null)
            throw new SupplyException("log entry: neither a signed entry timestamp nor a signed checkpoint");
        if (bundleVersion == "0.1" && entry.SignedEntryTimestamp is null)
            throw new SupplyException("log entry: a v0.1 bundle needs a signed entry timestamp");
        return integrated;
    }

    /// <summary>Rekor's SET covers canonical JSON (keys sorted, no spaces) of body, integratedTime, logID (hex), logIndex.</summary>
    private static byte[] SetPayload(TlogEntry entry) => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{{\"body\":\"{Convert.ToBase64String(entry.CanonicalizedBody)}\",\"integratedTime\":{entry.IntegratedTime},\"logID\":\"{Convert.ToHexStringLower(entry.LogId)}\",\"logIndex\":{entry.LogIndex}}}"));
}
