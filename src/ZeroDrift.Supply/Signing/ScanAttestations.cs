using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Signing;

/// <summary>
/// Attaches what a scan produced to the scanned image: its CycloneDX SBOM as a <c>https://cyclonedx.org/bom</c>
/// attestation and its vulnerability report wrapped in cosign's vuln predicate
/// (<c>https://cosign.sigstore.dev/attestation/vuln/v1</c>: invocation, scanner {uri, version, db, result}, metadata).
/// The scan command calls this after writing its report; it owns no scanning itself.
/// </summary>
public static class ScanAttestations
{
    public const string ScannerUri = "https://github.com/zerodrift/zerodrift";

    /// <summary>The vuln predicate around a scanner's result document, as cosign's <c>attest --type vuln</c> expects it.</summary>
    public static JsonObject VulnPredicate(JsonNode result, string scannerVersion, string? databaseVersion, DateTimeOffset started, DateTimeOffset finished) => new()
    {
        ["invocation"] = new JsonObject { ["parameters"] = null, ["uri"] = "", ["event_id"] = "", ["builder.id"] = "" },
        ["scanner"] = new JsonObject
        {
            ["uri"] = ScannerUri,
            ["version"] = scannerVersion,
            ["db"] = new JsonObject { ["uri"] = "", ["version"] = databaseVersion ?? "" },
            ["result"] = result.DeepClone(),
        },
        ["metadata"] = new JsonObject
        {
            ["scanStartedOn"] = started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["scanFinishedOn"] = finished.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        },
    };

    /// <summary>Attaches the SBOM and/or the vulnerability result (either may be null) to the image; returns what was written.</summary>
    public static async Task<IReadOnlyList<SignResult>> AttachAsync(ImageSigning signing, ResolvedImage image, ECDsa key, SignatureFormat format,
        byte[]? cycloneDxSbom, byte[]? vulnerabilityReport, string scannerVersion, DateTimeOffset started, DateTimeOffset finished, CancellationToken cancellationToken)
    {
        var results = new List<SignResult>();
        if (cycloneDxSbom is not null)
            results.Add(await signing.AttestAsync(image, key, PredicateTypes.CycloneDx, ParsePredicate(cycloneDxSbom, "SBOM"), format, cancellationToken).ConfigureAwait(false));
        if (vulnerabilityReport is not null)
        {
            var predicate = VulnPredicate(ParsePredicate(vulnerabilityReport, "vulnerability report"), scannerVersion, null, started, finished);
            results.Add(await signing.AttestAsync(image, key, PredicateTypes.Vuln, predicate, format, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    /// <summary>A predicate file: JSON, bounded in size and depth.</summary>
    /// <summary>Largest predicate file read for an attestation (its size from stat, before reading).</summary>
    public const long MaxPredicateBytes = 64L << 20;

    public static JsonNode ParsePredicate(byte[] content, string what)
    {
        const int maxBytes = 16 << 20;
        if (content.Length > maxBytes) throw new SupplyException($"{what}: {content.Length} bytes, more than the {maxBytes} a predicate may have");
        try
        {
            return JsonNode.Parse(content, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) ?? throw new SupplyException($"{what}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new SupplyException($"{what}: not JSON ({e.Message})", e);
        }
    }
}
