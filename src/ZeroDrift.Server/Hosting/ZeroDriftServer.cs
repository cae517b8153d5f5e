using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZeroDrift.Server.Api;
using ZeroDrift.Server.Auth;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Metrics;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Hosting;

/// <summary>
/// <c>zerodrift server</c>: opens and migrates the store, makes sure an admin exists, then serves the API, the
/// metrics and the console on Kestrel. <see cref="StartAsync"/> returns once it listens and /healthz answers 200.
/// </summary>
public sealed class ZeroDriftServer : IAsyncDisposable
{
    internal const string LoginRateLimit = "login";
    private readonly WebApplication _app;

    public IServerStore Store { get; }
    public IReadOnlyList<Uri> Addresses { get; }
    public string? GeneratedCertificate { get; }

    /// <summary>True when this start created the first admin from <see cref="ServerOptions.AdminPassword"/> (false: an admin already existed).</summary>
    public bool AdminCreated { get; }

    private ZeroDriftServer(WebApplication app, IServerStore store, IReadOnlyList<Uri> addresses, string? generatedCertificate, bool adminCreated)
    {
        _app = app;
        Store = store;
        Addresses = addresses;
        GeneratedCertificate = generatedCertificate;
        AdminCreated = adminCreated;
    }

    public static async Task<ZeroDriftServer> StartAsync(ServerOptions options, CancellationToken ct)
    {
        var listen = ParseListen(options.Listen);
        var dataDirectory = StoreFactory.DataDirectory(options.DataDirectory);
        var db = options.Db ?? Path.Combine(dataDirectory, "server.db");
        // The data directory holds the TLS key and the database (password hashes): its owner only.
        if (!Directory.Exists(dataDirectory))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataDirectory);
            else Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        (string Cert, string Key)? tls = null;
        string? generated = null;
        if (listen.Scheme == Uri.UriSchemeHttps)
        {
            if ((options.TlsCertificate is null) != (options.TlsKey is null)) throw new ServerConfigurationException("--tls-cert and --tls-key go together");
            if (options.TlsCertificate is not null)
            {
                foreach (var f in new[] { options.TlsCertificate, options.TlsKey! })
                    if (!File.Exists(f)) throw new ServerConfigurationException($"{f}: no such file");
                tls = (options.TlsCertificate, options.TlsKey!);
            }
            else
            {
                tls = DevCertificate.Ensure(dataDirectory, listen.Host);
                generated = tls.Value.Cert;
            }
        }
        else if (options.TlsCertificate is not null) throw new ServerConfigurationException("--tls-cert needs an https:// --listen address");

        X509Certificate2? certificate = null;
        if (tls is { } t)
        {
            try { certificate = X509Certificate2.CreateFromPemFile(t.Cert, t.Key); }
            catch (System.Security.Cryptography.CryptographicException e) { throw new ServerConfigurationException($"cannot load the TLS certificate {t.Cert} with key {t.Key}: {e.Message}"); }
        }

        var store = StoreFactory.Open(db);
        try
        {
            var adminCreated = await PrepareStoreAsync(store, options, ct).ConfigureAwait(false);
            var app = Build(store, options, listen, certificate);
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new ServerConfigurationException($"cannot listen on {options.Listen}: {e.Message}");
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).ToList();
            return new ZeroDriftServer(app, store, addresses, generated, adminCreated);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<bool> PrepareStoreAsync(IServerStore store, ServerOptions options, CancellationToken ct)
    {
        try
        {
            await store.MigrateAsync(ct).ConfigureAwait(false);
            if (options.AdminPassword is { } password)
            {
                if (password.Length < 12) throw new ServerConfigurationException("ZERODRIFT_ADMIN_PASSWORD must be at least 12 characters");
                return await store.EnsureAdminAsync(options.AdminName, Secrets.HashPassword(password), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
            }
            if (!(await store.ListUsersAsync(ct).ConfigureAwait(false)).Any(u => u.Role == Roles.Admin))
                throw new ServerConfigurationException("no admin exists yet: set ZERODRIFT_ADMIN_PASSWORD (at least 12 characters) for the first start");
            return false;
        }
        catch (System.Data.Common.DbException e)
        {
            throw new ServerConfigurationException($"cannot open the database: {e.Message.Split('\n')[0]}");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ServerConfigurationException($"cannot reach the database: {e.Message}");
        }
    }

    /// <summary>The --listen address as the server accepts it (https:// or http://, HOST:PORT, no path), else one line.</summary>
    public static Uri ParseListen(string listen)
    {
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.AbsolutePath != "/")
            throw new ServerConfigurationException($"--listen {listen}: expected https://HOST:PORT or http://HOST:PORT");
        return uri;
    }

