using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Metrics;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>
/// With <c>--cloudtrail-dir DIR</c>, the server reads CloudTrail log files as CloudTrail delivers them to S3 (gzip JSON
/// <c>{"Records": [...]}</c>, <c>*.json.gz</c> or <c>*.json</c>, in any sub-folder, e.g. a bucket synced with
/// <c>aws s3 sync</c>) and judges them as uploads are judged. It looks for new files every <see cref="Interval"/>.
/// What it has read (path, size, modification time) is appended to a file in the server's data directory, so that a
/// restart does not read the folder again; a file read twice anyway (the state lost) adds nothing, since an upload is
/// stored once by its digest. A file too large, unreadable or not CloudTrail is one warning in the log, and is not
/// retried unless it changes.
/// </summary>
internal sealed class CloudTrailFolderIngestor(string directory, string statePath, AuditSettings audit, IServerStore store, ServerMetrics metrics, LiveFeed live,
    TimeProvider clock, ILogger<CloudTrailFolderIngestor> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private bool _missingReported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (File.Exists(statePath))
            foreach (var line in await File.ReadAllLinesAsync(statePath, stoppingToken).ConfigureAwait(false))
                if (line.Length > 0) _read.Add(line);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                log.LogWarning("--cloudtrail-dir {Directory}: {Message}; retrying", directory, e.Message);
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        if (!Directory.Exists(directory))
        {
            if (!_missingReported) log.LogWarning("--cloudtrail-dir {Directory}: no such directory (yet); looking again every {Seconds} s", directory, Interval.TotalSeconds);
            _missingReported = true;
            return;
        }
        var files = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => f.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (var path in files)
        {
            var info = new FileInfo(path);
            if (!info.Exists) continue;
            // Path, size and time: a file rewritten in place is read again (and its new records judged).
            var key = $"{Path.GetRelativePath(directory, path)}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}";
            if (_read.Contains(key)) continue;
            await ReadAsync(path, info, ct).ConfigureAwait(false);
            _read.Add(key);
            await File.AppendAllTextAsync(statePath, key + "\n", ct).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(string path, FileInfo info, CancellationToken ct)
    {
        if (audit.Judge is not { } judge) return;
        if (info.Length > AuditLimits.Default.MaxDocumentBytes)
        {
            log.LogWarning("{Path}: larger than {Limit}; not read", path, AuditReader.Size(AuditLimits.Default.MaxDocumentBytes));
            return;
        }
        try
        {
            var body = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            var result = await AuditIngestor.CloudTrailAsync(judge, store, "cloudtrail-dir", body, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
            foreach (var w in result.Warnings) log.LogWarning("{Path}: {Warning}", path, w);
            metrics.Ingested("cloudtrail_records", result.Events);
            metrics.Ingested("alerts", result.NewAlerts);
            if (result.NewAlerts > 0) live.Publish("incidents");
        }
        catch (AuditInputException e)
        {
            log.LogWarning("{Path}: {Message}; not read", path, e.Message);
        }
    }
}
