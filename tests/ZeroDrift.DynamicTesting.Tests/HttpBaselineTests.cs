using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>
/// The HTTP baseline against a real HTTP server on loopback (HttpListener): one that does everything ZAP's baseline
/// warns about raises each check once; one that sends the security headers and escapes its input raises none.
/// </summary>
public sealed class HttpBaselineTests
{
    [Fact]
    public async Task A_careless_server_raises_every_check_with_the_requests_that_show_it()
    {
        using var server = new TestServer(careless: true);
        using var http = new HttpDriver(server.Uri);
        await http.GetAsync("/files/");
        var findings = await HttpBaseline.CheckAsync(http, CancellationToken.None);

        Assert.Equal(["ZD-HTTP-001", "ZD-HTTP-002", "ZD-HTTP-003", "ZD-HTTP-004", "ZD-HTTP-005", "ZD-HTTP-006", "ZD-HTTP-007", "ZD-HTTP-008", "ZD-HTTP-009"],
            findings.Select(f => f.Id).Order(StringComparer.Ordinal));
        Assert.Contains("Server: Apache/2.4.41 (Ubuntu)", findings.Single(f => f.Id == "ZD-HTTP-004").Evidence, StringComparison.Ordinal);
        Assert.Contains("X-Powered-By: PHP/7.4.3", findings.Single(f => f.Id == "ZD-HTTP-005").Evidence, StringComparison.Ordinal);
        Assert.StartsWith("GET /files/ -> 200", findings.Single(f => f.Id == "ZD-HTTP-006").Evidence, StringComparison.Ordinal);
        Assert.Contains("'Traceback (most recent call last)'", findings.Single(f => f.Id == "ZD-HTTP-007").Evidence, StringComparison.Ordinal);
        Assert.Equal("/manager/html asks for basic authentication and accepts the default account tomcat:tomcat.", findings.Single(f => f.Id == "ZD-HTTP-009").Detail);
        Assert.Equal(Core.Severity.High, findings.Single(f => f.Id == "ZD-HTTP-008").Severity);
    }

    [Fact]
    public async Task A_server_with_the_headers_that_escapes_its_input_raises_nothing()
    {
        using var server = new TestServer(careless: false);
        using var http = new HttpDriver(server.Uri);
        var findings = await HttpBaseline.CheckAsync(http, CancellationToken.None);
        Assert.Empty(findings);
        Assert.True(http.Exchanges.Count >= 4 + HttpBaseline.AdminPaths.Length, $"{http.Exchanges.Count} requests");
    }

    [Fact]
    public async Task A_port_nothing_listens_on_is_not_ready_and_its_requests_are_recorded_as_errors()
    {
        var port = FreePort();
        using var http = new HttpDriver(new Uri($"http://127.0.0.1:{port}/"));
        Assert.False(await http.WaitReadyAsync(TimeSpan.FromMilliseconds(600), CancellationToken.None));
        var exchange = await http.GetAsync("/");
        Assert.Equal(0, exchange.Status);
        Assert.NotNull(exchange.Error);
        Assert.Empty(HttpBaseline.Passive(http.Exchanges, null));
    }

    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A real HTTP server on loopback; careless: version headers, a listing, a Python traceback on 404, input echoed, tomcat:tomcat on the manager.</summary>
    private sealed class TestServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly bool _careless;

        public Uri Uri { get; }

        public TestServer(bool careless)
        {
            _careless = careless;
            var port = FreePort();
            Uri = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Uri.ToString());
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                Handle(context);
            }
        }

        private void Handle(HttpListenerContext c)
        {
            var path = c.Request.Url!.AbsolutePath;
            var response = c.Response;
            string body;
            response.ContentType = "text/html";
            if (_careless)
            {
                response.Headers["Server"] = "Apache/2.4.41 (Ubuntu)";
                response.Headers["X-Powered-By"] = "PHP/7.4.3";
            }
            else
            {
                response.Headers["Server"] = "shop"; // HttpListener's own names its version
                response.Headers["X-Content-Type-Options"] = "nosniff";
                response.Headers["X-Frame-Options"] = "DENY";
                response.Headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'";
            }
            var query = c.Request.QueryString["q"] ?? "";
            if (path == "/")
                body = "<html><body>search: " + (_careless ? query : WebUtility.HtmlEncode(query)) + "</body></html>";
            else if (path == "/files/" && _careless)
                body = "<html><head><title>Index of /files</title></head><body><a href=\"a.txt\">a.txt</a></body></html>";
            else if (path == "/manager/html" && _careless)
            {
                var auth = c.Request.Headers["Authorization"];
                if (auth == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("tomcat:tomcat")))
                    body = "<html>Tomcat manager</html>";
                else
                {
                    response.StatusCode = 401;
                    response.Headers["WWW-Authenticate"] = "Basic realm=\"Tomcat Manager Application\"";
                    body = "unauthorized";
                }
            }
            else
            {
                response.StatusCode = 404;
                body = _careless ? "<pre>Traceback (most recent call last):\n  File \"app.py\", line 12, in view\nKeyError: 'x'</pre>" : "not found";
            }
            var bytes = Encoding.UTF8.GetBytes(body);
            response.OutputStream.Write(bytes);
            response.Close();
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}
