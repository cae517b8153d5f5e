using System.CommandLine;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Inventory.Sbom;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Vulnerabilities.Reporting;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift scan IMAGE --attest --key KEY [--signature-format bundle|legacy]</c>: after the scan, attaches its CycloneDX
/// SBOM and its JSON report (in cosign's vuln predicate) to the scanned image as signed attestations. Kept apart from
/// ScanCommand so that the scan command only adds the options and one call.
/// </summary>
public sealed class ScanAttestHook
{
    public Option<bool> Attest { get; } = new("--attest") { Description = "Attach the SBOM and the vulnerability report to the scanned registry image as signed attestations" };
    public Option<string?> Key { get; } = new("--key") { Description = "Private key for --attest (cosign's encrypted format; password from ZERODRIFT_PASSWORD)" };
    public Option<string> Format { get; } = SupplyOptions.FormatOption();

    public void AddTo(Command command)
    {
        command.Options.Add(Attest);
        command.Options.Add(Key);
        command.Options.Add(Format);
    }

    /// <summary>Checks the options before the scan runs, so a missing key fails fast.</summary>
    public void Validate(ParseResult parse)
    {
        if (!parse.GetValue(Attest)) return;
        if (parse.GetValue(Key) is null) throw new UsageException("--attest needs --key");
        SupplyOptions.ParseFormat(parse.GetValue(Format)!);
    }

    /// <summary>Attaches the results when --attest was given. The image is the one the target names in its registry; its
    /// reference must still resolve to the digest that was scanned (for a multi-platform index, the index is attested, as cosign does).</summary>
    public async Task RunAsync(ParseResult parse, IReadOnlyList<string> insecureRegistries, Inventory.Inventory inventory,
        VulnerabilityReport report, DateTimeOffset started, CancellationToken cancellationToken)
    {
        if (!parse.GetValue(Attest)) return;
        if (inventory.TargetKind != nameof(Artifacts.Targets.TargetKind.Registry) || inventory.Image is not { ManifestDigest: { } scanned, Reference: var targetText })
            throw new UsageException("--attest works on registry images (host/repo:tag or registry:REF): attestations are stored next to the image");
        var format = SupplyOptions.ParseFormat(parse.GetValue(Format)!);
        using var key = SupplyOptions.PrivateKey(parse.GetValue(Key)!);
        using var client = new RegistryClient(RegistryClientOptions.FromEnvironment(insecureRegistries));
        var signing = new ImageSigning(client);
        var image = await signing.ResolveAsync(SupplyOptions.ParseImage(targetText), cancellationToken).ConfigureAwait(false);
        if (image.Digest != scanned && !MediaTypes.IsIndex(image.Descriptor.MediaType))
            throw new UsageException($"{targetText} now resolves to {image.Digest}, not the scanned {scanned}; not attesting");
        using var sbom = new MemoryStream();
        new CycloneDxWriter().Write(inventory, sbom);
        using var json = new MemoryStream();
        JsonReportWriter.Write(report, json);
        var results = await ScanAttestations.AttachAsync(signing, image, key, format, sbom.ToArray(), json.ToArray(),
            InventoryWriters.ToolVersion, started, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        foreach (var r in results)
            Console.Error.WriteLine($"zerodrift: attested {r.Image.RepositoryName}@{r.Image.Digest} ({r.Location})");
    }
}
