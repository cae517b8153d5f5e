using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Ingestion;

/// <summary>What one audit upload gave: events read, alerts raised (and new to the store), records skipped with why.</summary>
public sealed record AuditIngestResult(int Events, int Alerts, int NewAlerts, bool Duplicate, IReadOnlyList<string> Warnings);

/// <summary>
/// Turns audit input into incidents: events judged by Falco's plugin rules (<see cref="AuditJudge"/>), each alert
/// stored as the agent's are, its detail Falco's JSON, grouped into the incident of its namespace (Kubernetes) or
/// account and region (CloudTrail). An upload is stored once (its batch id is its digest) and each alert once (its id
/// is the event's id and the rule), so the API server's retries and a re-sent log file add nothing.
/// </summary>
public static class AuditIngestor
{
    /// <summary>At most this many warnings go back in an answer; the count is always whole.</summary>
    private const int WarningsShown = 20;

    public static async Task<AuditIngestResult> K8sAsync(AuditJudge judge, IServerStore store, string caller, byte[] body, long nowMs, CancellationToken ct)
    {
        var (documents, events, warnings) = AuditReader.ReadK8s(body, "EventList", AuditLimits.Default, nowMs * 1_000_000);
        var rows = new List<AlertRow>();
        try
        {
            foreach (var e in events)
                foreach (var alert in judge.Judge(e))
                    rows.Add(Row(alert, $"{e.AuditId}/{alert.Rule}", $"k8s/{e.Namespace ?? "cluster"}", nowMs, $"Kubernetes audit event {e.AuditId} ({e.Verb} {e.Uri})"));
        }
        finally
        {
            foreach (var d in documents) d.Dispose();
        }
        return await StoreAsync(store, "k8s-audit", caller, body, events.Count, rows, warnings, nowMs, ct).ConfigureAwait(false);
    }

    public static async Task<AuditIngestResult> CloudTrailAsync(AuditJudge judge, IServerStore store, string caller, byte[] body, long nowMs, CancellationToken ct)
    {
        using var stream = new MemoryStream(body, writable: false);
        var (document, events, warnings) = AuditReader.ReadCloudTrail(stream, "CloudTrail log file", AuditLimits.Default, 1, nowMs * 1_000_000);
        var rows = new List<AlertRow>();
        using (document)
        {
            foreach (var e in events)
            {
                var id = JsonValues.GetString(e.Root, "eventID") ?? $"{e.Number}";
                var account = JsonValues.GetString(e.Root, "recipientAccountId") ?? JsonValues.GetString(e.Root, "userIdentity", "accountId") ?? "unknown";
                var region = JsonValues.GetString(e.Root, "awsRegion") ?? "global";
                foreach (var alert in judge.Judge(e))
                    rows.Add(Row(alert, $"{id}/{alert.Rule}", $"aws/{account}/{region}", nowMs, $"CloudTrail record {id} ({e.Source} {e.Name})"));
            }
        }
        return await StoreAsync(store, "cloudtrail", caller, body, events.Count, rows, warnings, nowMs, ct).ConfigureAwait(false);
    }

    private static async Task<AuditIngestResult> StoreAsync(IServerStore store, string kind, string caller, byte[] body, int events, List<AlertRow> rows, List<string> warnings, long nowMs, CancellationToken ct)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(body));
        var result = await store.IngestAgentBatchAsync($"{kind}:{caller}", $"{kind}-{digest[..40]}", new AgentBatch([], [], [], rows, []), nowMs, ct).ConfigureAwait(false);
        return new AuditIngestResult(events, rows.Count, result.NewAlerts, result.Duplicate, [.. warnings.Take(WarningsShown).Append(warnings.Count > WarningsShown ? $"… and {warnings.Count - WarningsShown} more" : null).OfType<string>()]);
    }

    private static AlertRow Row(Alert alert, string id, string workload, long nowMs, string origin)
    {
        var severity = alert.Priority switch
        {
            Priority.Emergency or Priority.Alert or Priority.Critical => "critical",
            Priority.Error => "high",
            Priority.Warning => "medium",
            Priority.Notice => "low",
            _ => "info",
        };
        // The store keys alerts by (source, id): a long id is shortened to its digest so that it stays unique.
        if (id.Length > 200) id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
        return new AlertRow(id, alert.Rule, severity, alert.UnixTimeNanoseconds / 1_000_000, nowMs, "", workload, "none", null, AlertJsonWriter.ToJson(alert), Origin: origin);
    }
}
