using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using ZeroDrift.Artifacts.Temp;
using ZeroDrift.Cli.Output;
using ZeroDrift.Vulnerabilities.Database;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift db import|update|info</c>: the offline OSV database.</summary>
public static class DbCommand
{
    public static readonly Option<string?> DbOption = new("--db")
    {
        Description = "Vulnerability database file (default $ZERODRIFT_DB, else $XDG_CACHE_HOME/zerodrift/vulnerabilities.db)",
        Recursive = true,
    };

    public static Command Create()
    {
        var db = new Command("db", "Manage the offline vulnerability database (OSV advisories in SQLite)");
        db.Options.Add(DbOption);
        db.Subcommands.Add(Import());
        db.Subcommands.Add(Update());
        db.Subcommands.Add(Info());
        db.Subcommands.Add(Sign());
        db.Subcommands.Add(Export());
        return db;
    }

    private static Command Import()
    {
        var paths = new Argument<string[]>("path") { Description = "OSV all.zip files, folders of them (<Ecosystem>/all.zip) or of JSON records, or single records", Arity = ArgumentArity.OneOrMore };
        var command = new Command("import", "Import OSV advisories from files or folders") { paths };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, token =>
        {
            var documents = parse.GetValue(paths)!.SelectMany(p => OsvSourceReader.Read(p, Terminal.Warn));
            return Task.FromResult(RunImport(parse, documents, token));
        }, ct));
        return command;
    }

    private static Command Update()
    {
        var source = new Option<string>("--source") { Description = $"Base URL or folder laid out as <Ecosystem>/all.zip (default {OsvUpdater.PublicExport}); a mirror's exports must be signed (<Ecosystem>/all.zip.sigstore.json)", DefaultValueFactory = _ => OsvUpdater.PublicExport };
        var ecosystems = new Option<string[]>("--ecosystems") { Description = "Ecosystems to fetch, comma-separated (default: all in a folder; the ones ZeroDrift catalogs for a URL)", AllowMultipleArgumentsPerToken = true };
        var key = new Option<string?>("--key") { Description = "Public key the mirror's exports are signed with (`db sign --key`)" };
        var identity = new IdentityOptions();
        var insecure = new Option<bool>("--insecure-skip-verify") { Description = "Import a mirror's exports without verifying their signatures" };
        var command = new Command("update", "Fetch the OSV export (or a signed mirror, or a folder) and import it; exit 1 when a mirror's signature is refused") { source, ecosystems, key, insecure };
        identity.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var from = parse.GetValue(source)!;
            // A mirror (any source but OSV's own export, which publishes no signatures and is reached over HTTPS from
            // its owner) must be verified.
            var trust = identity.SignedInputTrust(parse, key, insecure, from == OsvUpdater.PublicExport ? null
                : $"{from} is a mirror: give --key or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] to verify its signatures, or --insecure-skip-verify");
            var list = parse.GetValue(ecosystems) is { Length: > 0 } e ? e.SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;
            using var temp = new PrivateTempDirectory("osv");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var zips = await new OsvUpdater(http).FetchAsync(from, list, temp.Path, Terminal.Warn, token, withSignatures: trust is not null).ConfigureAwait(false);
            if (trust is not null)
            {
                // Every export is verified before anything is imported: one refused file refuses the update.
                foreach (var zip in zips)
                {
                    var name = $"{Path.GetFileName(Path.GetDirectoryName(zip))}/all.zip";
                    try
                    {
                        Supply.Signing.ExportSignatures.Verify(zip, trust);
                    }
                    catch (Supply.SupplyException ex)
                    {
                        Console.Error.WriteLine($"zerodrift: db update refused: {name} from {from}: {ex.Message}");
                        return ExitCodes.Findings;
                    }
                }
            }
            else if (from != OsvUpdater.PublicExport)
            {
                Terminal.Warn($"{from}: signatures not verified (--insecure-skip-verify)");
            }
            return RunImport(parse, zips.SelectMany(z => OsvSourceReader.Read(z, Terminal.Warn)), token);
        }, ct));
        return command;
    }

    /// <summary><c>db sign FOLDER --key K</c>: signs each <c>&lt;Ecosystem&gt;/all.zip</c> of an export folder for a mirror.</summary>
    private static Command Sign()
    {
        var folder = new Argument<string>("folder") { Description = "An export folder laid out as <Ecosystem>/all.zip" };
        var key = new Option<string>("--key") { Description = "Private key file (`key generate`)", Required = true };
        var command = new Command("sign", "Sign a folder of OSV exports for a mirror (writes <Ecosystem>/all.zip.sigstore.json)") { folder, key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            var root = parse.GetValue(folder)!;
            if (!Directory.Exists(root)) throw new UsageException($"folder {root} not found");
            var zips = Directory.GetDirectories(root).Select(d => Path.Combine(d, "all.zip")).Where(File.Exists).Order(StringComparer.Ordinal).ToList();
            if (zips.Count == 0) throw new UsageException($"{root}: no <Ecosystem>/all.zip files");
            using var privateKey = SupplyOptions.PrivateKey(parse.GetValue(key)!);
            foreach (var zip in zips) Console.Out.WriteLine($"Signed {Supply.Signing.ExportSignatures.Sign(zip, privateKey)}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    /// <summary>
    /// <c>db export DIR (--key K | --identity-token T | --unsigned)</c>: the local database in the mirror layout
    /// <c>db update --source DIR|URL</c> reads, each <c>all.zip</c> signed beside it, for an air-gapped site.
    /// </summary>
    private static Command Export()
    {
        var directory = new Argument<string>("directory") { Description = "Where to write <Ecosystem>/all.zip (+ .sigstore.json): a new or empty folder" };
        var key = new Option<string?>("--key") { Description = "Private key file (`key generate`) to sign each export with" };
        var unsigned = new Option<bool>("--unsigned") { Description = "Write the exports without signatures (db update then needs --insecure-skip-verify)" };
        var keyless = new KeylessSigningOptions();
        var command = new Command("export", "Export the local vulnerability database as a signed mirror (<Ecosystem>/all.zip, as db update --source reads)") { directory, key, unsigned };
        keyless.AddTo(command, withBundle: false);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var target = parse.GetValue(directory)!;
            var keyPath = parse.GetValue(key);
            var signers = (keyPath is null ? 0 : 1) + (keyless.Given(parse) ? 1 : 0) + (parse.GetValue(unsigned) ? 1 : 0);
            if (signers != 1) throw new UsageException("give one of --key, --identity-token (keyless) or --unsigned");
            if (File.Exists(target) || Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new UsageException($"{target} exists and is not an empty folder: export into a new one");
            using var privateKey = keyPath is null ? null : SupplyOptions.PrivateKey(keyPath);
            Directory.CreateDirectory(target);
            IReadOnlyList<string> zips;
            using (var database = VulnerabilityDatabase.Open(DatabaseLocation.Resolve(parse.GetValue(DbOption)), create: false))
                zips = database.Export(target, Terminal.Warn, token);
            if (zips.Count == 0) throw new UsageException("the database holds no advisories to export");
            foreach (var zip in zips)
            {
                if (privateKey is not null) Supply.Signing.ExportSignatures.Sign(zip, privateKey);
                else if (keyless.Given(parse)) await keyless.SignFileAsync(parse, zip, zip + Supply.Signing.ExportSignatures.Suffix, token).ConfigureAwait(false);
            }
            Console.Out.WriteLine($"Exported {zips.Count} ecosystem(s) to {target}{(parse.GetValue(unsigned) ? " (unsigned)" : ", each signed")}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static int RunImport(ParseResult parse, IEnumerable<OsvDocument> documents, CancellationToken token)
    {
        using var database = VulnerabilityDatabase.Open(DatabaseLocation.Resolve(parse.GetValue(DbOption)), create: true);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = database.Import(documents, Terminal.Warn, token);
        if (!parse.GetValue(GlobalOptions.Quiet))
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imported into {database.Path} in {started.Elapsed.TotalSeconds:0.0}s: {result.Added} added, {result.Updated} updated, {result.Unchanged} unchanged, {result.Invalid} invalid"));
        }
        return ExitCodes.Ok;
    }

    private static Command Info()
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var command = new Command("info", "Show what the database holds: advisories per ecosystem, sources, last update, schema, size") { json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            using var database = VulnerabilityDatabase.Open(DatabaseLocation.Resolve(parse.GetValue(DbOption)), create: false);
            var info = database.Info();
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(info, DbJsonContext.Default.DatabaseInfo));
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"database:      {info.Path}");
            Console.WriteLine($"schema:        {info.SchemaVersion}");
            Console.WriteLine($"size:          {info.SizeBytes / 1024.0 / 1024.0:0.0} MiB");
            Console.WriteLine($"last update:   {info.LastUpdate?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}");
            Console.WriteLine($"advisories:    {info.Advisories} ({info.Withdrawn} withdrawn)");
            if (info.UnfinishedImport is { } unfinished)
                Terminal.Warn($"an import started at {unfinished} did not finish; the database holds the data from before it");
            var table = new Table().Border(TableBorder.Simple).AddColumn("ECOSYSTEM").AddColumn(new TableColumn("ADVISORIES").RightAligned());
            foreach (var e in info.Ecosystems) table.AddRow(Markup.Escape(e.Ecosystem), e.Advisories.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }).Write(table);
            foreach (var s in info.Sources)
                Console.WriteLine($"source {s.Name}: {s.Records} records from {s.Location} at {s.ImportedAt.ToString("u", CultureInfo.InvariantCulture)}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(DatabaseInfo))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DbJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
