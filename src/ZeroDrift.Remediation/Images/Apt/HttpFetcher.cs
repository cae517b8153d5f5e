using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>
/// Downloads repository files with a size bound and, where the caller knows it, a SHA-256 checked before the
/// content is used. A download that fails or does not match names the URL.
/// </summary>
public sealed class HttpFetcher : IDisposable
{
    private readonly HttpClient _client;

    public HttpFetcher(TimeSpan timeout)
    {
        _client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None, AllowAutoRedirect = true, MaxAutomaticRedirections = 5 })
        {
            Timeout = timeout,
        };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("zerodrift", "0.1"));
    }

    /// <summary>The body, or null on 404; anything else that is not 200 is an error.</summary>
    public async Task<byte[]?> GetAsync(Uri uri, long maxBytes, CancellationToken ct)
    {
        using var temp = new MemoryStream();
        return await CopyAsync(uri, temp, maxBytes, ct).ConfigureAwait(false) ? temp.ToArray() : null;
    }

    /// <summary>Downloads into <paramref name="path"/> and checks size and SHA-256 before returning.</summary>
    public async Task DownloadVerifiedAsync(Uri uri, string path, long size, string sha256, CancellationToken ct)
    {
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            if (!await CopyAsync(uri, file, size, ct).ConfigureAwait(false))
                throw new RemediationException($"{uri}: not found (404)");
            if (file.Length != size)
                throw new RemediationException($"{uri}: {file.Length} bytes, the index says {size}");
        }
        await using var read = File.OpenRead(path);
        var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, ct).ConfigureAwait(false));
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new RemediationException($"{uri}: SHA256 {actual} does not match the index's {sha256}");
    }

    private async Task<bool> CopyAsync(Uri uri, Stream destination, long maxBytes, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new RemediationException($"{uri}: unreachable ({e.Message.Split('\n')[0]})", e);
        }
        using (response)
        {
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return false;
            if (!response.IsSuccessStatusCode) throw new RemediationException($"{uri}: HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
                throw new RemediationException($"{uri}: {length} bytes, more than the {maxBytes} allowed");
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            try
            {
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > maxBytes) throw new RemediationException($"{uri}: more than the {maxBytes} bytes allowed");
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                throw new RemediationException($"{uri}: download broke off ({e.Message.Split('\n')[0]})", e);
            }
            return true;
        }
    }

    public void Dispose() => _client.Dispose();
}
