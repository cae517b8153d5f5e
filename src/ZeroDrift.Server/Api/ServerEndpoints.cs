using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ZeroDrift.Server.Auth;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Metrics;
using ZeroDrift.Server.Risk;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Api;

public sealed record LoginRequest(string? Name, string? Password);
public sealed record LoginAnswer(string Name, string Role, string Csrf);
public sealed record CreateUserRequest(string? Name, string? Password, string? Role);
public sealed record CreateTokenRequest(string? Name, string? Role);
public sealed record CreatedToken(long Id, string Name, string Role, string Token);
public sealed record TransitionRequest(string? State, string? Note);
public sealed record PlaybookRequest(string? Name, string? RuleContains, string? MinSeverity, string? Action);
public sealed record ModeRequest(string? Workload, string? Mode);
public sealed record IncidentDetail(IncidentView Incident, IReadOnlyList<TimelineEntry> Timeline);
public sealed record Created(long Id);
public sealed record Health(string Status, string Store, int Schema);

/// <summary>The HTTP API (docs/server.md has the table; /openapi/v1.json the schema). Roles per endpoint are explicit.</summary>
internal static class ServerEndpoints
{
    private static readonly string[] People = [Roles.Admin, Roles.Viewer];
    private static readonly string[] Readers = [Roles.Admin, Roles.Viewer];
    private static readonly string[] Uploaders = [Roles.Admin, Roles.Ci, Roles.Agent];
    private static readonly string[] Stages = ["build", "registry", "runtime"];
    private static readonly string[] PlaybookActions = ["kill", "pause", "protect", "quarantine", "patch-image"];

    private static long Now(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();
    private static Principal Caller(HttpContext context) => AuthMiddleware.Get(context) ?? throw new InvalidOperationException("endpoint reached without a principal");

    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", async (IServerStore store, CancellationToken ct) =>
        {
            try { return Results.Ok(new Health("ok", store.Kind, await store.SchemaVersionAsync(ct))); }
            catch (System.Data.Common.DbException e) { return Problem.Result(StatusCodes.Status503ServiceUnavailable, $"store unavailable: {e.Message.Split('\n')[0]}"); }
        }).WithSummary("200 when the server is up and its store answers");

