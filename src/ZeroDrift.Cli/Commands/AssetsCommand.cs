using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Assets;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift assets</c>: the inventory of images seen through admission and discovered in registries.</summary>
public static class AssetsCommand
{
    public const string DbVariable = "ZERODRIFT_ASSETS_DB";

    public static Option<string?> DbOption() => new("--db")
    {
        Description = $"Asset inventory file (default ${DbVariable}, else $XDG_CACHE_HOME/zerodrift/assets.db)",
    };

    public static string DbPath(string? given)
    {
        if (given is { Length: > 0 }) return Path.GetFullPath(given);
        if (Environment.GetEnvironmentVariable(DbVariable) is { Length: > 0 } fromEnv) return Path.GetFullPath(fromEnv);
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "zerodrift", "assets.db");
    }

    public static Command Create()
    {
        var command = new Command("assets", "The inventory of images: seen through admission or discovered in registries");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Discover());
        return command;
    }

    private static Command List()
    {
        var db = DbOption();
        var repository = new Option<string?>("--repository") { Description = "Only repositories matching this pattern ('*' wildcard), e.g. 'ghcr.io/acme/*'" };
        var output = new Option<string>("--output", "-o") { Description = "table or json", DefaultValueFactory = _ => "table" };
        var command = new Command("list", "List every image in the inventory: digest, signatures, attestations, last scan, last decision");
        foreach (var o in new Option[] { db, repository, output }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, token =>
        {
            var format = parse.GetValue(output)!;
            if (format is not ("table" or "json")) throw new UsageException($"unknown output '{format}' (table or json)");
            using var store = new AssetStore(DbPath(parse.GetValue(db)));
            var assets = store.List(parse.GetValue(repository)?.Replace('*', '%'));
            if (format == "json")
            {
                var doc = new JsonArray(assets.Select(a => (JsonNode)new JsonObject
                {
                    ["repository"] = a.Repository, ["digest"] = a.Digest, ["reference"] = a.Reference, ["source"] = a.Source, ["workload"] = a.Workload,
                    ["signedBy"] = new JsonArray(Split(a.SignedBy)), ["attestations"] = new JsonArray(Split(a.Attestations)),
                    ["lastScan"] = a.LastScan, ["decision"] = a.Decision.Length == 0 ? null : a.Decision,
                    ["firstSeen"] = a.FirstSeen.ToString("O"), ["lastSeen"] = a.LastSeen.ToString("O"), ["timesSeen"] = a.TimesSeen,
                }).ToArray());
                Console.Out.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.Out.WriteLine($"{"IMAGE",-50} {"DIGEST",-19} {"SIGNED BY",-20} {"ATTESTATIONS",-30} {"LAST SCAN",-20} {"DECISION",-8} SEEN");
                foreach (var a in assets)
                    Console.Out.WriteLine($"{a.Repository,-50} {a.Digest[..Math.Min(19, a.Digest.Length)],-19} {Dash(a.SignedBy),-20} {Dash(a.Attestations),-30} {a.LastScan ?? "-",-20} {(a.Decision.Length == 0 ? "-" : a.Decision),-8} {a.Source} {a.LastSeen:yyyy-MM-dd HH:mm} ({a.TimesSeen}x)");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Discover()
    {
        var db = DbOption();
        var repositories = new Argument<string[]>("repository") { Description = "Repositories to list: host[:port]/repo", Arity = ArgumentArity.OneOrMore };
        var keys = new Option<string[]>("--key") { Description = "Public keys to verify signatures and attestations with; repeatable", AllowMultipleArgumentsPerToken = false };
        var insecure = SupplyOptions.InsecureRegistry();
        var command = new Command("discover", "Record every tagged image of registry repositories, with its verified signatures and attestations");
        command.Arguments.Add(repositories);
        foreach (var o in new Option[] { db, keys, insecure }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var trusted = SupplyOptions.PublicKeys(parse.GetValue(keys) ?? []);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            using var store = new AssetStore(DbPath(parse.GetValue(db)));
            foreach (var text in parse.GetValue(repositories)!)
            {
                var reference = ImageReference.Parse(text);
                if (reference.Digest is not null || (reference.Tag is not null && text.EndsWith(":" + reference.Tag, StringComparison.Ordinal)))
                    throw new UsageException($"{text}: name a repository (host/repo), not an image");
                var count = await AssetDiscovery.DiscoverAsync(store, signing, reference.RepositoryRef, trusted, token).ConfigureAwait(false);
                Console.Error.WriteLine($"{reference.Name}: {count} tagged image(s) recorded");
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static JsonNode?[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray();
    private static string Dash(string s) => s.Length == 0 ? "-" : s;
}
