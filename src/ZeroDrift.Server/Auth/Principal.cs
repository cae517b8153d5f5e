using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Auth;

/// <summary>Who is calling: a person with a console session (admin, viewer) or an API token (agent, ci, viewer).</summary>
public sealed record Principal(string Name, string Role, bool IsSession, string? Csrf = null)
{
    /// <summary>What the audit log and timelines name: the user, or token:NAME.</summary>
    public string Actor => IsSession ? Name : $"token:{Name}";
}

/// <summary>
/// Resolves the caller before any endpoint runs: a bearer token, else the session cookie. Every /api/ and
/// /metrics request without one is refused with 401; a session's state-changing request without the
/// matching X-CSRF-Token header is refused with 403 (tokens are not sent by browsers on their own, so they need none).
/// </summary>
public sealed class AuthMiddleware(RequestDelegate next, IServerStore store, TimeProvider clock)
{
    public const string SessionCookie = "zd_session";
    public const string CsrfHeader = "X-CSRF-Token";
    private const string ItemKey = "zerodrift.principal";

    public static Principal? Get(HttpContext context) => context.Items.TryGetValue(ItemKey, out var p) ? p as Principal : null;

    private static readonly string[] Public = ["/api/v1/login"];

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var guarded = path.StartsWith("/api/", StringComparison.Ordinal) || path == "/metrics";
        if (!guarded)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var principal = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null && !Public.Contains(path))
        {
            await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "authentication required: a bearer API token or a console session").ConfigureAwait(false);
            return;
        }
        if (principal is { IsSession: true } && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(context.Request.Headers[CsrfHeader].ToString()), System.Text.Encoding.UTF8.GetBytes(principal.Csrf ?? "")))
        {
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, "missing or wrong X-CSRF-Token header").ConfigureAwait(false);
            return;
        }
        if (principal is not null) context.Items[ItemKey] = principal;
        await next(context).ConfigureAwait(false);
    }

    private async Task<Principal?> AuthenticateAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            if (token.Length is 0 or > 200) return null;
            var record = await store.FindTokenAsync(Secrets.Digest(token), context.RequestAborted).ConfigureAwait(false);
            return record is { RevokedAt: null } ? new Principal(record.Name, record.Role, IsSession: false) : null;
        }
        if (context.Request.Cookies.TryGetValue(SessionCookie, out var session) && session.Length is > 0 and <= 200)
        {
            var record = await store.FindSessionAsync(Secrets.Digest(session), clock.GetUtcNow().ToUnixTimeMilliseconds(), context.RequestAborted).ConfigureAwait(false);
            return record is null ? null : new Principal(record.UserName, record.Role, IsSession: true, record.Csrf);
        }
        return null;
    }
}

/// <summary>Errors as one JSON object: {"error": "…"}, the line a client shows.</summary>
public static class Problem
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorBody(message));
    }

    public static IResult Result(int status, string message) => Results.Json(new ErrorBody(message), statusCode: status);
}

public sealed record ErrorBody(string Error);

/// <summary>Endpoint filter: only these roles may call the endpoint (403 otherwise).</summary>
public static class RoleRequirement
{
    public static TBuilder Allow<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var principal = Get(context.HttpContext);
            if (principal is null) return Problem.Result(StatusCodes.Status401Unauthorized, "authentication required");
            if (!roles.Contains(principal.Role)) return Problem.Result(StatusCodes.Status403Forbidden, $"the {principal.Role} role may not do this");
            return await next(context).ConfigureAwait(false);
        });

    private static Principal? Get(HttpContext context) => AuthMiddleware.Get(context);
}