        app.MapGet("/metrics", async (IServerStore store, ServerMetrics metrics, CancellationToken ct) =>
            Results.Text(metrics.Render(SeedNumbers.From(await store.SeedFactsAsync(0, ct)), await store.HostsAsync(ct)), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus text: requests, ingestion, the seed's numbers, each node's enforcement (any authenticated caller)");

        var api = app.MapGroup("/api/v1");
        MapAuth(api);
        MapIngestion(api);
        AuditEndpoints.Map(api);
        RemediationEndpoints.Map(api);
        MapAssets(api);
        MapIncidents(api);
    }

    // ---- sessions, users, tokens, audit ----------------------------------------------------------------------

    private static void MapAuth(RouteGroupBuilder api)
    {
        api.MapPost("/login", async (LoginRequest request, HttpContext context, IServerStore store, TimeProvider clock, SessionSettings settings, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(request.Name) || string.IsNullOrEmpty(request.Password) || request.Name.Length > 200 || request.Password.Length > 1000)
                return Problem.Result(StatusCodes.Status400BadRequest, "name and password are required");
            var user = await store.FindUserAsync(request.Name, ct);
            var ok = Secrets.VerifyPassword(request.Password, user?.PasswordHash ?? Secrets.DecoyHash) && user is not null;
            if (!ok)
            {
                await store.AuditAsync(request.Name, "login.failed", request.Name, $"from {context.Connection.RemoteIpAddress}", Now(clock), ct);
                return Problem.Result(StatusCodes.Status401Unauthorized, "wrong name or password");
            }
            var session = Secrets.NewSessionId();
            var csrf = Secrets.NewCsrf();
            var expires = clock.GetUtcNow() + settings.Lifetime;
            await store.CreateSessionAsync(Secrets.Digest(session), user!.Id, csrf, Now(clock), expires.ToUnixTimeMilliseconds(), ct);
            await store.AuditAsync(user.Name, "login", user.Name, $"from {context.Connection.RemoteIpAddress}", Now(clock), ct);
            context.Response.Cookies.Append(AuthMiddleware.SessionCookie, session, new CookieOptions
            {
                HttpOnly = true, Secure = context.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/", Expires = expires,
            });
            return Results.Ok(new LoginAnswer(user.Name, user.Role, csrf));
        }).RequireRateLimiting(ZeroDriftServer.LoginRateLimit).WithSummary("Console login: sets the session cookie, answers the CSRF token to send as X-CSRF-Token (10 attempts a minute per address)");

        api.MapPost("/logout", async (HttpContext context, IServerStore store, CancellationToken ct) =>
        {
            if (context.Request.Cookies.TryGetValue(AuthMiddleware.SessionCookie, out var session)) await store.DeleteSessionAsync(Secrets.Digest(session), ct);
            context.Response.Cookies.Delete(AuthMiddleware.SessionCookie);
            return Results.NoContent();
        }).Allow(People);

        api.MapGet("/me", (HttpContext context) =>
        {
            var p = Caller(context);
            return Results.Ok(new LoginAnswer(p.Name, p.Role, p.Csrf ?? ""));
        }).WithSummary("Who is calling; for a session also its CSRF token");

        api.MapGet("/users", async (IServerStore store, CancellationToken ct) => Results.Ok((await store.ListUsersAsync(ct)).Select(u => new { u.Id, u.Name, u.Role }))).Allow(Roles.Admin);
        api.MapPost("/users", async (CreateUserRequest request, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(request.Name, "name") is { } bad) return bad;
            if (request.Password is not { Length: >= 12 and <= 1000 }) return Problem.Result(StatusCodes.Status400BadRequest, "password must be 12 to 1000 characters");
            if (request.Role is not { } role || !Roles.IsUserRole(role)) return Problem.Result(StatusCodes.Status400BadRequest, "role must be admin or viewer");
            var id = await store.CreateUserAsync(request.Name!, Secrets.HashPassword(request.Password), role, Now(clock), ct);
            await store.AuditAsync(Caller(context).Actor, "user.create", request.Name!, $"role {role}", Now(clock), ct);
            return Results.Created($"/api/v1/users/{id}", new Created(id));
        }).Allow(Roles.Admin);

