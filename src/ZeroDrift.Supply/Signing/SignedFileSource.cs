namespace ZeroDrift.Supply.Signing;

/// <summary>
/// Fetches one file and its Sigstore bundle (<c>NAME</c> and <c>NAME.sigstore.json</c>) from a base URL (https, or
/// http on loopback) or a folder, bounded in size, into a private folder; nothing is trusted until
/// <see cref="ExportSignatures.Verify"/> says so. Used for rule bundles, as <c>db update</c> fetches database exports.
/// </summary>
public sealed class SignedFileSource(HttpClient http)
{
    public async Task<string> FetchAsync(string source, string name, string intoDirectory, long maxBytes, bool withSignature, CancellationToken cancellationToken)
    {
        var target = Path.Combine(intoDirectory, name);
        await CopyAsync(source, name, target, maxBytes, required: true, cancellationToken).ConfigureAwait(false);
        if (withSignature)
            await CopyAsync(source, name + ExportSignatures.Suffix, target + ExportSignatures.Suffix, 1 << 20, required: false, cancellationToken).ConfigureAwait(false);
        return target;
    }

    private async Task CopyAsync(string source, string name, string target, long maxBytes, bool required, CancellationToken cancellationToken)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            if (uri.Scheme == "http" && !uri.IsLoopback) throw new SupplyException($"{source}: plain http only on loopback (use https)");
            var url = new Uri(uri.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(name));
            HttpResponseMessage response;
            try
            {
                response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new SupplyException($"{url}: {e.Message}", e);
            }
            using (response)
            {
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound && !required) return;
                if (!response.IsSuccessStatusCode) throw new SupplyException($"{url}: HTTP {(int)response.StatusCode}");
                await using var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await WriteBoundedAsync(input, target, maxBytes, url.ToString(), cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        if (!Directory.Exists(source)) throw new SupplyException($"{source}: neither an http(s) URL nor a folder");
        var path = Path.Combine(source, name);
        if (!File.Exists(path))
        {
            if (required) throw new SupplyException($"{source}: no {name}");
            return;
        }
        await using var file = File.OpenRead(path);
        await WriteBoundedAsync(file, target, maxBytes, path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteBoundedAsync(Stream input, string target, long maxBytes, string what, CancellationToken cancellationToken)
    {
        await using var output = File.Create(target);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > maxBytes) throw new SupplyException($"{what}: larger than {maxBytes} bytes");
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }
}
