using System.CommandLine;
using ZeroDrift.Core.IO;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>sign</c>'s keyless options: the OIDC token and the Fulcio and Rekor to use (default: Sigstore's public-good
/// instance; also <c>ZERODRIFT_FULCIO_URL</c>, <c>ZERODRIFT_REKOR_URL</c>, and the token in <c>SIGSTORE_ID_TOKEN</c>).
/// </summary>
internal sealed class KeylessSigningOptions
{
    public const string TokenVariable = "SIGSTORE_ID_TOKEN";
    public const string FulcioVariable = "ZERODRIFT_FULCIO_URL";
    public const string RekorVariable = "ZERODRIFT_REKOR_URL";

    private readonly Option<string?> _token = new("--identity-token") { Description = $"The OIDC identity token, or @FILE holding it (default: ${TokenVariable})" };
    private readonly Option<string?> _fulcio = new("--fulcio-url") { Description = $"Fulcio's base URL (default: ${FulcioVariable}, else https://fulcio.sigstore.dev)" };
    private readonly Option<string?> _rekor = new("--rekor-url") { Description = $"Rekor's base URL (default: ${RekorVariable}, else https://rekor.sigstore.dev)" };
    private readonly Option<string?> _bundle = new("--bundle") { Description = "Where to write the Sigstore bundle of a signed file (default: FILE.sigstore.json)" };

    public void AddTo(Command command, bool withBundle = true)
    {
        foreach (var o in new Option[] { _token, _fulcio, _rekor }) command.Options.Add(o);
        if (withBundle) command.Options.Add(_bundle);
    }

    public bool Given(ParseResult parse) => parse.GetValue(_token) is not null || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TokenVariable));

    public async Task<int> SignBlobAsync(ParseResult parse, string path, CancellationToken cancellationToken)
    {
        var output = parse.GetValue(_bundle) ?? path + ".sigstore.json";
        await SignFileAsync(parse, path, output, cancellationToken).ConfigureAwait(false);
        Console.Out.WriteLine($"Signed {path} keylessly as {KeylessSigner.TokenSubject(Token(parse))}: {output}");
        return ExitCodes.Ok;
    }

    /// <summary>Signs a file keylessly into the bundle <paramref name="output"/> (one Fulcio certificate per file, as cosign sign-blob).</summary>
    public async Task SignFileAsync(ParseResult parse, string path, string output, CancellationToken cancellationToken)
    {
        var artifact = BoundedFile.ReadAllBytes(path, 1L << 30, "artifact");
        using var http = Http();
        var bundle = await Signer(parse, http).SignBlobAsync(artifact, Token(parse), cancellationToken).ConfigureAwait(false);
        File.WriteAllBytes(output, bundle);
    }

    /// <summary>cosign 3's keyless image signature: an in-toto statement (cosign's sign predicate) in a DSSE bundle, attached as a referrer.</summary>
    public async Task<SignResult> SignImageAsync(ParseResult parse, ImageSigning signing, ResolvedImage image, CancellationToken cancellationToken)
    {
        var statement = InTotoStatement.Create(image.RepositoryName, image.Digest, PredicateTypes.CosignSign, new System.Text.Json.Nodes.JsonObject());
        using var http = Http();
        var bundle = await Signer(parse, http).SignDsseAsync(DsseEnvelope.InTotoPayloadType, statement, Token(parse), cancellationToken).ConfigureAwait(false);
        return await signing.AttachBundleAsync(image, bundle, PredicateTypes.CosignSign, cancellationToken).ConfigureAwait(false);
    }

    private static HttpClient Http() => new() { Timeout = TimeSpan.FromSeconds(30) };

    private KeylessSigner Signer(ParseResult parse, HttpClient http) => new(http, new KeylessServices(
        Url(parse.GetValue(_fulcio) ?? Environment.GetEnvironmentVariable(FulcioVariable), KeylessServices.PublicGood.Fulcio, "--fulcio-url"),
        Url(parse.GetValue(_rekor) ?? Environment.GetEnvironmentVariable(RekorVariable), KeylessServices.PublicGood.Rekor, "--rekor-url")));

    private string Token(ParseResult parse)
    {
        var value = parse.GetValue(_token) ?? Environment.GetEnvironmentVariable(TokenVariable) ?? "";
        if (value.StartsWith('@'))
        {
            var file = value[1..];
            if (!File.Exists(file)) throw new UsageException($"identity token file {file} not found");
            value = BoundedFile.ReadAllText(file, 64 << 10, "identity token");
        }
        value = value.Trim();
        if (value.Length == 0) throw new UsageException("the identity token is empty");
        return value;
    }

    private static Uri Url(string? text, Uri fallback, string option)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"{option}: '{text}' is not an http(s) URL");
        return uri;
    }
}
