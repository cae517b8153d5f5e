using System.Net;
using ZeroDrift.Core.IO;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tuf;

/// <summary>Where TUF metadata and targets come from: a folder or a base URL, with <c>targets/</c> beneath.</summary>
public interface ITufSource
{
    /// <summary>The file's bytes, or null when the repository does not have it; more than <paramref name="maxBytes"/> is refused.</summary>
    byte[]? Fetch(string path, long maxBytes);
}

public sealed class FolderTufSource(string directory) : ITufSource
{
    public byte[]? Fetch(string path, long maxBytes)
    {
        var full = Path.GetFullPath(Path.Combine(directory, path));
        if (!full.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new SupplyException($"TUF: {path} is outside the repository");
        try
        {
            return File.Exists(full) ? BoundedFile.ReadAllBytes(full, maxBytes, path) : null;
        }
        catch (IOException e)
        {
            // Too large, not a regular file: the repository's fault, so a refusal like any other bad metadata.
            throw new SupplyException($"TUF: {e.Message}", e);
        }
    }
}

public sealed class HttpTufSource(Uri baseUri, HttpClient http) : ITufSource
{
    public byte[]? Fetch(string path, long maxBytes)
    {
        using var response = http.Send(new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)), HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden) return null;
        if (!response.IsSuccessStatusCode) throw new SupplyException($"TUF: {path}: HTTP {(int)response.StatusCode}");
        if (response.Content.Headers.ContentLength > maxBytes) throw new SupplyException($"TUF: {path} is larger than {maxBytes} bytes");
        using var stream = response.Content.ReadAsStream();
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            if (memory.Length + read > maxBytes) throw new SupplyException($"TUF: {path} is larger than {maxBytes} bytes");
            memory.Write(buffer, 0, read);
        }
        return memory.ToArray();
    }
}

/// <summary>What an update established.</summary>
public sealed record TufUpdate(long RootVersion, int Rotations, long TimestampVersion, long SnapshotVersion, long TargetsVersion, string Target, byte[] TargetBytes);

/// <summary>
/// A TUF client (specification 1.0, the detailed client workflow §5.3–5.7): root rotation one version at a time, each
/// new root signed by a threshold of the old root's root keys and of its own; then timestamp → snapshot → targets, each
/// signed by a threshold of its role's keys, checked for version (no rollback below what was trusted before), expiry
/// (no freeze), and length and hashes as the parent names them; then one target file by its length and hashes. Trusted
/// metadata persists in <paramref name="stateDirectory"/> so the next update refuses a rollback.
/// </summary>
public sealed class TufClient(string stateDirectory, ITufSource source, DateTimeOffset now)
{
    private const long MaxRootBytes = 512 << 10;
    private const long MaxTimestampBytes = 64 << 10;
    private const long MaxSnapshotBytes = 4 << 20;
    private const long MaxTargetsBytes = 16 << 20;
    private const long MaxTargetBytes = 16 << 20;
    private const int MaxRotations = 256;

    private string StatePath(string name) => Path.Combine(stateDirectory, name);

    /// <summary>Updates the metadata and fetches <paramref name="target"/>. The first update needs a bootstrap root
    /// (the repository's root, obtained out of band); afterwards the stored root is the trust anchor.</summary>
    /// <param name="shippedRoot">The anchor when nothing is stored and no bootstrap root is given (the root shipped with ZeroDrift).</param>
    public TufUpdate Update(string target, byte[]? bootstrapRoot, byte[]? shippedRoot = null)
    {
        var anchoredOnShipped = shippedRoot is not null && bootstrapRoot is null && !File.Exists(StatePath("root.json"));
        try
        {
            return UpdateFrom(target, bootstrapRoot, anchoredOnShipped ? shippedRoot : null);
        }
        catch (SupplyException e) when (anchoredOnShipped)
        {
            throw new SupplyException($"{e.Message} (anchored on Sigstore public-good's root shipped with ZeroDrift: another repository needs --root)", e);
        }
    }

