using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ZeroDrift.Server.Api;

/// <summary>The web console: static files embedded in this assembly, served with a strict Content-Security-Policy (nothing from elsewhere).</summary>
internal static class ConsoleFiles
{
    private static readonly Assembly Assembly = typeof(ConsoleFiles).Assembly;
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).ExcludeFromDescription();
        app.MapGet("/console/{file}", (HttpContext context, string file) => Serve(context, file)).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)) return Results.NotFound();
        var stream = Assembly.GetManifestResourceStream("console/" + file);
        if (stream is null) return Results.NotFound();
        context.Response.Headers.ContentSecurityPolicy = Csp;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var type = Path.GetExtension(file) switch { ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8", ".svg" => "image/svg+xml", _ => "application/octet-stream" };
        return Results.Stream(stream, type);
    }
}
