using System.Net;

namespace ZeroDrift.Remediation.Tests;

/// <summary>Serves a folder over HTTP on 127.0.0.1 (an apt repository), with per-path overrides for hostile cases.</summary>
public sealed class StaticHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();

    public Dictionary<string, byte[]> Overrides { get; } = new(StringComparer.Ordinal);
    public string Url { get; }

    public StaticHttpServer(string root)
    {
        _root = Path.GetFullPath(root);
        for (var attempt = 0; ; attempt++)
        {
            var port = RegistryServer.FreePort();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(Url);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 3) { }
        }
        _ = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            try
            {
                var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
                byte[]? body = null;
                lock (Overrides) if (Overrides.TryGetValue(path, out var o)) body = o;
                var file = Path.GetFullPath(Path.Combine(_root, path));
                if (body is null && file.StartsWith(_root + "/", StringComparison.Ordinal) && File.Exists(file)) body = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
                if (body is null) context.Response.StatusCode = 404;
                else
                {
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
                }
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }
}