    private static WebApplication Build(IServerStore store, ServerOptions options, Uri listen, X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64L * 1024 * 1024;
            // Agent batches are around a megabyte: HTTP/2 windows that size let one go without waiting for window updates.
            k.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            k.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            void Configure(ListenOptions o)
            {
                o.Protocols = HttpProtocols.Http1AndHttp2;
                if (certificate is not null) o.UseHttps(certificate);
            }
            var port = listen.Port;
            if (listen.Host is "localhost") k.ListenLocalhost(port, Configure);
            else if (listen.Host is "0.0.0.0" or "*" or "+" or "[::]") k.ListenAnyIP(port, Configure);
            else if (IPAddress.TryParse(listen.Host.Trim('[', ']'), out var ip)) k.Listen(ip, port, Configure);
            else throw new ServerConfigurationException($"--listen {listen}: use an IP address, localhost or 0.0.0.0");
        });
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddSingleton(new SessionSettings(options.SessionLifetime ?? TimeSpan.FromHours(12)));
        builder.Services.AddSingleton(new AuditSettings(options.Audit));
        builder.Services.AddOpenApi("v1");
        // Password guessing: ten login attempts a minute per client address, then 429.
        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(LoginRateLimit, context => System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = (context, _) => new ValueTask(Problem.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "too many login attempts: wait a minute"));
        });
        builder.Services.AddSingleton<Remediation.RemediationSignal>();
        if (options.ImagePatch is { } patching)
        {
            builder.Services.AddSingleton(patching);
            builder.Services.AddHostedService<Remediation.ImagePatchWorker>();
        }
        if (options.Nats is { } nats)
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<NatsIngestor>(sp, nats));
        if (options.CloudTrailDirectory is { } trail)
        {
            if (options.Audit is null) throw new ServerConfigurationException("--cloudtrail-dir needs --audit-rules (the aws_cloudtrail rules that judge the files)");
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<CloudTrailFolderIngestor>(sp, Path.GetFullPath(trail), Path.Combine(StoreFactory.DataDirectory(options.DataDirectory), "cloudtrail-dir.read")));
        }
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (IngestException e)
            {
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
            }
            catch (StoreNotFoundException e)
            {
                await Problem.WriteAsync(context, StatusCodes.Status404NotFound, e.Message).ConfigureAwait(false);
            }
            catch (StoreConflictException e)
            {
                await Problem.WriteAsync(context, StatusCodes.Status409Conflict, e.Message).ConfigureAwait(false);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
            {
                await Problem.WriteAsync(context, e.StatusCode, e.Message).ConfigureAwait(false);
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                metrics.Request(context.Request.Method, route, context.Response.StatusCode);
            }
        });
        app.UseMiddleware<AuthMiddleware>();
        app.UseRateLimiter();
        if (options.Admission is { } admission)
        {
            // The API server authenticates the webhook by its TLS certificate and sends no token: these routes are
            // outside /api/ and need none, like the standalone `zerodrift admission`.
            var recorder = ActivatorUtilities.CreateInstance<Admission.AdmissionRecorder>(app.Services);
            app.UseWhen(c => HttpMethods.IsPost(c.Request.Method) && c.Request.Path.Equals(Admission.AdmissionRecorder.ValidatePath, StringComparison.Ordinal),
                branch => branch.Use(recorder.InvokeAsync));
            ZeroDrift.Admission.AdmissionEndpoints.Map(app, admission, "/admission");
        }
        app.MapOpenApi("/openapi/{documentName}.json");
        ServerEndpoints.Map(app);
        ConsoleFiles.Map(app);
        return app;
    }

    public Task WaitForShutdownAsync(CancellationToken ct) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}

public sealed record SessionSettings(TimeSpan Lifetime);

/// <summary>The audit rules the server judges audit events with; null when started without <c>--audit-rules</c>.</summary>
public sealed record AuditSettings(ZeroDrift.Runtime.Audit.AuditJudge? Judge);
