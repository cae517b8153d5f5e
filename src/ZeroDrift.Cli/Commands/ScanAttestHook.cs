using System.CommandLine;
using ZeroDrift.Artifacts.Images.Oci;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Inventory.Sbom;
using ZeroDrift.Scanning.Reporting;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift scan IMAGE --attest --key KEY [--signature-format bundle|legacy]</c>: after the scan, attaches its CycloneDX
/// SBOM and its JSON report (in cosign's vuln predicate) to the scanned image as signed attestations. Kept apart from
/// ScanCommand so that the scan command only adds the options and two calls.
/// </summary>
public sealed class ScanAttestHook
{
    public Option<bool> Attest { get; } = new("--attest") { Description = "Attach the SBOM and the scan report to the scanned registry image as signed attestations (needs --key)" };
    public Option<string?> Key { get; } = new("--key") { Description = "Private key for --attest (cosign's encrypted format; password from ZERODRIFT_PASSWORD)" };
    public Option<string> Format { get; } = SupplyOptions.FormatOption();

    private DateTimeOffset _started;

    public void AddTo(Command command)
    {
        command.Options.Add(Attest);
        command.Options.Add(Key);
        command.Options.Add(Format);
    }

    /// <summary>Checks the options before the scan runs, so that a missing key or a target with no registry to attest
    /// into fails before minutes of scanning; starts the scan's clock for the predicate's <c>scanStartedOn</c>.</summary>
    public void Validate(ParseResult parse, TargetReference target, IReadOnlyCollection<string> scanners, bool secretsInClear)
    {
        _started = DateTimeOffset.UtcNow;
        if (!parse.GetValue(Attest)) return;
        if (parse.GetValue(Key) is not { } key) throw new UsageException("--attest needs --key");
        if (!File.Exists(key)) throw new UsageException($"--key {key}: no such key file");
        if (target.Kind != TargetKind.Registry)
            throw new UsageException("--attest works on registry images (host/repo:tag or registry:REF): attestations are stored next to the image");
        // The vuln attestation is what policies judge; one without the vulnerability scan would read as "no vulnerabilities".
        if (!scanners.Contains("vuln")) throw new UsageException("--attest needs the vuln scanner (add vuln to --scanners)");
        // An attestation is public to whoever can pull the image: it must never carry a secret in clear.
        if (secretsInClear) throw new UsageException("--attest cannot be combined with --show-secrets (attestations carry the report)");
        SupplyOptions.ParseFormat(parse.GetValue(Format)!);
    }

    /// <summary>Attaches the results when --attest was given: the SBOM of the inventory and the whole scan report (vulnerabilities
    /// and, when those scanners ran, secrets and other content findings) as the vuln predicate's result. The image reference
    /// must still resolve to the digest that was scanned (for a multi-platform index, the index is attested, as cosign does).</summary>
    public async Task RunAsync(ParseResult parse, IReadOnlyList<string> insecureRegistries, ScanReport report, CancellationToken cancellationToken)
    {
        if (!parse.GetValue(Attest)) return;
        if (report.Vulnerabilities is not { } vulnerabilities || report.Target.ManifestDigest is not { } scanned)
            throw new UsageException("--attest: the scan produced no image digest and vulnerability report to attest");
        // An incomplete scan must not become signed evidence that policies would read as complete.
        if (vulnerabilities.NotScannable.Count > 0)
            throw new UsageException($"--attest: {vulnerabilities.NotScannable.Count} package(s) could not be scanned; not attesting an incomplete scan");
        var format = SupplyOptions.ParseFormat(parse.GetValue(Format)!);
        using var key = SupplyOptions.PrivateKey(parse.GetValue(Key)!);
        using var client = new RegistryClient(RegistryClientOptions.FromEnvironment(insecureRegistries));
        var signing = new ImageSigning(client);
        var image = await signing.ResolveAsync(SupplyOptions.ParseImage(report.Target.Name), cancellationToken).ConfigureAwait(false);
        if (image.Digest != scanned && !MediaTypes.IsIndex(image.Descriptor.MediaType))
            throw new UsageException($"{report.Target.Name} now resolves to {image.Digest}, not the scanned {scanned}; not attesting");
        using var sbom = new MemoryStream();
        new CycloneDxWriter().Write(vulnerabilities.Inventory, sbom);
        using var json = new MemoryStream();
        ScanJsonWriter.Write(report, json);
        var results = await ScanAttestations.AttachAsync(signing, image, key, format, sbom.ToArray(), json.ToArray(),
            InventoryWriters.ToolVersion, _started, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        foreach (var r in results)
            Console.Error.WriteLine($"zerodrift: attested {r.Image.RepositoryName}@{r.Image.Digest} ({r.Location})");
    }
}
