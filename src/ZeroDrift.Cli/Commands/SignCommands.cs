using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>sign</c>, <c>verify</c>, <c>attest</c> and <c>verify-attestation</c>: cosign's key-pair workflow.</summary>
public static class SignCommands
{
    public static Command Sign()
    {
        var target = new Argument<string>("artifact-or-image") { Description = "A file to sign into a bundle (keyless), or an image: host[:port]/repo[:tag|@digest]" };
        var key = new Option<string?>("--key") { Description = "Private key file (cosign's encrypted format); without it, --identity-token signs keylessly" };
        var keyless = new KeylessSigningOptions();
        var format = SupplyOptions.FormatOption();
        var insecure = SupplyOptions.InsecureRegistry();
        var command = new Command("sign", "Sign an image's manifest digest (with a key or keylessly, as cosign does) or a file keylessly into a Sigstore bundle");
        command.Arguments.Add(target);
        command.Options.Add(key);
        keyless.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(insecure);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var signatureFormat = SupplyOptions.ParseFormat(parse.GetValue(format)!);
            var what = parse.GetValue(target)!;
            var keyPath = parse.GetValue(key);
            if (keyPath is not null && keyless.Given(parse)) throw new UsageException("--key and --identity-token are exclusive: sign with a key or keylessly");
            if (keyPath is null)
            {
                if (!keyless.Given(parse)) throw new UsageException("give --key, or --identity-token TOKEN|@FILE to sign keylessly");
                if (File.Exists(what)) return await keyless.SignBlobAsync(parse, what, token).ConfigureAwait(false);
                if (signatureFormat == SignatureFormat.Legacy) throw new UsageException("keyless signing writes Sigstore bundles (cosign 3); --signature-format legacy needs --key");
            }
            else if (File.Exists(what)) throw new UsageException($"{what} is a file: files are signed keylessly (--identity-token), images with --key");
            // The key is opened before the registry is asked: a wrong password is the user's to fix first.
            using var privateKey = keyPath is null ? null : SupplyOptions.PrivateKey(keyPath);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var resolved = await signing.ResolveAsync(SupplyOptions.ParseImage(what), token).ConfigureAwait(false);
            var result = privateKey is null
                ? await keyless.SignImageAsync(parse, signing, resolved, token).ConfigureAwait(false)
                : await signing.SignAsync(resolved, privateKey, signatureFormat, token).ConfigureAwait(false);
            Console.Out.WriteLine($"Signed {resolved.RepositoryName}@{resolved.Digest} ({Name(result.Format)}: {result.Location}, {result.ManifestDigest})");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static Command Verify()
    {
        var image = SupplyOptions.Image();
        var keys = new Option<string[]>("--key") { Description = "Public key file; repeatable (any one verifying is enough). Without it, --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] verify keyless signatures", AllowMultipleArgumentsPerToken = false };
        var identity = new IdentityOptions();
        var insecure = SupplyOptions.InsecureRegistry();
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var command = new Command("verify", "Verify an image's signatures (both cosign layouts) with public keys or keyless identities; exit 1 when none verifies");
        command.Arguments.Add(image);
        command.Options.Add(keys);
        identity.AddTo(command);
        command.Options.Add(insecure);
        command.Options.Add(output);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var (trusted, keyless) = Trust(parse, keys, identity);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var resolved = await signing.ResolveAsync(SupplyOptions.ParseImage(parse.GetValue(image)!), token).ConfigureAwait(false);
            var checks = keyless is not null
                ? await signing.VerifyKeylessSignaturesAsync(resolved, keyless, token).ConfigureAwait(false)
                : await signing.VerifySignaturesAsync(resolved, trusted, token).ConfigureAwait(false);
            Report(resolved, checks, parse.GetValue(output)!, "signature");
            return checks.Any(c => c.Verified) ? ExitCodes.Ok : ExitCodes.Findings;
        }, ct));
        return command;
    }

    /// <summary>Keys, or (without --key) the keyless identity and trusted root; both at once is ambiguous.</summary>
    private static (List<TrustedKey> Keys, KeylessTrust? Keyless) Trust(ParseResult parse, Option<string[]> keys, IdentityOptions identity)
    {
        var keyPaths = parse.GetValue(keys) ?? [];
        var keyless = identity.Given(parse);
        if (keyPaths.Length > 0 && keyless) throw new UsageException("--key and --certificate-* are exclusive: verify with keys or keylessly");
        if (keyPaths.Length == 0 && !keyless) throw new UsageException("give --key, or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
        if (!keyless) return (SupplyOptions.PublicKeys(keyPaths), null);
        var policy = identity.Policy(parse);
        return ([], new KeylessTrust(identity.Root(parse), [new TrustedIdentity(policy.Describe(), policy)]));
    }

    public static Command Attest()
    {
        var image = SupplyOptions.Image();
        var key = new Option<string>("--key") { Description = "Private key file (cosign's encrypted format)", Required = true };
        var predicate = new Option<FileInfo>("--predicate") { Description = "The predicate: a JSON file (SBOM, vulnerability report, …)", Required = true };
        var type = new Option<string>("--type") { Description = "cyclonedx, spdx, vuln, custom, or a predicate type URI", DefaultValueFactory = _ => "custom" };
        var format = SupplyOptions.FormatOption();
        var insecure = SupplyOptions.InsecureRegistry();
        var command = new Command("attest", "Attach a signed in-toto attestation (DSSE) to an image, as cosign does");
        command.Arguments.Add(image);
        foreach (var o in new Option[] { key, predicate, type, format, insecure }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var signatureFormat = SupplyOptions.ParseFormat(parse.GetValue(format)!);
            var predicateType = PredicateTypes.Resolve(parse.GetValue(type)!);
            var file = parse.GetValue(predicate)!;
            if (!file.Exists) throw new UsageException($"predicate file {file.FullName} not found");
            var content = ScanAttestations.ParsePredicate(BoundedFile.ReadAllBytes(file.FullName, ScanAttestations.MaxPredicateBytes, "predicate file"), file.Name);
            // A scan report given as a vuln predicate is wrapped in cosign's vuln predicate (scanner.result), which is
            // where policies and cosign's own tooling look for it.
            if (predicateType == PredicateTypes.Vuln && content is JsonObject o && !o.ContainsKey("scanner"))
                content = ScanAttestations.VulnPredicate(content, Inventory.Sbom.InventoryWriters.ToolVersion, null, file.LastWriteTimeUtc, file.LastWriteTimeUtc);
            using var privateKey = SupplyOptions.PrivateKey(parse.GetValue(key)!);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var resolved = await signing.ResolveAsync(SupplyOptions.ParseImage(parse.GetValue(image)!), token).ConfigureAwait(false);
            var result = await signing.AttestAsync(resolved, privateKey, predicateType, content, signatureFormat, token).ConfigureAwait(false);
            Console.Out.WriteLine($"Attested {predicateType} for {resolved.RepositoryName}@{resolved.Digest} ({Name(signatureFormat)}: {result.Location}, {result.ManifestDigest})");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static Command VerifyAttestation()
    {
        var image = SupplyOptions.Image();
        var keys = new Option<string[]>("--key") { Description = "Public key file; repeatable. Without it, --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] verify keyless attestations", AllowMultipleArgumentsPerToken = false };
        var identity = new IdentityOptions();
        var type = new Option<string?>("--type") { Description = "Only this predicate type (cyclonedx, spdx, vuln, custom, slsaprovenance, slsaprovenance1, or a URI)" };
        var insecure = SupplyOptions.InsecureRegistry();
        var output = new Option<string>("--output", "-o") { Description = "text (summary) or json (with the statements)", DefaultValueFactory = _ => "text" };
        var command = new Command("verify-attestation", "Verify and print an image's attestations (keyed or keyless); exit 1 when none verifies");
        command.Arguments.Add(image);
        command.Options.Add(keys);
        identity.AddTo(command);
        foreach (var o in new Option[] { type, insecure, output }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var predicateType = parse.GetValue(type) is { } t ? PredicateTypes.Resolve(t) : null;
            var (trusted, keyless) = Trust(parse, keys, identity);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var resolved = await signing.ResolveAsync(SupplyOptions.ParseImage(parse.GetValue(image)!), token).ConfigureAwait(false);
            var checks = keyless is not null
                ? await signing.VerifyKeylessAttestationsAsync(resolved, keyless, predicateType, token).ConfigureAwait(false)
                : await signing.VerifyAttestationsAsync(resolved, trusted, predicateType, token).ConfigureAwait(false);
            Report(resolved, checks, parse.GetValue(output)!, "attestation");
            return checks.Any(c => c.Verified) ? ExitCodes.Ok : ExitCodes.Findings;
        }, ct));
        return command;
    }

    private static string Name(SignatureFormat format) => format == SignatureFormat.Bundle ? "bundle" : "legacy";

    private static void Report(ResolvedImage image, IReadOnlyList<SignatureCheck> checks, string output, string what)
    {
        if (output == "json")
        {
            var items = new JsonArray(checks.Select(c => (JsonNode)new JsonObject
            {
                ["format"] = Name(c.Format),
                ["location"] = c.Location,
                ["verified"] = c.Verified,
                ["key"] = c.VerifiedBy,
                ["signer"] = c.Signer is { } signer ? new JsonObject
                {
                    ["subjectAlternativeNames"] = new JsonArray(signer.SubjectAlternativeNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                    ["issuer"] = signer.Issuer,
                    ["extensions"] = new JsonObject(signer.Extensions.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)JsonValue.Create(e.Value)))),
                } : null,
                ["provenance"] = c.Statement is { } st && Supply.Provenance.SlsaProvenance.Of(st) is { } p ? new JsonObject
                {
                    ["builderId"] = p.BuilderId, ["buildType"] = p.BuildType, ["sourceRepository"] = p.SourceRepository, ["ref"] = p.Ref,
                } : null,
                ["failure"] = c.Failure,
                ["predicateType"] = c.Statement?.PredicateType,
                ["statementType"] = c.Statement?.Type,
                ["predicate"] = c.Statement?.Predicate?.DeepClone(),
            }).ToArray());
            var doc = new JsonObject { ["image"] = image.RepositoryName, ["digest"] = image.Digest, [what + "s"] = items };
            Console.Out.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else if (output != "text")
        {
            throw new UsageException($"unknown output '{output}' (text or json)");
        }
        else
        {
            Console.Out.WriteLine($"{image.RepositoryName}@{image.Digest}");
            if (checks.Count == 0) Console.Out.WriteLine($"  no {what}s found");
            foreach (var c in checks)
            {
                var type = c.Statement is { } s && what == "attestation" ? $" [{s.PredicateType}]" : "";
                Console.Out.WriteLine($"  {(c.Verified ? "OK  " : "FAIL")} {Name(c.Format)}{type} {ImageSigning.Describe(c)}");
            }
        }
        var verified = checks.Count(c => c.Verified);
        Console.Error.WriteLine(verified > 0
            ? $"{verified} of {checks.Count} {what}(s) verified"
            : $"zerodrift: no valid {what} for {image.RepositoryName}@{image.Digest}");
    }
}