    private TufUpdate UpdateFrom(string target, byte[]? bootstrapRoot, byte[]? shippedRoot)
    {
        Directory.CreateDirectory(stateDirectory);
        var stored = File.Exists(StatePath("root.json")) ? BoundedFile.ReadAllBytes(StatePath("root.json"), MaxRootBytes, "stored TUF root") : null;
        var trustedBytes = stored ?? bootstrapRoot ?? shippedRoot
            ?? throw new SupplyException("TUF: no trusted root yet: give --root with the repository's root.json, obtained out of band, the first time");
        var trusted = TufMetadata.Parse(trustedBytes, "root", "TUF root");
        var (keys, roles, consistent) = trusted.Root("TUF root");
        // A bootstrap root must at least be signed by its own keys (§5.2); it is trusted as given otherwise.
        trusted.VerifyThreshold(roles["root"], keys, "TUF root");
        if (stored is not null && bootstrapRoot is not null)
        {
            var given = TufMetadata.Parse(bootstrapRoot, "root", "TUF root given with --root");
            if (given.Version < trusted.Version) throw new SupplyException($"TUF: --root is version {given.Version}, older than the stored root {trusted.Version} (rollback refused)");
        }
        // The shipped root is stored only once a repository proved to be its (a rotation or a whole update verified),
        // so a private repository tried without --root leaves nothing behind that would later look like a rollback.
        if (stored is null && shippedRoot is null) Write("root.json", trustedBytes);

        // §5.3 root rotation.
        var rotations = 0;
        var oldTimestampKeys = roles["timestamp"];
        var oldSnapshotKeys = roles["snapshot"];
        while (true)
        {
            if (rotations == MaxRotations) throw new SupplyException($"TUF: more than {MaxRotations} root versions in one update");
            var next = trusted.Version + 1;
            var bytes = source.Fetch($"{next}.root.json", MaxRootBytes);
            if (bytes is null) break;
            var what = $"TUF root version {next}";
            var candidate = TufMetadata.Parse(bytes, "root", what);
            candidate.VerifyThreshold(roles["root"], keys, $"{what} (signatures by the previous root's keys)");
            var (newKeys, newRoles, newConsistent) = candidate.Root(what);
            candidate.VerifyThreshold(newRoles["root"], newKeys, $"{what} (signatures by its own keys)");
            if (candidate.Version != next) throw new SupplyException($"{what}: the file says version {candidate.Version}");
            (trusted, keys, roles, consistent) = (candidate, newKeys, newRoles, newConsistent);
            Write("root.json", bytes);
            rotations++;
        }
        trusted.RequireNotExpired(now, $"TUF root version {trusted.Version}");
        // §5.3.11: new timestamp or snapshot keys make the stored ones useless against a fast-forward attack: forget them.
        if (!SameKeys(oldTimestampKeys, roles["timestamp"]) || !SameKeys(oldSnapshotKeys, roles["snapshot"]))
        {
            File.Delete(StatePath("timestamp.json"));
            File.Delete(StatePath("snapshot.json"));
        }

        // §5.4 timestamp.
        var timestampBytes = source.Fetch("timestamp.json", MaxTimestampBytes) ?? throw new SupplyException("TUF: the repository has no timestamp.json");
        var timestamp = TufMetadata.Parse(timestampBytes, "timestamp", "TUF timestamp");
        timestamp.VerifyThreshold(roles["timestamp"], keys, "TUF timestamp");
        var snapshotInfo = timestamp.Meta("TUF timestamp").GetValueOrDefault("snapshot.json") ?? throw new SupplyException("TUF timestamp: it names no snapshot.json");
        if (snapshotInfo.Version is not { } snapshotVersion) throw new SupplyException("TUF timestamp: snapshot.json has no version");
        if (Stored("timestamp.json", "timestamp") is { } oldTimestamp)
        {
            if (timestamp.Version < oldTimestamp.Version)
                throw new SupplyException($"TUF timestamp: version {timestamp.Version} is older than the trusted {oldTimestamp.Version} (rollback refused)");
            var oldSnapshotVersion = oldTimestamp.Meta("stored TUF timestamp").GetValueOrDefault("snapshot.json")?.Version ?? 0;
            if (snapshotVersion < oldSnapshotVersion)
                throw new SupplyException($"TUF timestamp: it names snapshot version {snapshotVersion}, older than the trusted {oldSnapshotVersion} (rollback refused)");
        }
        timestamp.RequireNotExpired(now, "TUF timestamp");
        Write("timestamp.json", timestampBytes);

        // §5.5 snapshot.
        var snapshotBytes = source.Fetch(consistent ? $"{snapshotVersion}.snapshot.json" : "snapshot.json", MaxSnapshotBytes)
            ?? throw new SupplyException($"TUF: the repository has no snapshot version {snapshotVersion}");
        TufMetadata.CheckFile(snapshotBytes, snapshotInfo, requireHash: false, "TUF snapshot");
        var snapshot = TufMetadata.Parse(snapshotBytes, "snapshot", "TUF snapshot");
        snapshot.VerifyThreshold(roles["snapshot"], keys, "TUF snapshot");
        if (snapshot.Version != snapshotVersion) throw new SupplyException($"TUF snapshot: version {snapshot.Version}, but the timestamp names {snapshotVersion}");
        var snapshotMeta = snapshot.Meta("TUF snapshot");
        if (Stored("snapshot.json", "snapshot") is { } oldSnapshot)
        {
            foreach (var (name, info) in oldSnapshot.Meta("stored TUF snapshot"))
            {
                if (!snapshotMeta.TryGetValue(name, out var now2)) throw new SupplyException($"TUF snapshot: {name} disappeared from the snapshot (rollback refused)");
                if (now2.Version < info.Version) throw new SupplyException($"TUF snapshot: {name} is version {now2.Version}, older than the trusted {info.Version} (rollback refused)");
            }
        }
        snapshot.RequireNotExpired(now, "TUF snapshot");
        Write("snapshot.json", snapshotBytes);

        // §5.6 targets (top-level only: Sigstore's repository delegates nothing for trusted_root.json).
        var targetsInfo = snapshotMeta.GetValueOrDefault("targets.json") ?? throw new SupplyException("TUF snapshot: it names no targets.json");
        if (targetsInfo.Version is not { } targetsVersion) throw new SupplyException("TUF snapshot: targets.json has no version");
        var targetsBytes = source.Fetch(consistent ? $"{targetsVersion}.targets.json" : "targets.json", MaxTargetsBytes)
            ?? throw new SupplyException($"TUF: the repository has no targets version {targetsVersion}");
        TufMetadata.CheckFile(targetsBytes, targetsInfo, requireHash: false, "TUF targets");
        var targets = TufMetadata.Parse(targetsBytes, "targets", "TUF targets");
        targets.VerifyThreshold(roles["targets"], keys, "TUF targets");
        if (targets.Version != targetsVersion) throw new SupplyException($"TUF targets: version {targets.Version}, but the snapshot names {targetsVersion}");
        targets.RequireNotExpired(now, "TUF targets");
        Write("targets.json", targetsBytes);

        // §5.7 the target file.
        var info2 = targets.Targets("TUF targets").GetValueOrDefault(target)
            ?? throw new SupplyException(targets.HasDelegations ? $"TUF targets: {target} is not a top-level target (delegated targets are not supported)" : $"TUF targets: no target {target}");
        if (info2.Length > MaxTargetBytes) throw new SupplyException($"TUF target {target}: {info2.Length} bytes is more than {MaxTargetBytes}");
        var sha256 = info2.Hashes.GetValueOrDefault("sha256");
        var path = consistent && sha256 is not null ? $"targets/{sha256}.{target}" : $"targets/{target}";
        var targetBytes = source.Fetch(path, info2.Length ?? MaxTargetBytes) ?? throw new SupplyException($"TUF: the repository has no {path}");
        TufMetadata.CheckFile(targetBytes, info2, requireHash: true, $"TUF target {target}");
        if (stored is null && shippedRoot is not null && rotations == 0) Write("root.json", trustedBytes);
        return new TufUpdate(trusted.Version, rotations, timestamp.Version, snapshot.Version, targets.Version, target, targetBytes);
    }

    private TufMetadata? Stored(string name, string type)
    {
        var path = StatePath(name);
        return File.Exists(path) ? TufMetadata.Parse(BoundedFile.ReadAllBytes(path, MaxTargetsBytes, name), type, $"stored TUF {type}") : null;
    }

    private static bool SameKeys(TufRole a, TufRole b) => a.Threshold == b.Threshold && a.KeyIds.Order(StringComparer.Ordinal).SequenceEqual(b.KeyIds.Order(StringComparer.Ordinal));

    /// <summary>Atomic: a crash never leaves half a file as the trust anchor.</summary>
    private void Write(string name, byte[] bytes)
    {
        var temp = StatePath(name + ".tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, StatePath(name), overwrite: true);
    }
}
