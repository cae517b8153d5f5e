using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ZeroDrift.Server.Api;

/// <summary>
/// The web console: static files embedded in this assembly (its own modules and CSS, and the npm libraries copied
/// into <c>vendor/</c> at build), served with a strict Content-Security-Policy: nothing from elsewhere, no inline script
/// or style.
/// </summary>
internal static class ConsoleFiles
{
    private static readonly Assembly Assembly = typeof(ConsoleFiles).Assembly;
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    // Vendor files carry their library's version in their name (build-vendor.mjs): a new version is a new URL, so
    // browsers may keep them for good. The console's own files change with the server: revalidated on each load
    // (a 304 by ETag costs a round trip, never a download).
    private const string Immutable = "public, max-age=31536000, immutable";
    private const string Revalidate = "no-cache";

    private static readonly ConcurrentDictionary<string, Resource> Resources = new(StringComparer.Ordinal);

    private sealed record Resource(byte[] Body, string ETag, string ContentType);

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html", Revalidate)).ExcludeFromDescription();
        app.MapGet("/console/{file}", (HttpContext context, string file) => Serve(context, file, Revalidate)).ExcludeFromDescription();
        app.MapGet("/console/vendor/{file}", (HttpContext context, string file) => Serve(context, "vendor/" + file, Immutable)).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, string name, string cacheControl)
    {
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)) return Results.NotFound();
        // Only names the assembly holds are cached, so unknown names cannot grow the cache.
        if (Assembly.GetManifestResourceInfo("console/" + name) is null) return Results.NotFound();
        var resource = Resources.GetOrAdd(name, Load);
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Csp;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = cacheControl;
        headers.ETag = resource.ETag;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == resource.ETag)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(resource.Body, resource.ContentType);
    }

    // Embedded resources never change while the process runs: read and hash each once.
    private static Resource Load(string name)
    {
        using var stream = Assembly.GetManifestResourceStream("console/" + name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        var etag = new EntityTagHeaderValue('"' + Convert.ToHexStringLower(SHA256.HashData(body))[..32] + '"').ToString();
        return new Resource(body, etag, ContentType(name));
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
