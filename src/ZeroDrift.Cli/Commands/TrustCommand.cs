using System.CommandLine;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Sigstore;
using ZeroDrift.Supply.Tuf;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>trust update --from URL|FOLDER</c>: fetches Sigstore's trusted_root.json through TUF (root rotation, thresholds,
/// versions, expiry, hashes) and installs it where verify-bundle, verify and policies read it by default. Exit 0
/// installed, 1 refused (one line naming why; nothing installed), 2 bad usage.
/// </summary>
public static class TrustCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The TUF repository: a base URL (https://…/ or http on loopback) or a folder, metadata at its top, targets/ beneath", DefaultValueFactory = _ => SigstoreTufRoot.PublicGoodUrl };
        var root = new Option<string?>("--root") { Description = "The repository's root.json, obtained out of band, for the first update (default: Sigstore public-good's root, shipped with ZeroDrift); afterwards the stored root is the anchor" };
        var target = new Option<string>("--target") { Description = "The target to install", DefaultValueFactory = _ => TrustedRootStore.FileName };
        var update = new Command("update", "Update the Sigstore trusted root from a TUF repository, verifying the metadata chain; exit 1 when refused");
        foreach (var o in new Option[] { from, root, target }) update.Options.Add(o);
        update.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            var fromValue = parse.GetValue(from)!;
            var bootstrap = parse.GetValue(root) is { } rootPath
                ? (File.Exists(rootPath) ? Core.IO.BoundedFile.ReadAllBytes(rootPath, 512 << 10, "root") : throw new UsageException($"root {rootPath} not found"))
                : null;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            ITufSource source;
            if (Uri.TryCreate(fromValue, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
            {
                if (uri.Scheme == "http" && !uri.IsLoopback) throw new UsageException("--from: plain http only on loopback (TUF protects the content, not the reader's privacy; use https)");
                source = new HttpTufSource(new Uri(uri.ToString().TrimEnd('/') + "/"), http);
            }
            else if (Directory.Exists(fromValue)) source = new FolderTufSource(fromValue);
            else throw new UsageException($"--from {fromValue}: neither an http(s) URL nor a folder");

            var directory = TrustedRootStore.Directory();
            TufUpdate result;
            try
            {
                result = new TufClient(Path.Combine(directory, "tuf"), source, DateTimeOffset.UtcNow).Update(parse.GetValue(target)!, bootstrap, SigstoreTufRoot.Shipped());
                if (result.Target == TrustedRootStore.FileName) TrustedRoot.Parse(result.TargetBytes, "the updated trusted root");
            }
            catch (Exception e) when (e is SupplyException or HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine($"zerodrift: trust update refused: {e.Message}");
                return Task.FromResult(ExitCodes.Findings);
            }
            var installed = Path.Combine(directory, result.Target);
            var temp = installed + ".tmp";
            File.WriteAllBytes(temp, result.TargetBytes);
            File.Move(temp, installed, overwrite: true);
            Console.Out.WriteLine($"Installed {installed} ({result.TargetBytes.Length} bytes): root v{result.RootVersion} ({result.Rotations} rotation(s)), timestamp v{result.TimestampVersion}, snapshot v{result.SnapshotVersion}, targets v{result.TargetsVersion}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        var command = new Command("trust", "Sigstore trust: the trusted root keyless verification uses");
        command.Subcommands.Add(update);
        return command;
    }
}
