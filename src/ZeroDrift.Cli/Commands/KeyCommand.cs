using System.CommandLine;
using ZeroDrift.Supply.Keys;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift key generate [--output-prefix P]</c>: an ECDSA P-256 key pair in cosign's format.</summary>
public static class KeyCommand
{
    public static Command Create()
    {
        var command = new Command("key", "Manage signing keys (cosign-compatible)");
        var prefix = new Option<string>("--output-prefix") { Description = "Write PREFIX.key and PREFIX.pub", DefaultValueFactory = _ => "zerodrift" };
        var force = new Option<bool>("--force") { Description = "Overwrite existing key files" };
        var generate = new Command("generate", "Generate an ECDSA P-256 key pair: PREFIX.key (encrypted, cosign's format) and PREFIX.pub");
        generate.Options.Add(prefix);
        generate.Options.Add(force);
        generate.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var p = parse.GetValue(prefix)!;
            var (keyPath, pubPath) = (p + ".key", p + ".pub");
            if (!parse.GetValue(force))
                foreach (var path in new[] { keyPath, pubPath })
                    if (File.Exists(path)) throw new UsageException($"{path} exists; pass --force to overwrite it");
            var pair = SigningKeys.Generate(SupplyOptions.Password(confirm: true));
            // The private key is readable by its owner only, as cosign writes it.
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var stream = new FileStream(keyPath, options))
            await using (var writer = new StreamWriter(stream))
                await writer.WriteAsync(pair.PrivateKeyPem.AsMemory(), token).ConfigureAwait(false);
            await File.WriteAllTextAsync(pubPath, pair.PublicKeyPem, token).ConfigureAwait(false);
            Console.Error.WriteLine($"Private key written to {keyPath}");
            Console.Error.WriteLine($"Public key written to {pubPath}");
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(generate);
        return command;
    }
}