        api.MapGet("/tokens", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.ListTokensAsync(ct))).Allow(Roles.Admin);
        api.MapPost("/tokens", async (CreateTokenRequest request, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(request.Name, "name") is { } bad) return bad;
            if (request.Role is not { } role || !Roles.IsTokenRole(role)) return Problem.Result(StatusCodes.Status400BadRequest, "role must be agent, ci, audit or viewer");
            var token = Secrets.NewToken();
            var id = await store.CreateTokenAsync(request.Name!, Secrets.Digest(token), role, Caller(context).Actor, Now(clock), ct);
            await store.AuditAsync(Caller(context).Actor, "token.create", request.Name!, $"role {role}, id {id}", Now(clock), ct);
            return Results.Created($"/api/v1/tokens/{id}", new CreatedToken(id, request.Name!, role, token));
        }).Allow(Roles.Admin).WithSummary("Creates an API token; the token is in this answer only (the server keeps its SHA-256)");
        api.MapDelete("/tokens/{id:long}", async (long id, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            if (!await store.RevokeTokenAsync(id, Now(clock), ct)) return Problem.Result(StatusCodes.Status404NotFound, $"no active token {id}");
            await store.AuditAsync(Caller(context).Actor, "token.revoke", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "", Now(clock), ct);
            return Results.NoContent();
        }).Allow(Roles.Admin);
        api.MapGet("/audit", async (IServerStore store, CancellationToken ct, int? limit) => Results.Ok(await store.ListAuditAsync(Math.Clamp(limit ?? 200, 1, 5000), ct))).Allow(Roles.Admin);
    }

    // ---- ingestion -------------------------------------------------------------------------------------------

    private static void MapIngestion(RouteGroupBuilder api)
    {
        api.MapPost("/scans", async (HttpContext context, IServerStore store, ServerMetrics metrics, LiveFeed live, Remediation.RemediationSignal remediation, TimeProvider clock, string? workload, string? stage, CancellationToken ct) =>
        {
            stage ??= "build";
            if (!Stages.Contains(stage)) return Problem.Result(StatusCodes.Status400BadRequest, "stage must be build, registry or runtime");
            if (workload is not null && Validate.Name(workload, "workload") is { } bad) return bad;
            var parsed = await ScanReportParser.ParseAsync(context.Request.Body, ct);
            var result = await store.IngestScanAsync(new ScanIngest(workload ?? parsed.TargetName, stage, parsed.TargetName, parsed.TargetKind, parsed.ImageDigest, parsed.Tool,
                parsed.Packages, Now(clock), Caller(context).Actor, parsed.Findings) { Scanners = parsed.Scanners, Content = parsed.Content }, ct);
            metrics.Ingested("scans", 1);
            metrics.Ingested("findings", result.Findings);
            metrics.Ingested("content_findings", result.ContentFindings);
            live.Publish("risks");
            if (result.Remediations.Count > 0) remediation.Notify();
            return Results.Ok(new
            {
                scanId = result.ScanId, findings = result.Findings, @new = result.New, @fixed = result.Fixed,
                fixedByZeroDrift = result.FixedByZeroDrift, remediations = result.Remediations,
                contentFindings = result.ContentFindings, contentNew = result.ContentNew, contentFixed = result.ContentFixed,
            });
        }).Allow(Uploaders).Accepts<JsonElement>("application/json")
          .WithSummary("Uploads a zerodrift scan JSON report; ?workload= names what it was scanned for (default: the target), ?stage=build|registry|runtime");

        api.MapPost("/sboms", async (HttpContext context, IServerStore store, ServerMetrics metrics, TimeProvider clock, string? workload, CancellationToken ct) =>
        {
            if (Validate.Name(workload, "workload") is { } bad) return bad;
            var (format, packages) = await SbomParser.ParseAsync(context.Request.Body, ct);
            var id = await store.IngestSbomAsync(new SbomIngest(workload!, format, Now(clock), Caller(context).Actor, packages), ct);
            metrics.Ingested("sboms", 1);
            return Results.Ok(new { sbomId = id, format, packages = packages.Count });
        }).Allow(Uploaders).Accepts<JsonElement>("application/json").WithSummary("Uploads a CycloneDX or SPDX JSON SBOM for ?workload=");

        api.MapPost("/agent/batches", async (HttpContext context, IServerStore store, ServerMetrics metrics, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
        {
            var agent = Caller(context).Name;
            var batchId = context.Request.Headers["X-ZeroDrift-Batch"].ToString();
            if (batchId.Length is 0 or > 100 || !batchId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                return Problem.Result(StatusCodes.Status400BadRequest, "X-ZeroDrift-Batch must be 1 to 100 letters, digits, '-', '_' or '.'");
            var now = Now(clock);
            var batch = await AgentBatchParser.ParseAsync(context.Request.Body, now, ct);
            var result = await store.IngestAgentBatchAsync(agent, batchId, batch, now, ct);
            // Which transport agents really use (HTTP/2 unless a proxy in between speaks only HTTP/1.1).
            metrics.Ingested(context.Request.Protocol == "HTTP/2" ? "agent_batches_http2" : "agent_batches_http1", 1);
            if (result.Duplicate) metrics.Ingested("duplicate_batches", 1);
            else
            {
                metrics.Ingested("events", batch.Events.Count);
                metrics.Ingested("alerts", result.NewAlerts);
                metrics.Ingested("containers", batch.Containers.Count);
                metrics.Ingested("hosts", batch.Hosts.Count);
                metrics.Ingested("profiles", batch.Profiles.Count);
                if (result.NewAlerts > 0) live.Publish("incidents");
                if (batch.Containers.Count + batch.Hosts.Count + batch.Profiles.Count > 0) live.Publish("assets");
            }
            var commands = await store.DispatchCommandsAsync(agent, Now(clock), ct);
            return Results.Ok(new BatchAnswer(result.Records, result.Duplicate, [.. commands.Select(View)]));
        }).Allow(Roles.Agent).Accepts<string>("application/x-ndjson")
          .WithSummary("Agent channel: an NDJSON batch of host, container, event, alert and profile records (versioned, docs/server.md), stored once per X-ZeroDrift-Batch; answers the agent's pending commands");

        api.MapGet("/agent/commands", async (HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
            Results.Ok((await store.DispatchCommandsAsync(Caller(context).Name, Now(clock), ct)).Select(View))).Allow(Roles.Agent);

        api.MapPost("/agent/commands/{id:long}/done", async (long id, CommandOutcome body, HttpContext context, IServerStore store, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
        {
            if (body.Outcome is not ("done" or "failed")) return Problem.Result(StatusCodes.Status400BadRequest, "outcome must be done or failed");
            if (!await store.CompleteCommandAsync(Caller(context).Name, id, body.Outcome, Now(clock), ct)) return Problem.Result(StatusCodes.Status404NotFound, $"no open command {id} for this agent");
            live.Publish("incidents");
            return Results.NoContent();
        }).Allow(Roles.Agent);
    }

    private static ServerCommand View(AgentCommand c) => new(c.Id, c.Kind, c.Target, JsonDocument.Parse(c.Payload).RootElement.Clone());

    // ---- assets, risks, numbers ------------------------------------------------------------------------------

    private static void MapAssets(RouteGroupBuilder api)
    {
        api.MapGet("/assets/hosts", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.HostsAsync(ct)))
            .Allow(Readers).WithSummary("Nodes with an agent: its name, containers running, and how it enforces Protect (kernel, user-space: best effort, none) and why");
        api.MapGet("/assets/containers", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.ContainersAsync(ct))).Allow(Readers);
        api.MapGet("/assets/images", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.ImagesAsync(ct))).Allow(Readers);
        api.MapGet("/assets/workloads", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.WorkloadsAsync(ct))).Allow(Readers);
        api.MapGet("/profiles", async (IServerStore store, CancellationToken ct) =>
            Results.Ok((await store.ProfilesAsync(ct)).Select(p => new { p.Workload, p.Mode, Profile = JsonDocument.Parse(p.Body).RootElement.Clone(), p.UpdatedAt }))).Allow(Readers);
        api.MapGet("/profiles/diff", async (IServerStore store, string? workload, CancellationToken ct) =>
            Validate.Name(workload, "workload") ?? (await ProfileAnalysis.DiffAsync(store, workload!, ct) is { } diff ? Results.Ok(diff) : Problem.Result(StatusCodes.Status404NotFound, $"no profile for workload {workload}")))
            .Allow(Readers).WithSummary("What Protect would block for ?workload=: observed executables and files outside its learned profile");
        api.MapGet("/graph", async (IServerStore store, CancellationToken ct) => Results.Ok(await ProfileAnalysis.GraphAsync(store, ct)))
            .Allow(Readers).WithSummary("The service graph from the learned network models");
        api.MapGet("/risks", async (IServerStore store, int? limit, CancellationToken ct) => Results.Ok(await RiskRanker.RankAsync(store, Math.Clamp(limit ?? 200, 1, 5000), ct)))
            .Allow(Readers).WithSummary("Open vulnerabilities ranked with runtime context, each with the reasons for its rank");
        api.MapGet("/findings", async (IServerStore store, string? @class, int? limit, CancellationToken ct) =>
            @class is null or "secret" or "pii" or "misconfig"
                ? Results.Ok(await store.OpenContentFindingsAsync(@class, Math.Clamp(limit ?? 200, 1, 5000), ct))
                : Problem.Result(StatusCodes.Status400BadRequest, "class must be secret, pii or misconfig"))
            .Allow(Readers).WithSummary("Open secrets (redacted), personal data (masked) and misconfigurations from uploaded scans, most severe first; ?class= narrows");
        api.MapGet("/admission", async (IServerStore store, string? decision, int? limit, CancellationToken ct) =>
            decision is null or "allowed" or "denied"
                ? Results.Ok(await store.AdmissionDecisionsAsync(decision is null ? null : decision == "allowed", Math.Clamp(limit ?? 200, 1, 5000), ct))
                : Problem.Result(StatusCodes.Status400BadRequest, "decision must be allowed or denied"))
            .Allow(Readers).WithSummary("Decisions of the hosted admission webhook, newest first; ?decision=denied lists the deployments it stopped");
        api.MapGet("/numbers", async (IServerStore store, TimeProvider clock, int? days, CancellationToken ct) =>
        {
            var since = days is > 0 ? (clock.GetUtcNow() - TimeSpan.FromDays(Math.Min(days.Value, 3650))).ToUnixTimeMilliseconds() : 0;
            return Results.Ok(SeedNumbers.From(await store.SeedFactsAsync(since, ct)));
        }).Allow(Readers).WithSummary("The seed's numbers over the last ?days= (default: all), with daily and weekly trends");

        api.MapPost("/workloads/mode", async (ModeRequest request, HttpContext context, IServerStore store, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(request.Workload, "workload") is { } bad) return bad;
            if (request.Mode is not { } mode || !AgentBatchParser.Modes.Contains(mode)) return Problem.Result(StatusCodes.Status400BadRequest, "mode must be learn, monitor or protect");
            if (!await store.SetWorkloadModeAsync(request.Workload!, mode, Now(clock), ct)) return Problem.Result(StatusCodes.Status404NotFound, $"no workload {request.Workload}");
            var actor = Caller(context).Actor;
            var hosts = (await store.ContainersAsync(ct)).Where(x => x.Workload == request.Workload && x.State == "running").Select(x => x.Host).ToHashSet(StringComparer.Ordinal);
            var agents = (await store.HostsAsync(ct)).Where(h => hosts.Contains(h.Name)).Select(h => h.Agent).Distinct(StringComparer.Ordinal).ToList();
            WireEnumConverter<WorkloadMode>.TryParse(mode, out var wanted);
            var payload = JsonSerializer.Serialize(new SetModePayload(request.Workload!, wanted), AgentRecordJson.Default.SetModePayload);
            foreach (var agent in agents)
                await store.CreateCommandAsync(agent, "set-mode", request.Workload!, payload, null, actor, false, Now(clock), ct);
            await store.AuditAsync(actor, "workload.mode", request.Workload!, $"{mode}; sent to {agents.Count} agent(s)", Now(clock), ct);
            live.Publish("assets");
            return Results.Ok(new { workload = request.Workload, mode, agents });
        }).Allow(Roles.Admin).WithSummary("Switches a workload to learn, monitor or protect and sends set-mode to the agents running it");
    }

    // ---- incidents, playbooks, commands ----------------------------------------------------------------------

    private static void MapIncidents(RouteGroupBuilder api)
    {
        api.MapGet("/incidents", async (IServerStore store, string? state, int? limit, CancellationToken ct) =>
            Results.Ok(await store.IncidentsAsync(state, Math.Clamp(limit ?? 200, 1, 5000), ct))).Allow(Readers);
        api.MapGet("/incidents/{id:long}", async (long id, IServerStore store, CancellationToken ct) =>
            await store.IncidentAsync(id, ct) is { } incident
                ? Results.Ok(new IncidentDetail(incident, await store.TimelineAsync(id, ct)))
                : Problem.Result(StatusCodes.Status404NotFound, $"no incident {id}")).Allow(Readers);
        api.MapPost("/incidents/{id:long}/transition", async (long id, TransitionRequest request, HttpContext context, IServerStore store, LiveFeed live, TimeProvider clock, CancellationToken ct) =>
        {
            if (request.State is not ("acknowledged" or "contained" or "resolved")) return Problem.Result(StatusCodes.Status400BadRequest, "state must be acknowledged, contained or resolved");
            var note = request.Note ?? "";
            if (note.Length > 2000) return Problem.Result(StatusCodes.Status400BadRequest, "note is at most 2000 characters");
            var actor = Caller(context).Actor;
            if (await store.IncidentAsync(id, ct) is null) return Problem.Result(StatusCodes.Status404NotFound, $"no incident {id}");
            if (!await store.TransitionIncidentAsync(id, request.State, actor, note, Now(clock), ct))
                return Problem.Result(StatusCodes.Status409Conflict, $"incident {id} cannot move to {request.State} from where it is");
            await store.AuditAsync(actor, "incident." + request.State, id.ToString(System.Globalization.CultureInfo.InvariantCulture), note, Now(clock), ct);
            live.Publish("incidents");
            return Results.NoContent();
        }).Allow(Roles.Admin);

        api.MapGet("/playbooks", async (IServerStore store, CancellationToken ct) => Results.Ok(await store.PlaybooksAsync(ct))).Allow(Readers);
        api.MapPost("/playbooks", async (PlaybookRequest request, HttpContext context, IServerStore store, TimeProvider clock, CancellationToken ct) =>
        {
            if (Validate.Name(request.Name, "name") is { } bad) return bad;
            if (request.RuleContains is not { Length: > 0 and <= 200 }) return Problem.Result(StatusCodes.Status400BadRequest, "ruleContains: the text an alert's rule must contain (1 to 200 characters)");
            var severity = request.MinSeverity ?? "high";
            if (!AgentBatchParser.Severities.Contains(severity)) return Problem.Result(StatusCodes.Status400BadRequest, "minSeverity must be critical, high, medium, low or info");
            if (request.Action is not { } action || !PlaybookActions.Contains(action)) return Problem.Result(StatusCodes.Status400BadRequest, "action must be kill, pause, protect, quarantine or patch-image");
            var id = await store.CreatePlaybookAsync(request.Name!, request.RuleContains, severity, action, Caller(context).Actor, Now(clock), ct);
            await store.AuditAsync(Caller(context).Actor, "playbook.create", request.Name!, action == "patch-image"
                ? $"patch-image when a registry scan finds a fixable OS vulnerability whose id or package contains \"{request.RuleContains}\" at {severity} or above"
                : $"{action} when rule contains \"{request.RuleContains}\" at {severity} or above", Now(clock), ct);
            return Results.Created($"/api/v1/playbooks/{id}", new Created(id));
        }).Allow(Roles.Admin);
        api.MapGet("/commands", async (IServerStore store, int? limit, CancellationToken ct) => Results.Ok((await store.CommandsAsync(Math.Clamp(limit ?? 200, 1, 5000), ct)))).Allow(Readers);

        api.MapGet("/live", async (HttpContext context, LiveFeed live, CancellationToken ct) =>
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-store";
            var (reader, subscription) = live.Subscribe();
            using (subscription)
            {
                await context.Response.WriteAsync(": connected\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
                using var heartbeat = new PeriodicTimer(TimeSpan.FromSeconds(15));
                var tick = heartbeat.WaitForNextTickAsync(ct).AsTask();
                try
                {
                    while (!ct.IsCancellationRequested)
                    {
                        var next = reader.WaitToReadAsync(ct).AsTask();
                        if (await Task.WhenAny(next, tick) == tick)
                        {
                            await context.Response.WriteAsync(": heartbeat\n\n", ct);
                            tick = heartbeat.WaitForNextTickAsync(ct).AsTask();
                        }
                        else if (!await next) break;
                        while (reader.TryRead(out var topic)) await context.Response.WriteAsync($"event: change\ndata: {topic}\n\n", ct);
                        await context.Response.Body.FlushAsync(ct);
                    }
                }
                catch (OperationCanceledException) { }
            }
        }).Allow(Readers).WithSummary("Server-Sent Events: 'change' with the topic (risks, incidents, assets) when stored data changes");
    }
}

internal static class Validate
{
    public static IResult? Name(string? value, string field) =>
        value is { Length: > 0 and <= 200 } && !value.Any(char.IsControl) ? null
        : Problem.Result(StatusCodes.Status400BadRequest, $"{field} must be 1 to 200 characters without control characters");
}
