using System.CommandLine;
using System.Text.RegularExpressions;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// cosign's keyless identity options, shared by <c>verify-bundle</c>, <c>verify</c> and <c>verify-attestation</c>:
/// SAN and OIDC issuer (exact or regexp), the GitHub workflow extensions cosign names, and any Fulcio extension by
/// sigstore-go's name (<c>--certificate-extension sourceRepositoryRef=refs/heads/main</c>).
/// </summary>
internal sealed class IdentityOptions
{
    private readonly Option<string?> _identity = new("--certificate-identity") { Description = "The signer's identity (certificate SAN), exactly" };
    private readonly Option<string?> _identityRegex = new("--certificate-identity-regexp") { Description = "The signer's identity, by regular expression (unanchored, as cosign)" };
    private readonly Option<string?> _issuer = new("--certificate-oidc-issuer") { Description = "The OIDC issuer in the certificate, exactly" };
    private readonly Option<string?> _issuerRegex = new("--certificate-oidc-issuer-regexp") { Description = "The OIDC issuer, by regular expression" };
    private readonly Option<string?> _trigger = new("--certificate-github-workflow-trigger") { Description = "GitHub workflow trigger (legacy extension 1.3.6.1.4.1.57264.1.2), exactly" };
    private readonly Option<string?> _sha = new("--certificate-github-workflow-sha") { Description = "GitHub workflow commit SHA (extension .1.3), exactly" };
    private readonly Option<string?> _name = new("--certificate-github-workflow-name") { Description = "GitHub workflow name (extension .1.4), exactly" };
    private readonly Option<string?> _repository = new("--certificate-github-workflow-repository") { Description = "GitHub workflow repository, owner/name (extension .1.5), exactly" };
    private readonly Option<string?> _ref = new("--certificate-github-workflow-ref") { Description = "GitHub workflow ref (extension .1.6), exactly" };
    private readonly Option<string[]> _extension = new("--certificate-extension") { Description = "NAME=VALUE: a Fulcio extension by sigstore-go's name (sourceRepositoryURI, sourceRepositoryRef, buildSignerURI, runnerEnvironment, buildTrigger, …), exactly; repeatable", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string[]> _extensionRegex = new("--certificate-extension-regexp") { Description = "NAME=REGEXP: a Fulcio extension by regular expression; repeatable", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _trustedRoot = new("--trusted-root") { Description = "A Sigstore trusted_root.json (default: the root `trust update` installed, else the public-good root shipped with ZeroDrift)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _identity, _identityRegex, _issuer, _issuerRegex, _trigger, _sha, _name, _repository, _ref, _extension, _extensionRegex, _trustedRoot })
            command.Options.Add(o);
    }

    /// <summary>True when any identity or extension option was given (the caller then verifies keylessly).</summary>
    public bool Given(ParseResult parse) =>
        new[] { _identity, _identityRegex, _issuer, _issuerRegex, _trigger, _sha, _name, _repository, _ref }.Any(o => parse.GetValue(o) is not null)
        || (parse.GetValue(_extension)?.Length ?? 0) > 0 || (parse.GetValue(_extensionRegex)?.Length ?? 0) > 0;

    /// <summary>
    /// What a downloaded input (a database mirror, a rule bundle) must be signed by: <c>--key</c>, or keylessly this
    /// identity; <c>--insecure-skip-verify</c> opts out (null). With neither, <paramref name="whenUnsigned"/> is the
    /// usage error to raise, or null when that input may come unsigned (null returned).
    /// </summary>
    public Supply.Signing.FileTrust? SignedInputTrust(ParseResult parse, Option<string?> key, Option<bool> insecure, string? whenUnsigned)
    {
        var keyPath = parse.GetValue(key);
        var keyless = Given(parse);
        if (keyPath is not null && keyless) throw new UsageException("--key and --certificate-* are exclusive");
        if (parse.GetValue(insecure))
        {
            if (keyPath is not null || keyless) throw new UsageException("--insecure-skip-verify and --key/--certificate-* are exclusive");
            return null;
        }
        if (keyPath is null && !keyless)
            return whenUnsigned is null ? null : throw new UsageException(whenUnsigned);
        var publicKey = keyPath is null ? null : SigstorePublicKey.FromPem(Core.IO.BoundedFile.ReadAllText(keyPath, 64 << 10, "key"), keyPath);
        return new Supply.Signing.FileTrust(publicKey, keyless ? Policy(parse) : null, Root(parse));
    }

    /// <summary>The policy, checked as usage: an identity and an issuer, known extension names, valid regular expressions.</summary>
    public IdentityPolicy Policy(ParseResult parse)
    {
        var extensions = new List<ExtensionRequirement>();
        void Exact(Option<string?> option, string name)
        {
            if (parse.GetValue(option) is { } v) extensions.Add(new ExtensionRequirement(name, v, null));
        }
        Exact(_trigger, "githubWorkflowTrigger");
        Exact(_sha, "githubWorkflowSHA");
        Exact(_name, "githubWorkflowName");
        Exact(_repository, "githubWorkflowRepository");
        Exact(_ref, "githubWorkflowRef");
        foreach (var pair in parse.GetValue(_extension) ?? []) extensions.Add(Split(pair, "--certificate-extension", regex: false));
        foreach (var pair in parse.GetValue(_extensionRegex) ?? []) extensions.Add(Split(pair, "--certificate-extension-regexp", regex: true));
        var policy = new IdentityPolicy(parse.GetValue(_identity), parse.GetValue(_identityRegex), parse.GetValue(_issuer), parse.GetValue(_issuerRegex), extensions);
        if (policy.Identity is null && policy.IdentityRegex is null || policy.Issuer is null && policy.IssuerRegex is null)
            throw new UsageException("give --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
        if (policy.Problem() is { } problem) throw new UsageException(problem);
        foreach (var pattern in new[] { policy.IdentityRegex, policy.IssuerRegex }.Concat(extensions.Select(e => e.Regex)).OfType<string>())
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(200));
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"invalid regular expression '{pattern}': {e.Message}");
            }
        }
        return policy;
    }

    public TrustedRoot Root(ParseResult parse) => parse.GetValue(_trustedRoot) is { } path ? TrustedRoot.Load(path) : TrustedRootStore.Default();

    private static ExtensionRequirement Split(string pair, string option, bool regex)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new UsageException($"{option} takes NAME=VALUE, not '{pair}'");
        var name = pair[..eq];
        var value = pair[(eq + 1)..];
        return regex ? new ExtensionRequirement(name, null, value) : new ExtensionRequirement(name, value, null);
    }
}
