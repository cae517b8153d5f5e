using System.Net.Http.Headers;
using System.Text;
using ZeroDrift.Core;

namespace ZeroDrift.DynamicTesting;

/// <summary>One HTTP exchange the test made: what was asked, what came back (body bounded).</summary>
public sealed record HttpExchange(string Method, string Path, int Status, IReadOnlyDictionary<string, string> Headers, string Body, string? Error = null)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public bool IsHtml => Header("content-type")?.Contains("html", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>Sends requests to the sandbox with bounded time and bounded bodies; never follows redirects (a redirect is a response to judge).</summary>
public sealed class HttpDriver(Uri baseUri) : IDisposable
{
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(3) })
    {
        BaseAddress = baseUri,
        Timeout = TimeSpan.FromSeconds(5),
    };

    public Uri BaseUri => baseUri;

    public List<HttpExchange> Exchanges { get; } = [];

    public async Task<HttpExchange> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null, AuthenticationHeaderValue? authorization = null, CancellationToken token = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(pathAndQuery, UriKind.Relative)) { Content = content };
        if (authorization is not null) request.Headers.Authorization = authorization;
        HttpExchange exchange;
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            // As sent (not parsed into product tokens: "Apache/2.4.41 (Ubuntu)" stays one string).
            foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
                headers[name.ToLowerInvariant()] = values.ToString();
            exchange = new HttpExchange(method.Method, pathAndQuery, (int)response.StatusCode, headers, await ReadBoundedAsync(response.Content, token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !token.IsCancellationRequested)
        {
            exchange = new HttpExchange(method.Method, pathAndQuery, 0, new Dictionary<string, string>(), "", e.Message);
        }
        Exchanges.Add(exchange);
        return exchange;
    }

    public Task<HttpExchange> GetAsync(string pathAndQuery, CancellationToken token = default) => SendAsync(HttpMethod.Get, pathAndQuery, null, null, token);

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken token)
    {
        await using var stream = await content.ReadAsStreamAsync(token).ConfigureAwait(false);
        var buffer = new byte[MaxBodyBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), token).ConfigureAwait(false)) > 0) total += read;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>Waits until the port accepts a connection (any HTTP answer), at most <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !token.IsCancellationRequested)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
                attempt.CancelAfter(TimeSpan.FromSeconds(1));
                await client.ConnectAsync(baseUri.Host, baseUri.Port, attempt.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException && !token.IsCancellationRequested)
            {
                await Task.Delay(200, token).ConfigureAwait(false);
            }
        }
        return false;
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>
/// A baseline check of the HTTP surface, in the spirit of ZAP's baseline scan: passive checks of every response the
/// test saw (security headers, version disclosure, directory listings), and a few active requests of its own (an
/// error page provoked, input reflected, default credentials on well-known admin paths). Each finding names the
/// requests that show it.
/// </summary>
public static class HttpBaseline
{
    /// <summary>Admin paths that commonly sit behind HTTP basic authentication with a vendor's default account.</summary>
    internal static readonly string[] AdminPaths = ["/admin", "/admin/", "/manager/html", "/login", "/administrator", "/phpmyadmin/", "/console"];

    /// <summary>Vendors' default accounts (Tomcat's manager, routers, admin consoles).</summary>
    internal static readonly (string User, string Password)[] DefaultCredentials =
        [("admin", "admin"), ("admin", "password"), ("admin", ""), ("tomcat", "tomcat"), ("tomcat", "s3cret"), ("root", "root"), ("admin", "1234")];

    /// <summary>What a stack trace or a framework's debug page looks like in a response body.</summary>
    internal static readonly string[] DebugMarkers =
    [
        "Traceback (most recent call last)", "Werkzeug Debugger", "Exception in thread \"", "\tat java.", "at java.lang.", "Whitelabel Error Page",
        "System.NullReferenceException", "   at System.", "goroutine 1 [running]", "panic: runtime error", "<b>Fatal error</b>:", "<b>Warning</b>:  ",
        "ActionController::RoutingError", "DEBUG = True", "Stack trace:", "node:internal/", "at Object.<anonymous>", "django.core.exceptions",
    ];

    /// <summary>Runs the active requests through <paramref name="http"/>, then judges every exchange it made so far.</summary>
    public static async Task<IReadOnlyList<TestFinding>> CheckAsync(HttpDriver http, CancellationToken token)
    {
        if (!http.Exchanges.Any(e => e.Path == "/")) await http.GetAsync("/", token).ConfigureAwait(false);
        var marker = "zd" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        // An error provoked: a path that cannot exist, with characters that break naive parsers.
        var error = await http.GetAsync($"/{marker}-missing/%27%22%3C%25", token).ConfigureAwait(false);
        // Reflected input: a query parameter whose value would be markup if written back unescaped.
        var payload = $"{marker}<x>\"'";
        var reflected = await http.GetAsync($"/?q={Uri.EscapeDataString(payload)}&{marker}={Uri.EscapeDataString(payload)}", token).ConfigureAwait(false);
        var reflectedPath = await http.GetAsync($"/{Uri.EscapeDataString(payload)}", token).ConfigureAwait(false);
        var findings = new List<TestFinding>();
        foreach (var probe in new[] { reflected, reflectedPath })
            if (probe.Body.Contains($"{marker}<x>", StringComparison.Ordinal))
            {
                findings.Add(new TestFinding(FindingKind.Http, "ZD-HTTP-008", Severity.High, "Input reflected unescaped",
                    "A request's input came back in the response as markup (a reflected cross-site scripting candidate).", $"{probe.Method} {probe.Path} -> {probe.Status}"));
                break;
            }
        findings.AddRange(await DefaultCredentialsAsync(http, token).ConfigureAwait(false));
        findings.AddRange(Passive(http.Exchanges, error));
        return findings;
    }

