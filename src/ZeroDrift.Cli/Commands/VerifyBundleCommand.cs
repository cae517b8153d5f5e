using System.CommandLine;
using ZeroDrift.Core.IO;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>verify-bundle</c>: cosign's <c>verify-blob --bundle</c> and the sigstore-conformance CLI protocol's
/// <c>verify-bundle</c>, offline. Exit 0 verified, 1 refused (one line naming the reason), 2 bad usage or an
/// unreadable trusted root, key or artifact.
/// </summary>
public static class VerifyBundleCommand
{
    public static Command Create()
    {
        var artifact = new Argument<string>("file-or-digest") { Description = "The artifact (or, for an in-toto attestation, a subject): a file, or sha256:<hex>" };
        var bundle = new Option<string>("--bundle") { Description = "The Sigstore bundle (v0.1, v0.2 or v0.3 JSON)", Required = true };
        var identityOptions = new IdentityOptions();
        var key = new Option<string?>("--key") { Description = "PEM public key of a managed-key bundle (instead of an identity)" };
        var command = new Command("verify-bundle", "Verify a Sigstore bundle (keyless or managed key) over an artifact, offline; exit 1 when refused");
        command.Arguments.Add(artifact);
        command.Options.Add(bundle);
        identityOptions.AddTo(command);
        command.Options.Add(key);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, cancel =>
        {
            var keyPath = parse.GetValue(key);
            var keyless = identityOptions.Given(parse);
            if (keyPath is not null && keyless) throw new UsageException("--key and --certificate-* are exclusive: a bundle is signed either with a key or keylessly");
            if (keyPath is null && !keyless)
                throw new UsageException("give --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp], or --key");
            var policy = keyless ? identityOptions.Policy(parse) : null;
            var root = identityOptions.Root(parse);
            var publicKey = keyPath is null ? null : SigstorePublicKey.FromPem(BoundedFile.ReadAllText(keyPath, 64 << 10, "key"), keyPath);
            var input = ArtifactInput.Parse(parse.GetValue(artifact)!);
            var bundlePath = parse.GetValue(bundle)!;
            if (!File.Exists(bundlePath)) throw new UsageException($"bundle {bundlePath} not found");
            BundleVerification result;
            try
            {
                var document = SigstoreBundleDocument.Load(bundlePath);
                var verifier = new BundleVerifier(root);
                result = publicKey is null ? verifier.VerifyKeyless(document, input, policy!) : verifier.VerifyWithKey(document, input, publicKey);
            }
            catch (SupplyException e)
            {
                Console.Error.WriteLine($"zerodrift: verification failed: {e.Message}");
                return Task.FromResult(ExitCodes.Findings);
            }
            var signer = result.Identity is { } id ? $"{string.Join(", ", id.SubjectAlternativeNames)} (issuer {id.Issuer})" : $"key {keyPath}";
            var logs = result.LogIndexes.Count == 0 ? "no log entry" : "log index " + string.Join(", ", result.LogIndexes);
            var times = result.VerifiedTimes.Count == 0 ? "no verified time" : "signed at " + string.Join(", ", result.VerifiedTimes.Select(t => t.UtcDateTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture)));
            Console.Out.WriteLine($"Verified OK: bundle v{result.BundleVersion} by {signer}; {logs}; {times}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}
