namespace ZeroDrift.Vulnerabilities.Database;

/// <summary>
/// Finds the <c>&lt;Ecosystem&gt;/all.zip</c> files of the public OSV export layout under a base URL (the public
/// bucket, or any mirror) or a folder, downloading them into a private temporary folder when remote.
/// </summary>
public sealed class OsvUpdater(HttpClient http)
{
    public const string PublicExport = "https://osv-vulnerabilities.storage.googleapis.com";

    /// <summary>What ZeroDrift's catalogers find, when no list is given for a remote source.</summary>
    public static readonly IReadOnlyList<string> DefaultEcosystems =
    [
        "AlmaLinux", "Alpine", "Debian", "Go", "Maven", "NuGet", "Packagist", "PyPI", "Red Hat", "Rocky Linux",
        "RubyGems", "Ubuntu", "crates.io", "npm",
    ];

    private const long MaxDownloadBytes = 4L << 30;

    /// <summary>The Sigstore bundle a mirror publishes next to each export (<c>&lt;Ecosystem&gt;/all.zip.sigstore.json</c>).</summary>
    public const string SignatureSuffix = ".sigstore.json";
    private const long MaxSignatureBytes = 1 << 20;

    public async Task<IReadOnlyList<string>> FetchAsync(string source, IReadOnlyList<string>? ecosystems, string downloadDirectory, Action<string> warn, CancellationToken cancellationToken, bool withSignatures = false)
    {
        if (Directory.Exists(source))
        {
            var zips = Directory.GetDirectories(source)
                .Where(d => ecosystems is null || ecosystems.Contains(Path.GetFileName(d), StringComparer.OrdinalIgnoreCase))
                .Select(d => Path.Combine(d, "all.zip"))
                .Where(File.Exists)
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var missing in (ecosystems ?? []).Where(e => !File.Exists(Path.Combine(source, e, "all.zip"))))
                warn($"{source}: no {missing}/all.zip");
            if (zips.Count == 0) throw new VulnerabilityDatabaseException($"{source}: no <Ecosystem>/all.zip files in this folder");
            return zips;
        }
        if (!Uri.TryCreate(source, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new VulnerabilityDatabaseException($"{source}: neither a folder nor an http(s) URL");
        var result = new List<string>();
        foreach (var ecosystem in ecosystems ?? DefaultEcosystems)
        {
            var uri = new Uri(baseUri.ToString().TrimEnd('/') + "/" + Uri.EscapeDataString(ecosystem) + "/all.zip");
            using var response = await GetAsync(uri, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                warn($"{uri}: not found; {ecosystem} skipped");
                continue;
            }
            if (!response.IsSuccessStatusCode)
                throw new VulnerabilityDatabaseException($"{uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var folder = Path.Combine(downloadDirectory, ecosystem);
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, "all.zip");
            await using (var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if ((total += read) > MaxDownloadBytes) throw new VulnerabilityDatabaseException($"{uri}: larger than {MaxDownloadBytes} bytes");
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            // The signature beside it, when the mirror has one (whether one is needed is the caller's policy).
            if (withSignatures)
            {
                using var signature = await GetAsync(new Uri(uri + SignatureSuffix), cancellationToken).ConfigureAwait(false);
                if (signature.IsSuccessStatusCode && signature.Content.Headers.ContentLength is null or <= MaxSignatureBytes)
                {
                    var bytes = await signature.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                    if (bytes.Length <= MaxSignatureBytes) await File.WriteAllBytesAsync(file + SignatureSuffix, bytes, cancellationToken).ConfigureAwait(false);
                }
            }
            result.Add(file);
        }
        if (result.Count == 0) throw new VulnerabilityDatabaseException($"{source}: none of the requested ecosystems could be fetched");
        return result;
    }

    private async Task<HttpResponseMessage> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new VulnerabilityDatabaseException($"{uri.GetLeftPart(UriPartial.Authority)}: cannot be reached ({e.Message})", e);
        }
    }
}
