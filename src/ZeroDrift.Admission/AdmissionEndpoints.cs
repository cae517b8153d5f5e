using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZeroDrift.Admission;

/// <summary>
/// The webhook's HTTP surface: <c>POST /validate</c>, <c>POST /mutate</c>, <c>GET /healthz</c>. <see cref="Map"/> adds them to
/// any ASP.NET Core host (the ZeroDrift server can host them); <see cref="AdmissionServer"/> runs them alone.
/// </summary>
public static class AdmissionEndpoints
{
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder routes, AdmissionHandler handler, string prefix = "")
    {
        routes.MapPost(prefix + "/validate", (HttpContext context) => HandleAsync(context, handler, mutate: false));
        routes.MapPost(prefix + "/mutate", (HttpContext context) => HandleAsync(context, handler, mutate: true));
        routes.MapGet(prefix + "/healthz", () => Results.Text("ok\n"));
        return routes;
    }

    /// <summary>Reads at most the limit (plus one byte to notice more), so an oversized review is answered, not buffered whole.</summary>
    private static async Task HandleAsync(HttpContext context, AdmissionHandler handler, bool mutate)
    {
        var limit = handler.Options.MaxRequestBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 1 << 16));
        var length = 0;
        try
        {
            var body = context.Request.Body;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit) break;
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
                if (length > limit) break;
            }
            var answer = length > limit
                ? AdmissionHandler.TooLarge(buffer.AsSpan(0, length), limit)
                : mutate
                    ? await handler.MutateAsync(buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false)
                    : await handler.ValidateAsync(buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            // Kestrel's own limits (a body over MaxRequestBodySize, a broken chunked encoding): answer, do not crash.
            var answer = AdmissionHandler.TooLarge(buffer.AsSpan(0, length), limit);
            context.Response.StatusCode = e.StatusCode == 413 ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(answer, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A standalone HTTPS server for the webhook (Kestrel), for <c>zerodrift admission</c>.</summary>
public sealed class AdmissionServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdmissionServer(WebApplication app) => _app = app;

    public IReadOnlyList<string> Addresses => _app.Urls.ToList();

    /// <summary>Listens on <paramref name="listen"/> (<c>host:port</c>, <c>:port</c> for all interfaces) with the PEM certificate and key.</summary>
    public static async Task<AdmissionServer> StartAsync(AdmissionHandler handler, string listen, string certificatePem, string keyPem, CancellationToken cancellationToken)
    {
        var endpoint = ParseEndpoint(listen);
        X509Certificate2 certificate;
        try
        {
            using var loaded = X509Certificate2.CreateFromPemFile(certificatePem, keyPem);
            // Kestrel on Linux needs the key in a form SslStream can use: re-import as PKCS#12 in memory.
            certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new Supply.SupplyException($"TLS certificate {certificatePem} / key {keyPem}: {e.Message}", e);
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The handler enforces the admission limit itself (to answer with a deny); Kestrel's cap is a backstop.
            kestrel.Limits.MaxRequestBodySize = (long)handler.Options.MaxRequestBytes * 2;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Listen(endpoint, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificate);
            });
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        AdmissionEndpoints.Map(app, handler);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new AdmissionServer(app);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    public static IPEndPoint ParseEndpoint(string listen)
    {
        var colon = listen.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(listen[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new Supply.SupplyException($"--listen '{listen}': expected host:port (e.g. 0.0.0.0:8443 or 127.0.0.1:8443)");
        var host = listen[..colon].Trim('[', ']');
        var address = host.Length == 0 ? IPAddress.Any : host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var a) ? a
            : throw new Supply.SupplyException($"--listen '{listen}': '{host}' is not an IP address");
        return new IPEndPoint(address, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
