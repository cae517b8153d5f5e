using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Keys;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Cli.Commands;

/// <summary>Options and helpers the signing commands share: registry access, keys, passwords.</summary>
internal static class SupplyOptions
{
    public const string PasswordVariable = "ZERODRIFT_PASSWORD";
    public const string CosignPasswordVariable = "COSIGN_PASSWORD";

    public static Argument<string> Image() => new("image") { Description = "The image: host[:port]/repo[:tag|@digest]" };

    public static Option<string[]> InsecureRegistry() => new("--insecure-registry")
    {
        Description = "Reach this registry (host:port, loopback only) over plain HTTP; repeatable",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> FormatOption() => new("--signature-format")
    {
        Description = "bundle (Sigstore bundle via OCI referrers, cosign 3) or legacy (sha256-<hex>.sig/.att tags, cosign 2)",
        DefaultValueFactory = _ => "bundle",
    };

    public static SignatureFormat ParseFormat(string value) => value.ToLowerInvariant() switch
    {
        "bundle" => SignatureFormat.Bundle,
        "legacy" => SignatureFormat.Legacy,
        _ => throw new UsageException($"unknown --signature-format '{value}' (bundle or legacy)"),
    };

    public static ImageSigning Signing(ParseResult parse, Option<string[]> insecure) =>
        new(new RegistryClient(RegistryClientOptions.FromEnvironment(parse.GetValue(insecure) ?? [])));

    public static ImageReference ParseImage(string text) => ImageReference.Parse(text.StartsWith("registry:", StringComparison.Ordinal) ? text["registry:".Length..] : text);

    /// <summary>ZERODRIFT_PASSWORD, else COSIGN_PASSWORD (so cosign's setup works unchanged), else a prompt without echo.</summary>
    public static string Password(bool confirm)
    {
        foreach (var variable in new[] { PasswordVariable, CosignPasswordVariable })
            if (Environment.GetEnvironmentVariable(variable) is { } value) return value;
        if (Console.IsInputRedirected)
            throw new UsageException($"a password is needed and there is no terminal to ask on: set {PasswordVariable}");
        var password = Prompt("Enter password for private key: ");
        if (confirm && Prompt("Enter password for private key again: ") != password)
            throw new UsageException("the passwords do not match");
        return password;
    }

    private static string Prompt(string message)
    {
        Console.Error.Write(message);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; continue; }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    public static ECDsa PrivateKey(string path) => SigningKeys.LoadPrivateKey(SigningKeys.ReadKeyFile(path), Password(confirm: false), path);

    public static List<TrustedKey> PublicKeys(IEnumerable<string> paths) =>
        paths.Select(p => new TrustedKey(p, SigningKeys.LoadPublicKey(SigningKeys.ReadKeyFile(p), p))).ToList();
}
