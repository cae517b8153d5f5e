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
        var source = new Option<string>("--source") { Description = $"Base URL or folder laid out as <Ecosystem>/all.zip (default {OsvUpdater.PublicExport})", DefaultValueFactory = _ => OsvUpdater.PublicExport };
        var ecosystems = new Option<string[]>("--ecosystems") { Description = "Ecosystems to fetch, comma-separated (default: all in a folder; the ones ZeroDrift catalogs for a URL)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("update", "Fetch the OSV export (or a mirror, or a folder) and import it") { source, ecosystems };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var list = parse.GetValue(ecosystems) is { Length: > 0 } e ? e.SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;
            using var temp = new PrivateTempDirectory("osv");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var zips = await new OsvUpdater(http).FetchAsync(parse.GetValue(source)!, list, temp.Path, Terminal.Warn, token).ConfigureAwait(false);
            return RunImport(parse, zips.SelectMany(z => OsvSourceReader.Read(z, Terminal.Warn)), token);
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
