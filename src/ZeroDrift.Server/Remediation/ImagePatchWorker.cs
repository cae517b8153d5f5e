using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Remediation;

/// <summary>
/// The server's own patcher: claims pending patch-image jobs exactly as CI would (claimer <c>server</c>, with a lease,
/// so a job survives a crash), runs the fix, and reports the outcome through the same store calls as the API. The
/// rescan of the pushed image is ingested for the job's workload: what it no longer shows is credited to the job.
/// </summary>
internal sealed class ImagePatchWorker(IServerStore store, ImagePatchSettings settings, RemediationSignal signal, LiveFeed live, TimeProvider clock, ILogger<ImagePatchWorker> log) : BackgroundService
{
    public const string Claimer = "server";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = settings.PollInterval ?? TimeSpan.FromSeconds(30);
        var lease = settings.Lease ?? TimeSpan.FromMinutes(30);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await store.ClaimRemediationAsync(Remediations.PatchImage, Claimer, Now(), (clock.GetUtcNow() + lease).ToUnixTimeMilliseconds(), stoppingToken).ConfigureAwait(false) is { } job)
                    await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // A store that does not answer is tried again at the next poll; the server stays up.
                log.LogWarning("remediation worker: {Message}", e.Message.Split('\n')[0]);
            }
            await signal.WaitAsync(poll, stoppingToken).ConfigureAwait(false);
        }
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync(RemediationView job, CancellationToken ct)
    {
        var destination = PatchDestination.For(job.Image, settings.Repository, settings.TagSuffix);
        try
        {
            var outcome = await settings.Runner.PatchAsync(job, destination, ct).ConfigureAwait(false);
            await RemediationReports.CompleteAsync(store, job, Claimer, outcome.PatchedImage, outcome.PatchedDigest, outcome.RescanReport, Now(), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever went wrong (the runner, its program missing, the rescan refused) is the job's failure, in one
            // line; the worker, and with it the server, keeps running.
            await store.FailRemediationAsync(job.Id, Claimer, e is ImagePatchException or IngestException ? e.Message : $"{e.GetType().Name}: {e.Message.Split('\n')[0]}", Now(), CancellationToken.None).ConfigureAwait(false);
        }
        live.Publish("risks");
        live.Publish("incidents");
    }
}

/// <summary>Wakes the worker when a job is created, so a playbook's patch starts at once rather than at the next poll.</summary>
internal sealed class RemediationSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _signal.WaitAsync(timeout, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }
}

/// <summary>Completing a patch-image job, the same for the server's worker and for CI: the rescan must be of the patched digest.</summary>
internal static class RemediationReports
{
    public static async Task<RemediationView?> CompleteAsync(IServerStore store, RemediationView job, string claimer, string patchedImage, string patchedDigest, byte[]? rescan, long now, CancellationToken ct)
    {
        ScanReportParser.Parsed? parsed = null;
        if (rescan is not null)
        {
            using var body = new MemoryStream(rescan);
            parsed = await ScanReportParser.ParseAsync(body, ct).ConfigureAwait(false);
            if (!parsed.ImageDigest.Equals(patchedDigest, StringComparison.Ordinal))
                throw new IngestException($"report: the rescan is of {(parsed.ImageDigest.Length == 0 ? "no image digest" : parsed.ImageDigest)}, not of the patched image {patchedDigest}");
        }
        var done = await store.CompleteRemediationAsync(job.Id, claimer, patchedImage, patchedDigest, now, ct).ConfigureAwait(false);
        if (done is null || parsed is null) return done;
        // The rescan is a registry scan of the job's workload: whatever it no longer shows is credited to the job.
        await store.IngestScanAsync(new ScanIngest(job.Subject, "registry", parsed.TargetName, parsed.TargetKind, parsed.ImageDigest, parsed.Tool, parsed.Packages, now,
            claimer == ImagePatchWorker.Claimer ? "zerodrift" : claimer, parsed.Findings) { Scanners = parsed.Scanners, Content = parsed.Content }, ct).ConfigureAwait(false);
        return done;
    }
}
