using System.CommandLine;
using ZeroDrift.Artifacts.Temp;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// Rule bundles from a mirror, verified as <c>db update</c> verifies database exports: <c>rules update --source
/// URL|FOLDER</c> fetches <c>rules.yaml</c> and <c>rules.yaml.sigstore.json</c>, refuses (exit 1, one line) unless the
/// signature verifies with <c>--key</c> or a keyless identity (or <c>--insecure-skip-verify</c>), checks the rules load,
/// and only then installs them; <c>rules sign FILE</c> writes the bundle.
/// </summary>
internal static class RuleBundleCommands
{
    public const string BundleName = "rules.yaml";
    private const long MaxRulesBytes = 16 << 20;

    /// <summary><c>$ZERODRIFT_RULES_DIR</c>, else <c>$XDG_DATA_HOME/zerodrift/rules</c> (else ~/.local/share/zerodrift/rules).</summary>
    public static string InstallDirectory()
    {
        if (Environment.GetEnvironmentVariable("ZERODRIFT_RULES_DIR") is { Length: > 0 } explicitDir) return explicitDir;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "zerodrift", "rules");
    }

    public static Command Update()
    {
        var source = new Option<string>("--source") { Description = $"Base URL (https, or http on loopback) or folder holding {BundleName} and {BundleName}.sigstore.json", Required = true };
        var key = new Option<string?>("--key") { Description = "Public key the bundle is signed with (`rules sign --key`)" };
        var identity = new IdentityOptions();
        var insecure = new Option<bool>("--insecure-skip-verify") { Description = "Install the rules without verifying their signature" };
        var command = new Command("update", $"Fetch a signed rule bundle from a mirror, verify it and install it (for agent --rules); exit 1 when refused") { source, key, insecure };
        identity.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var from = parse.GetValue(source)!;
            var trust = identity.SignedInputTrust(parse, key, insecure,
                "give --key or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] to verify the rules' signature, or --insecure-skip-verify");
            using var temp = new PrivateTempDirectory("rules");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            string fetched;
            try
            {
                fetched = await new SignedFileSource(http).FetchAsync(from, BundleName, temp.Path, MaxRulesBytes, trust is not null, token).ConfigureAwait(false);
                if (trust is not null) ExportSignatures.Verify(fetched, trust);
            }
            catch (SupplyException e)
            {
                Console.Error.WriteLine($"zerodrift: rules update refused: {BundleName} from {from}: {e.Message}");
                return ExitCodes.Findings;
            }
            if (trust is null) Output.Terminal.Warn($"{from}: signature not verified (--insecure-skip-verify)");
            int count;
            try
            {
                var set = new RuleSet();
                RuleLoader.LoadFile(set, fetched);
                count = set.Rules.Count;
            }
            catch (RuleFileException e)
            {
                Console.Error.WriteLine($"zerodrift: rules update refused: {BundleName} from {from}: not loadable rules ({e.Message})");
                return ExitCodes.Findings;
            }
            var directory = InstallDirectory();
            Directory.CreateDirectory(directory);
            var installed = Path.Combine(directory, BundleName);
            File.Copy(fetched, installed + ".tmp", overwrite: true);
            File.Move(installed + ".tmp", installed, overwrite: true);
            Console.Out.WriteLine($"Installed {installed}: {count} rule(s){(trust is null ? " (unverified)" : ", signature verified")}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static Command Sign()
    {
        var file = new Argument<string>("file") { Description = "The rule file to sign (published as rules.yaml)" };
        var key = new Option<string?>("--key") { Description = "Private key file (`key generate`); without it, --identity-token signs keylessly" };
        var keyless = new KeylessSigningOptions();
        var command = new Command("sign", "Sign a rule file for a mirror (writes FILE.sigstore.json)") { file, key };
        keyless.AddTo(command, withBundle: false);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new UsageException($"rule file {path} not found");
            var keyPath = parse.GetValue(key);
            if (keyPath is null == !keyless.Given(parse)) throw new UsageException("give one of --key or --identity-token (keyless)");
            // Signing rules that do not load would only move the failure to every site that installs them.
            try
            {
                RuleLoader.LoadFile(new RuleSet(), path);
            }
            catch (RuleFileException e)
            {
                throw new UsageException($"not loadable rules: {e.Message}");
            }
            if (keyPath is not null)
            {
                using var privateKey = SupplyOptions.PrivateKey(keyPath);
                ExportSignatures.Sign(path, privateKey);
            }
            else
            {
                await keyless.SignFileAsync(parse, path, path + ExportSignatures.Suffix, token).ConfigureAwait(false);
            }
            Console.Out.WriteLine($"Signed {path}: {path}{ExportSignatures.Suffix}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
