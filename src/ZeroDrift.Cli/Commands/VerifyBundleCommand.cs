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
        var identity = new Option<string?>("--certificate-identity") { Description = "The signer's identity (certificate SAN), exactly" };
        var identityRegex = new Option<string?>("--certificate-identity-regexp") { Description = "The signer's identity, by regular expression (unanchored, as cosign)" };
        var issuer = new Option<string?>("--certificate-oidc-issuer") { Description = "The OIDC issuer in the certificate, exactly" };
        var issuerRegex = new Option<string?>("--certificate-oidc-issuer-regexp") { Description = "The OIDC issuer, by regular expression" };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "A Sigstore trusted_root.json (default: the public-good root shipped with ZeroDrift)" };
        var key = new Option<string?>("--key") { Description = "PEM public key of a managed-key bundle (instead of an identity)" };
        var command = new Command("verify-bundle", "Verify a Sigstore bundle (keyless or managed key) over an artifact, offline; exit 1 when refused");
        command.Arguments.Add(artifact);
        foreach (var o in new Option[] { bundle, identity, identityRegex, issuer, issuerRegex, trustedRoot, key }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, cancel =>
        {
            var keyPath = parse.GetValue(key);
            var policy = new IdentityPolicy(parse.GetValue(identity), parse.GetValue(identityRegex), parse.GetValue(issuer), parse.GetValue(issuerRegex));
            var hasIdentity = policy.Identity is not null || policy.IdentityRegex is not null;
            var hasIssuer = policy.Issuer is not null || policy.IssuerRegex is not null;
            if (keyPath is not null && (hasIdentity || hasIssuer)) throw new UsageException("--key and --certificate-* are exclusive: a bundle is signed either with a key or keylessly");
            if (keyPath is null && !(hasIdentity && hasIssuer))
                throw new UsageException("give --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp], or --key");

            foreach (var pattern in new[] { policy.IdentityRegex, policy.IssuerRegex }.OfType<string>())
            {
                try
                {
                    _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(200));
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"invalid regular expression '{pattern}': {e.Message}");
                }
            }
            var root = parse.GetValue(trustedRoot) is { } rootPath ? TrustedRoot.Load(rootPath) : TrustedRoot.Production();
            var publicKey = keyPath is null ? null : SigstorePublicKey.FromPem(BoundedFile.ReadAllText(keyPath, 64 << 10, "key"), keyPath);
            var input = ArtifactInput.Parse(parse.GetValue(artifact)!);
            var bundlePath = parse.GetValue(bundle)!;
            if (!File.Exists(bundlePath)) throw new UsageException($"bundle {bundlePath} not found");
            BundleVerification result;
            try
            {
                var document = SigstoreBundleDocument.Load(bundlePath);
                var verifier = new BundleVerifier(root);
                result = publicKey is null ? verifier.VerifyKeyless(document, input, policy) : verifier.VerifyWithKey(document, input, publicKey);
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
