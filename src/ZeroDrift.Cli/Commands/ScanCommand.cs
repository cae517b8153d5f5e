using System.CommandLine;
using Spectre.Console;
using ZeroDrift.Cli.Output;
using ZeroDrift.Core;
using ZeroDrift.Inventory;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Reporting;
using ZeroDrift.Vulnerabilities.Scanning;
using ZeroDrift.Vulnerabilities.Suppression;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift scan TARGET</c>: known vulnerabilities in what the target contains, with evidence.</summary>
public static class ScanCommand
{
    private enum ReportFormat { Table, Json, Sarif, CycloneDx }

    public static Command Create()
    {
        var target = new TargetOptionsBinder();
        var format = new Option<ReportFormat>("--format", "-o")
        {
            Description = "Output format: table, json, sarif (2.1.0) or cyclonedx (1.6, with vulnerabilities)",
            DefaultValueFactory = _ => ReportFormat.Table,
            CustomParser = r => ParseFormat(r.Tokens.Count == 0 ? "table" : r.Tokens[0].Value, r),
        };
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write the report to this file instead of standard output" };
        var scanners = new Option<string[]>("--scanners") { Description = "What to look for: vuln (the default)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["vuln"] };
        var severity = new Option<string[]>("--severity") { Description = "Severities to report, comma-separated (UNKNOWN,NONE,LOW,MEDIUM,HIGH,CRITICAL; default all)", AllowMultipleArgumentsPerToken = true };
        var ignoreUnfixed = new Option<bool>("--ignore-unfixed") { Description = "Leave out vulnerabilities that have no fixed version" };
        var exitCode = new Option<int>("--exit-code") { Description = "Exit with this code when a reported, unsuppressed vulnerability remains (default 0)" };
        var ignoreFile = new Option<FileInfo?>("--ignorefile") { Description = "Ignore file (default ./.zerodriftignore when present): ids, optional pkg: scope, exp:YYYY-MM-DD, # reason" };
        var vex = new Option<FileInfo[]>("--vex") { Description = "OpenVEX documents: not_affected and fixed statements suppress findings", AllowMultipleArgumentsPerToken = true };
        var maxDbAge = new Option<int>("--max-db-age") { Description = "Refuse a database last updated more than this many days ago (default 30; 0 = no limit)", DefaultValueFactory = _ => 30 };
        var allowStale = new Option<bool>("--allow-stale-db") { Description = "Only warn when the database is older than --max-db-age" };

        var command = new Command("scan", "Find known vulnerabilities in a directory or container image");
        target.AddTo(command);
        var upload = new ServerUploadOptions();
        upload.AddTo(command);
        foreach (var o in new Option[] { format, output, scanners, severity, ignoreUnfixed, exitCode, DbCommand.DbOption, ignoreFile, vex, maxDbAge, allowStale })
            command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var unknownScanner = parse.GetValue(scanners)!.SelectMany(Split).FirstOrDefault(s => s != "vuln");
            if (unknownScanner is not null) throw new UsageException($"--scanners {unknownScanner}: this version scans for vuln only");
            var severities = ParseSeverities(parse.GetValue(severity));
            var suppressions = LoadSuppressions(parse.GetValue(ignoreFile), parse.GetValue(vex) ?? []);

            using var database = OpenDatabase(parse.GetValue(DbCommand.DbOption), parse.GetValue(maxDbAge), parse.GetValue(allowStale));
            var inventory = await target.InventoryAsync(parse, token).ConfigureAwait(false);
            foreach (var warning in inventory.Warnings) Terminal.Warn(warning);

            var scanner = new VulnerabilityScanner(database, new OsvSeverityRater());
            var report = scanner.Scan(inventory, new ScanOptions { Severities = severities, IgnoreUnfixed = parse.GetValue(ignoreUnfixed), Suppressions = suppressions });
            foreach (var warning in report.Warnings) Terminal.Warn(warning);
            foreach (var line in report.NotScannable) Console.Error.WriteLine($"zerodrift: not scannable: {line}");

            await WriteAsync(report, parse.GetValue(format), parse.GetValue(output)).ConfigureAwait(false);
            await upload.UploadAsync(parse, report, token).ConfigureAwait(false);
            if (report.NotScannable.Count > 0) return ExitCodes.Usage;
            return report.Active.Any() ? parse.GetValue(exitCode) : ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static IEnumerable<string> Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static HashSet<Severity>? ParseSeverities(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        var set = new HashSet<Severity>();
        foreach (var v in values.SelectMany(Split))
        {
            if (!Enum.TryParse<Severity>(v, ignoreCase: true, out var s) || int.TryParse(v, out _))
                throw new UsageException($"--severity {v}: expected UNKNOWN, NONE, LOW, MEDIUM, HIGH or CRITICAL");
            set.Add(s);
        }
        return set;
    }

    private static List<ISuppressionRule> LoadSuppressions(FileInfo? ignoreFile, FileInfo[] vexFiles)
    {
        var rules = new List<ISuppressionRule>();
        var ignorePath = ignoreFile?.FullName ?? (File.Exists(".zerodriftignore") ? Path.GetFullPath(".zerodriftignore") : null);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        try
        {
            if (ignorePath is not null)
            {
                if (!File.Exists(ignorePath)) throw new UsageException($"{ignorePath}: no such ignore file");
                var ignore = IgnoreFile.Parse(ignorePath, File.ReadAllText(ignorePath));
                foreach (var expired in ignore.ExpiredEntries(today)) Terminal.Warn(expired);
                rules.Add(ignore.Rule(today));
            }
            foreach (var file in vexFiles)
            {
                if (!file.Exists) throw new UsageException($"{file.FullName}: no such VEX document");
                rules.Add(OpenVexDocument.Parse(file.FullName, File.ReadAllText(file.FullName)));
            }
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
        return rules;
    }

    /// <summary>Never silently zero: no database, an empty one or a stale one stops the scan with what to do.</summary>
    private static VulnerabilityDatabase OpenDatabase(string? path, int maxAgeDays, bool allowStale)
    {
        var database = VulnerabilityDatabase.Open(DatabaseLocation.Resolve(path), create: false);
        var info = database.Info();
        if (info.UnfinishedImport is { } started)
            Terminal.Warn($"an import started at {started} did not finish; the database holds the data from before it");
        if (info.Advisories == 0)
        {
            database.Dispose();
            throw new UsageException($"the vulnerability database at {info.Path} is empty: run 'zerodrift db import PATH' or 'zerodrift db update'");
        }
        if (maxAgeDays > 0 && info.LastUpdate is { } last && DateTimeOffset.UtcNow - last > TimeSpan.FromDays(maxAgeDays))
        {
            var message = $"the vulnerability database was last updated {last:yyyy-MM-dd}, more than {maxAgeDays} days ago: run 'zerodrift db update'";
            if (!allowStale)
            {
                database.Dispose();
                throw new UsageException(message + " (or pass --allow-stale-db)");
            }
            Terminal.Warn(message);
        }
        return database;
    }

    private static ReportFormat ParseFormat(string value, System.CommandLine.Parsing.ArgumentResult result)
    {
        switch (value.ToLowerInvariant())
        {
            case "table": return ReportFormat.Table;
            case "json": return ReportFormat.Json;
            case "sarif": return ReportFormat.Sarif;
            case "cyclonedx" or "cyclonedx-json" or "cdx": return ReportFormat.CycloneDx;
            default:
                result.AddError($"unknown format '{value}' (table, json, sarif, cyclonedx)");
                return ReportFormat.Table;
        }
    }

    private static Task WriteAsync(VulnerabilityReport report, ReportFormat format, FileInfo? output) => format switch
    {
        ReportFormat.Table => ReportOutput.WriteTableAsync(output, (writer, rich) => FindingTable.Write(report, writer, rich)),
        ReportFormat.Json => ReportOutput.WriteDocumentAsync(output, stream => JsonReportWriter.Write(report, stream)),
        ReportFormat.Sarif => ReportOutput.WriteDocumentAsync(output, stream => SarifReportWriter.Write(report, stream)),
        _ => ReportOutput.WriteDocumentAsync(output, stream => CycloneDxReportWriter.Write(report, stream)),
    };
}
