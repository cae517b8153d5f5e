using System.Text.Json;
using Microsoft.Extensions.Logging;
using ZeroDrift.Artifacts;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>An image in the node's local storage that came from a registry: its id, its registry (manifest) digest
/// and the repository it was pulled from (<c>host/repo</c>), with the tag it was pulled as when it has one.</summary>
public sealed record LocalImage(string Id, string Digest, string Repository, string? Tag);

/// <summary>What checking an image's attestations gave: the verified profile (as the deployment runs it), or why none.</summary>
public sealed record AttestationCheck(BehaviourProfile? Profile, string Detail);

/// <summary>Fetches and verifies an image's behaviour-profile attestation (the registry and the trust roots are the
/// implementation's): <see cref="AttestationCheck.Profile"/> is set only when one verifies for this very digest.</summary>
public interface IAttestedProfileSource
{
    /// <summary>What the source trusts, for the agent's start-up line.</summary>
    string Description { get; }

    Task<AttestationCheck> FetchAsync(LocalImage image, WorkloadIdentity identity, ProfileMode mode, CancellationToken cancellationToken);
}

/// <summary>
/// Brings attested profiles into the node before the workload's first container (docs/testing.md): every
/// <see cref="Interval"/> in which podman's image store changed, the images in local storage that came from a registry
/// are listed; for one whose digest has no profile yet, its attestation is fetched and verified; a verified profile is stored under the deployment's identity
/// (the image's name as workload, the registry digest) in the mode policy gives, and, with kernel enforcement, the
/// image is mapped into the kernel from its own mount, so the kernel puts its first container under the workload's
/// policy at its first exec. An image without a trusted attestation is left alone: its containers start as any new
/// workload does (the agent's default mode). The loop is told the store changed.
/// </summary>
public sealed class AttestedProfileImporter : IDisposable
{
    private readonly IAttestedProfileSource _source;
    private readonly ProfileMode _mode;
    private readonly string _storePath;
    private readonly KernelEnforcement? _kernel;
    private readonly ILogger _log;
    private readonly Action _changed;
    private readonly Func<CancellationToken, IReadOnlyList<LocalImage>> _images;
    private readonly Dictionary<string, DateTime> _checked = new(StringComparer.Ordinal);
    private readonly Func<string?> _storeStamp;
    private string? _lastStamp;
    private DateTime _nextRetry = DateTime.MaxValue;
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    /// <summary>A failed check (registry unreachable) is tried again after this long; a finished one never.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public AttestedProfileImporter(IAttestedProfileSource source, ProfileMode mode, string storePath, IEnforcement enforcement, ILogger log, Action changed,
        Func<CancellationToken, IReadOnlyList<LocalImage>>? images = null)
    {
        if (mode == ProfileMode.Learn) throw new ArgumentException("an attested profile is enforced (monitor or protect), not learned again", nameof(mode));
        (_source, _mode, _storePath, _log, _changed) = (source, mode, storePath, log, changed);
        _kernel = enforcement as KernelEnforcement;
        _images = images ?? PodmanImages;
        _storeStamp = images is null ? PodmanStoreStamp : () => null;
    }

    /// <summary>For the start-up line.</summary>
    public string Description => $"{_mode.ToString().ToLowerInvariant()} for images whose attestation verifies with {_source.Description}"
        + (_kernel is null ? " (from the agent's first look at a container: enforcement is not in the kernel)" : ", mapped into the kernel before their first container");

    public void Start() => _running = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            // Listing images runs podman (about 0.1 s of CPU): only when its image store changed, or a check is due again.
            var stamp = _storeStamp();
            try
            {
                if (stamp is null || stamp != _lastStamp || DateTime.UtcNow >= _nextRetry)
                {
                    _lastStamp = stamp;
                    await ImportNewAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { return; }
            catch (Exception e) when (e is ArtifactException or IOException or JsonException or ProfileStoreException)
            {
                _log.Warn($"attested profiles: listing local images failed: {e.Message}");
            }
            try { await Task.Delay(Interval, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass over local images; returns how many profiles were imported.</summary>
    public async Task<int> ImportNewAsync(CancellationToken token)
    {
        var imported = 0;
        _nextRetry = DateTime.MaxValue;
        foreach (var image in _images(token))
        {
            if (_checked.TryGetValue(image.Digest, out var retry) && DateTime.UtcNow < retry)
            {
                if (retry < _nextRetry) _nextRetry = retry;
                continue;
            }
            var name = image.Tag ?? image.Repository;
            var workload = WorkloadIdentity.FromImageReference(name);
            if (workload is null) continue;
            var identity = new WorkloadIdentity(workload, image.Digest, name);
            using (var store = ProfileStore.Open(_storePath))
                if (store.Get(identity.Key) is not null)
                {
                    // Learned, imported earlier or set by a user: the store's profile stands.
                    _checked[image.Digest] = DateTime.MaxValue;
                    continue;
                }
            AttestationCheck check;
            try
            {
                check = await _source.FetchAsync(image, identity, _mode, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                _checked[image.Digest] = DateTime.UtcNow + RetryAfter;
                if (_checked[image.Digest] < _nextRetry) _nextRetry = _checked[image.Digest];
                _log.Warn($"attested profiles: {image.Repository}@{image.Digest}: the attestation could not be checked ({e.Message}); tried again in {RetryAfter.TotalSeconds:0} s");
                continue;
            }
            _checked[image.Digest] = DateTime.MaxValue;
            if (check.Profile is not { } profile)
            {
                _log.Note($"attested profiles: {image.Repository}@{image.Digest}: not imported ({check.Detail}); its containers start as new workloads do");
                continue;
            }
            using (var store = ProfileStore.Open(_storePath)) store.Save(profile);
            imported++;
            var kernel = _kernel is null ? "" : MapIntoKernel(image, profile);
            _log.Note($"attested profiles: imported {identity.Key} ({_mode.ToString().ToLowerInvariant()}) for {image.Repository}@{image.Digest}, {check.Detail}{kernel}");
            _changed();
        }
        return imported;
    }

    /// <summary>The image's own mount names its files as its containers will (the kernel's overlay identity); mapped, its
    /// first container is put under the workload's policy by the kernel at its first exec.</summary>
    private string MapIntoKernel(LocalImage image, BehaviourProfile profile)
    {
        try
        {
            var merged = ImageTrustCache.Podman(["image", "mount", image.Id], CancellationToken.None).Trim();
            try
            {
                var key = KernelEnforcer.ImageKeyOfMount(merged) ?? throw new ArtifactException($"{merged} is not an overlay mount");
                var (resolved, executables) = _kernel!.ApplyImage(merged, key, profile, _mode);
                return _mode == ProfileMode.Protect
                    ? $"; mapped into the kernel before any container ({resolved} of {executables} executables found in the image)"
                    : "; mapped into the kernel before any container (monitor)";
            }
            finally
            {
                try { ImageTrustCache.Podman(["image", "unmount", image.Id], CancellationToken.None); }
                catch (ArtifactException) { }
            }
        }
        catch (Exception e) when (e is ArtifactException or IOException or SensorException or InvalidOperationException or ArgumentException)
        {
            return $"; not mapped into the kernel ({e.Message}): its containers are enforced from the agent's first look at them";
        }
    }

    /// <summary>When podman's image list (c/storage's images.json) was last written, and its size; null when it is not
    /// there (another storage root, no podman yet): the images are then listed every round.</summary>
    private static string? PodmanStoreStamp()
    {
        var list = new FileInfo("/var/lib/containers/storage/overlay-images/images.json");
        return list.Exists ? $"{list.LastWriteTimeUtc.Ticks}:{list.Length}" : null;
    }

    /// <summary>Local images pulled from a registry (<c>podman images</c>): an image built here has no registry digest and
    /// no attestation to look for.</summary>
    public static IReadOnlyList<LocalImage> PodmanImages(CancellationToken token)
    {
        using var json = JsonDocument.Parse(ImageTrustCache.Podman(["images", "--format", "json"], token));
        var result = new List<LocalImage>();
        foreach (var image in json.RootElement.EnumerateArray())
        {
            if (!image.TryGetProperty("Id", out var id) || id.GetString() is not { Length: > 0 } imageId) continue;
            // The image's digest is the one the agent reads from c/storage for its containers (images.json's "digest"):
            // the profile is stored under it, so the workload identity the agent gives containers finds it.
            if (!image.TryGetProperty("Digest", out var d) || d.GetString() is not { } digest || !digest.StartsWith("sha256:", StringComparison.Ordinal)) continue;
            if (!image.TryGetProperty("RepoDigests", out var digests) || digests.ValueKind != JsonValueKind.Array) continue;
            var tags = image.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
            foreach (var reference in digests.EnumerateArray().Select(x => x.GetString()).OfType<string>())
            {
                if (!reference.EndsWith("@" + digest, StringComparison.Ordinal)) continue;
                var repository = reference[..^(digest.Length + 1)];
                // Images podman built or loaded are named localhost/…: no registry holds their attestations.
                if (repository.Length == 0 || repository.StartsWith("localhost/", StringComparison.Ordinal)) continue;
                var tag = tags.FirstOrDefault(x => x.StartsWith(repository + ":", StringComparison.Ordinal));
                result.Add(new LocalImage(imageId, digest, repository, tag));
                break;
            }
        }
        return result;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _running?.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _stop.Dispose();
    }
}
