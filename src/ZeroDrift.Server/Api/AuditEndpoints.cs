using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Server.Auth;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Metrics;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Api;

/// <summary>
/// Audit inputs (docs/audit.md): the Kubernetes API server's audit webhook posts <c>audit.k8s.io/v1</c> EventLists to
/// <c>/api/v1/audit-events/k8s</c>, and CloudTrail log files (gzip or JSON) are uploaded to
/// <c>/api/v1/audit-events/cloudtrail</c>, both with an <c>audit</c> (or admin) bearer token like any program.
/// </summary>
internal static class AuditEndpoints
{
    private static readonly string[] Senders = [Roles.Audit, Roles.Admin];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/audit-events/k8s", (HttpContext context, IServerStore store, AuditSettings audit, ServerMetrics metrics, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(context, audit, metrics, live, ct, "k8s_audit_events", (judge, body, caller) => AuditIngestor.K8sAsync(judge, store, caller, body, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct)))
            .Allow(Senders).Accepts<string>("application/json")
            .WithSummary("Kubernetes audit webhook: an audit.k8s.io/v1 EventList (or Event, or JSON lines), judged by the k8s_audit rules; alerts join incidents");

        api.MapPost("/audit-events/cloudtrail", (HttpContext context, IServerStore store, AuditSettings audit, ServerMetrics metrics, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(context, audit, metrics, live, ct, "cloudtrail_records", (judge, body, caller) => AuditIngestor.CloudTrailAsync(judge, store, caller, body, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct)))
            .Allow(Senders).Accepts<string>("application/json", "application/gzip")
            .WithSummary("A CloudTrail log file ({\"Records\": [...]}, gzip or JSON) judged by the aws_cloudtrail rules; alerts join incidents");
    }

    private static async Task<IResult> HandleAsync(HttpContext context, AuditSettings audit, ServerMetrics metrics, LiveFeed live, CancellationToken ct, string counter,
        Func<AuditJudge, byte[], string, Task<AuditIngestResult>> ingest)
    {
        if (audit.Judge is not { } judge)
            return Problem.Result(StatusCodes.Status503ServiceUnavailable, "this server judges no audit events: start it with --audit-rules FILE (docs/audit.md)");
        var caller = AuthMiddleware.Get(context)?.Name ?? "unknown";
        AuditIngestResult result;
        try
        {
            if (context.Request.ContentLength > AuditLimits.Default.MaxDocumentBytes)
                throw new AuditInputException($"the body is larger than {AuditReader.Size(AuditLimits.Default.MaxDocumentBytes)}", tooLarge: true);
            var body = await AuditReader.ReadBoundedAsync(context.Request.Body, AuditLimits.Default.MaxDocumentBytes, "the body", ct).ConfigureAwait(false);
            result = await ingest(judge, body, caller).ConfigureAwait(false);
        }
        catch (AuditInputException e)
        {
            return Problem.Result(e.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, e.Message);
        }
        metrics.Ingested(counter, result.Events);
        metrics.Ingested("alerts", result.NewAlerts);
        if (result.NewAlerts > 0) live.Publish("incidents");
        return Results.Ok(new { events = result.Events, alerts = result.Alerts, newAlerts = result.NewAlerts, duplicate = result.Duplicate, skipped = result.Warnings.Count, warnings = result.Warnings });
    }
}
