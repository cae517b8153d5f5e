using System.Net;
using System.Text.Json;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// <c>--check-registry</c>: asks the public registry whether a planned version was published. npm and NuGet only
/// (their registries answer from the machines ZeroDrift was built on; PyPI, Go's proxy, crates.io and Maven
/// Central did not, so those stay "not checked"). Any failure to ask (network, timeout, odd answer) is "not
/// checked", never "not found".
/// </summary>
public sealed class RegistryCheck(HttpClient http)
{
    private const long MaxBytes = 8L << 20;

    /// <summary>True published, false the registry says no such version, null not asked or no clear answer.</summary>
    public async Task<bool?> ExistsAsync(Ecosystem ecosystem, string name, string version, CancellationToken cancellationToken)
    {
        try
        {
            switch (ecosystem)
            {
                case Ecosystem.Npm:
                {
                    using var response = await http.GetAsync(new Uri($"https://registry.npmjs.org/{name.Replace("/", "%2f", StringComparison.Ordinal)}/{Uri.EscapeDataString(version)}"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                    return response.StatusCode switch { HttpStatusCode.OK => true, HttpStatusCode.NotFound => false, _ => null };
                }
                case Ecosystem.NuGet:
                {
                    using var response = await http.GetAsync(new Uri($"https://api.nuget.org/v3-flatcontainer/{Uri.EscapeDataString(name.ToLowerInvariant())}/index.json"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.NotFound) return false;
                    if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentLength > MaxBytes) return null;
                    await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    using var document = await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = 8 }, cancellationToken).ConfigureAwait(false);
                    if (!document.RootElement.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Array) return null;
                    return versions.EnumerateArray().Any(v => string.Equals(v.GetString(), version, StringComparison.OrdinalIgnoreCase));
                }
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or IOException)
        {
            if (cancellationToken.IsCancellationRequested) throw;
            return null;
        }
    }
}