    private static async Task<List<TestFinding>> DefaultCredentialsAsync(HttpDriver http, CancellationToken token)
    {
        var findings = new List<TestFinding>();
        foreach (var path in AdminPaths)
        {
            var challenge = await http.GetAsync(path, token).ConfigureAwait(false);
            if (challenge.Status != 401 || challenge.Header("www-authenticate")?.StartsWith("basic", StringComparison.OrdinalIgnoreCase) != true) continue;
            foreach (var (user, password) in DefaultCredentials)
            {
                var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
                var answer = await http.SendAsync(HttpMethod.Get, path, null, auth, token).ConfigureAwait(false);
                if (answer.Status is >= 200 and < 400)
                {
                    findings.Add(new TestFinding(FindingKind.Http, "ZD-HTTP-009", Severity.High, "Default credentials accepted",
                        $"{path} asks for basic authentication and accepts the default account {user}:{(password.Length == 0 ? "(empty)" : password)}.", $"GET {path} -> 401, with {user} -> {answer.Status}"));
                    break;
                }
            }
        }
        return findings;
    }

    /// <summary>The passive checks, one finding per check listing the requests that show it.</summary>
    internal static IEnumerable<TestFinding> Passive(IReadOnlyList<HttpExchange> exchanges, HttpExchange? provokedError)
    {
        var answered = exchanges.Where(e => e.Status > 0).ToList();
        var ok = answered.Where(e => e.Status is >= 200 and < 300).ToList();
        TestFinding? Each(IEnumerable<HttpExchange> showing, string id, Severity severity, string title, string detail, Func<HttpExchange, string>? evidence = null)
        {
            var list = showing.ToList();
            if (list.Count == 0) return null;
            var shown = string.Join("; ", list.Select(e => $"{e.Method} {e.Path} -> {e.Status}" + (evidence is null ? "" : " " + evidence(e))).Distinct().Take(5));
            return new TestFinding(FindingKind.Http, id, severity, title, detail, shown + (list.Count > 5 ? $" (and {list.Count - 5} more)" : ""));
        }
        var checks = new[]
        {
            Each(ok.Where(e => !string.Equals(e.Header("x-content-type-options"), "nosniff", StringComparison.OrdinalIgnoreCase)),
                "ZD-HTTP-001", Severity.Low, "X-Content-Type-Options header missing", "Responses lack 'X-Content-Type-Options: nosniff': browsers may sniff content into another type."),
            Each(ok.Where(e => e.IsHtml && e.Header("x-frame-options") is null && e.Header("content-security-policy")?.Contains("frame-ancestors", StringComparison.OrdinalIgnoreCase) != true),
                "ZD-HTTP-002", Severity.Medium, "Anti-clickjacking header missing", "HTML responses carry neither X-Frame-Options nor a Content-Security-Policy with frame-ancestors."),
            Each(ok.Where(e => e.IsHtml && e.Header("content-security-policy") is null),
                "ZD-HTTP-003", Severity.Medium, "Content-Security-Policy header missing", "HTML responses carry no Content-Security-Policy."),
            Each(answered.Where(e => e.Header("server") is { } s && s.Any(char.IsAsciiDigit)),
                "ZD-HTTP-004", Severity.Low, "Server version disclosed", "The Server header names the server's version.", e => "Server: " + e.Header("server")),
            Each(answered.Where(e => e.Header("x-powered-by") is not null),
                "ZD-HTTP-005", Severity.Low, "X-Powered-By discloses the technology", "The X-Powered-By header names the framework (and often its version).", e => "X-Powered-By: " + e.Header("x-powered-by")),
            Each(ok.Where(e => e.Body.Contains("<title>Index of /", StringComparison.OrdinalIgnoreCase) || e.Body.Contains("Directory listing for /", StringComparison.OrdinalIgnoreCase)),
                "ZD-HTTP-006", Severity.Medium, "Directory listing", "A directory's contents are listed to anyone."),
            Each(answered.Where(e => e.Status >= 400 || e == provokedError).Where(e => DebugMarkers.Any(m => e.Body.Contains(m, StringComparison.Ordinal))),
                "ZD-HTTP-007", Severity.Medium, "Stack trace or debug page in an error response", "An error response shows a stack trace or a framework's debug page.",
                e => "'" + DebugMarkers.First(m => e.Body.Contains(m, StringComparison.Ordinal)).Trim() + "'"),
        };
        return checks.OfType<TestFinding>();
    }
}
