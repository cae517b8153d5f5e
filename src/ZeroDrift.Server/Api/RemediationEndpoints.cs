using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ZeroDrift.Server.Auth;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Remediation;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Api;

public sealed record RemediationAsk(string? Workload);
/// <param name="PatchedImage">Where the patched image was pushed: <c>name@sha256:…</c> (a tag may precede the digest).</param>
/// <param name="Report">Optional: <c>zerodrift scan PATCHED --format json</c>, ingested as a registry scan of the job's workload.</param>
public sealed record RemediationDone(string? PatchedImage, JsonElement? Report);
public sealed record RemediationFailed(string? Error);
public sealed record DependencyFixReport(string? Workload, IReadOnlyList<string>? Advisories);

/// <summary>
/// Remediation jobs (docs/remediation.md, "On the server"): listed for people, requested by an admin, claimed and
/// reported by CI (a <c>ci</c> token) when the server does not patch images itself.
/// </summary>
internal static class RemediationEndpoints
{
    private static readonly string[] Readers = [Roles.Admin, Roles.Viewer, Roles.Ci];
    private static readonly string[] Workers = [Roles.Ci, Roles.Admin];

    private static long Now(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/remediations", async (IServerStore store, int? limit, CancellationToken ct) => Results.Ok(await store.RemediationsAsync(Math.Clamp(limit ?? 200, 1, 5000), ct)))
            .Allow(Readers).WithSummary("Remediation jobs, newest first: patch-image (pending, claimed, done with the patched digest, failed with why) and reported dependency fixes");
        api.MapGet("/remediations/{id:long}", async (long id, IServerStore store, CancellationToken ct) =>
            await store.RemediationAsync(id, ct) is { } job ? Results.Ok(job) : Problem.Result(StatusCodes.Status404NotFound, $"no remediation {id}")).Allow(Readers);

        api.MapPost("/remediations", async (RemediationAsk request, HttpContext context, IServerStore store, RemediationSignal signal, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(request.Workload, "workload") is { } bad) return bad;
            var actor = AuthMiddleware.Get(context)!.Actor;
            var id = await store.RequestRemediationAsync(new RemediationRequest(request.Workload!, Remediations.PatchImage, "", "", actor, false, [], Now(clock)), ct);
            await store.AuditAsync(actor, "remediation.request", request.Workload!, $"patch-image job {id}", Now(clock), ct);
            signal.Notify();
            return Results.Created($"/api/v1/remediations/{id}", await store.RemediationAsync(id, ct));
        }).Allow(Roles.Admin).WithSummary("Asks for the workload's latest registry image to be patched (by the server with --patch-images, else by CI)");

        api.MapPost("/remediations/claim", async (HttpContext context, IServerStore store, TimeProvider clock, int? leaseMinutes, CancellationToken ct) =>
        {
            var lease = TimeSpan.FromMinutes(Math.Clamp(leaseMinutes ?? 30, 1, 24 * 60));
            var job = await store.ClaimRemediationAsync(Remediations.PatchImage, AuthMiddleware.Get(context)!.Name, Now(clock), (clock.GetUtcNow() + lease).ToUnixTimeMilliseconds(), ct);
            return job is null ? Results.NoContent() : Results.Ok(job);
        }).Allow(Workers).WithSummary("CI claims the oldest pending patch-image job for ?leaseMinutes= (default 30; an expired claim goes to the next claimer); 204 when none");

        api.MapPost("/remediations/{id:long}/done", async (long id, RemediationDone body, HttpContext context, IServerStore store, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
        {
            if (body.PatchedImage is not { Length: > 0 and <= 1000 } patched || patched.Any(char.IsControl)) return Problem.Result(StatusCodes.Status400BadRequest, "patchedImage: name@sha256:… of the pushed image");
            var at = patched.LastIndexOf('@');
            var digest = at < 0 ? "" : patched[(at + 1)..];
            if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71 || !digest[7..].All(char.IsAsciiHexDigitLower))
                return Problem.Result(StatusCodes.Status400BadRequest, "patchedImage: name@sha256:… (64 lower-case hex digits) of the pushed image");
            var caller = AuthMiddleware.Get(context)!.Name;
            if (await store.RemediationAsync(id, ct) is not { } job) return Problem.Result(StatusCodes.Status404NotFound, $"no remediation {id}");
            byte[]? report = body.Report is { ValueKind: JsonValueKind.Object } r ? JsonSerializer.SerializeToUtf8Bytes(r) : null;
            var done = await RemediationReports.CompleteAsync(store, job, caller, patched, digest, report, Now(clock), ct);
            if (done is null) return Problem.Result(StatusCodes.Status409Conflict, $"remediation {id} is not claimed by {caller}");
            live.Publish("risks");
            return Results.Ok(await store.RemediationAsync(id, ct));
        }).Allow(Workers).WithSummary("The claimer reports the patched image's digest, and optionally its rescan (credited to the job for what it no longer shows)");

        api.MapPost("/remediations/{id:long}/failed", async (long id, RemediationFailed body, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            var error = (body.Error ?? "").Split('\n')[0];
            if (error.Length is 0 or > 2000) return Problem.Result(StatusCodes.Status400BadRequest, "error: one line saying why (1 to 2000 characters)");
            var caller = AuthMiddleware.Get(context)!.Name;
            return await store.FailRemediationAsync(id, caller, error, Now(clock), ct) ? Results.NoContent() : Problem.Result(StatusCodes.Status409Conflict, $"remediation {id} is not claimed by {caller}");
        }).Allow(Workers).WithSummary("The claimer reports that the patch did not happen, and why");

        api.MapPost("/remediations/dependencies", async (DependencyFixReport body, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(body.Workload, "workload") is { } bad) return bad;
            if (body.Advisories is not { Count: > 0 and <= 10_000 } advisories || advisories.Any(a => a is not { Length: > 0 and <= 200 } || a.Any(char.IsControl)))
                return Problem.Result(StatusCodes.Status400BadRequest, "advisories: the vulnerability ids the applied fix closes (zerodrift fix PATH --format json: upgrades[].advisories)");
            var caller = AuthMiddleware.Get(context)!.Name;
            var id = await store.ReportDependencyFixAsync(body.Workload!, [.. advisories.Distinct(StringComparer.Ordinal)], caller, Now(clock), ct);
            return Results.Created($"/api/v1/remediations/{id}", await store.RemediationAsync(id, ct));
        }).Allow(Workers).WithSummary("CI reports a dependency fix it applied (zerodrift fix PATH --apply): a later scan of the workload without these advisories credits ZeroDrift");
    }
}
