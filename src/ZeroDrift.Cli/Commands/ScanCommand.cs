using System.CommandLine;
using Spectre.Console;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Cli.Output;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Inventory;
using ZeroDrift.Scanning.Content;
using ZeroDrift.Scanning.Reporting;
using ZeroDrift.Secrets;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Reporting;
using ZeroDrift.Vulnerabilities.Scanning;
using ZeroDrift.Vulnerabilities.Suppression;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift scan TARGET</c>: known vulnerabilities in what the target contains, with evidence, and with
/// <c>--scanners</c> secrets (and, when built in, sensitive data and misconfigurations) in its files, in one pass
/// over the target and one report.
/// </summary>
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
        var scanners = new Option<string[]>("--scanners") { Description = "What to look for, comma-separated: vuln (the default), secret, pii, misconfig", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["vuln"] };
        var secretConfig = new Option<FileInfo?>("--secret-config") { Description = "gitleaks TOML config to use instead of the built-in secret rules (loaded unchanged; [extend] useDefault extends the built-in rules)" };
        var baseline = new Option<FileInfo?>("--baseline") { Description = "A previous zerodrift JSON report or a gitleaks JSON report: secrets and other content findings with these fingerprints are suppressed" };
        var showSecrets = new Option<bool>("--show-secrets") { Description = "Show secrets in clear in every output (redacted by default)" };
        var git = new Option<bool>("--git") { Description = "Also scan every commit's added lines on every branch of the git repository at TARGET" };
        var severity = new Option<string[]>("--severity") { Description = "Severities to report, comma-separated (UNKNOWN,NONE,LOW,MEDIUM,HIGH,CRITICAL; default all)", AllowMultipleArgumentsPerToken = true };
        var ignoreUnfixed = new Option<bool>("--ignore-unfixed") { Description = "Leave out vulnerabilities that have no fixed version" };
        var exitCode = new Option<int>("--exit-code") { Description = "Exit with this code when a reported, unsuppressed finding (vulnerability, secret, ...) remains (default 0)" };
        var ignoreFile = new Option<FileInfo?>("--ignorefile") { Description = "Ignore file (default ./.zerodriftignore when present): ids, optional pkg: scope, exp:YYYY-MM-DD, # reason" };
        var vex = new Option<FileInfo[]>("--vex") { Description = "OpenVEX documents: not_affected and fixed statements suppress findings", AllowMultipleArgumentsPerToken = true };
        var maxDbAge = new Option<int>("--max-db-age") { Description = "Refuse a database last updated more than this many days ago (default 30; 0 = no limit)", DefaultValueFactory = _ => 30 };
        var allowStale = new Option<bool>("--allow-stale-db") { Description = "Only warn when the database is older than --max-db-age" };

        var command = new Command("scan", "Find known vulnerabilities, secrets and other issues in a directory or container image");
        target.AddTo(command);
        foreach (var o in new Option[] { format, output, scanners, severity, ignoreUnfixed, exitCode, DbCommand.DbOption, ignoreFile, vex, maxDbAge, allowStale, secretConfig, baseline, showSecrets, git })
            command.Options.Add(o);
        var upload = new ServerUploadOptions();
        upload.AddTo(command);
        var attestHook = new ScanAttestHook();
        attestHook.AddTo(command);
        var contentOptions = new ContentScannerOptions();
        contentOptions.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var chosen = parse.GetValue(scanners)!.SelectMany(Split).Select(n => n.ToLowerInvariant()).Distinct().ToList();
            foreach (var name in chosen)
                if (name != "vuln" && !ContentScanners.IsContentScanner(name))
                    throw new UsageException($"--scanners {name}: unknown scanner (vuln, {string.Join(", ", ContentScanners.Names)})");
            if (chosen.Count == 0) throw new UsageException("--scanners: name at least one scanner");
            var vuln = chosen.Contains("vuln");
            var severities = ParseSeverities(parse.GetValue(severity));
            var reportFormat = parse.GetValue(format);
            if (reportFormat == ReportFormat.CycloneDx && !vuln)
                throw new UsageException("--format cyclonedx reports vulnerabilities: add vuln to --scanners, or use json or sarif");
            using var stdin = target.ReadStdin(parse);
            var reference = target.Reference(parse);
            if (parse.GetValue(git) && reference.Kind != TargetKind.Directory)
                throw new UsageException("--git needs a directory target (a git working tree)");
            upload.Validate(parse, parse.GetValue(showSecrets));
            attestHook.Validate(parse, reference, chosen, parse.GetValue(showSecrets));

            var contentScanners = chosen.Where(n => n != "vuln").ToList();
            var settings = contentOptions.Apply(parse, new ContentScannerSettings(SecretRules: null, parse.GetValue(showSecrets), Budget: target.Limits(parse).Parsing), contentScanners);
            var detectors = BuildDetectors(contentScanners, parse.GetValue(secretConfig), settings);
            var knownFindings = LoadBaseline(parse.GetValue(baseline));
            var suppressions = vuln ? LoadSuppressions(parse.GetValue(ignoreFile), parse.GetValue(vex) ?? []) : [];

            // Only the vulnerability scanner needs the database: a secrets-only scan runs without one.
            using var database = vuln ? OpenDatabase(parse.GetValue(DbCommand.DbOption), parse.GetValue(maxDbAge), parse.GetValue(allowStale)) : null;
            var content = detectors.Count > 0 ? new ContentScanner(detectors, new ContentScanOptions { Limits = target.Limits(parse) }) : null;
            var collector = new ContentCollector();
            var inventoryScanner = InventoryScanner.Default;

            // One pass: an image's layers are read once for the catalogers and, through the visitor, for the detectors.
            using var visitor = content is not null && reference.IsImage ? content.LayerVisitor(collector, token) : null;
            using var opened = await target.OpenAsync(parse, vuln ? inventoryScanner.Requires : _ => false, visitor, token).ConfigureAwait(false);
            visitor?.Complete();
            // A directory's files are read once too: what the inventory opens and the detectors want is kept for them.
            using var shared = content is not null && vuln && !reference.IsImage ? new SharedFileReads(opened.FileSystem, e => content.Wants(e.Path, e.Size)) : null;

            VulnerabilityReport? vulnReport = null;
            if (vuln)
            {
                var inventory = inventoryScanner.Scan(shared is null ? opened : new Target(opened.Reference, shared.First, opened.Image, opened.Distro, opened.Warnings), target.Limits(parse), token);
                foreach (var warning in inventory.Warnings) Terminal.Warn(warning);
                vulnReport = new VulnerabilityScanner(database!, new OsvSeverityRater()).Scan(inventory,
                    new ScanOptions { Severities = severities, IgnoreUnfixed = parse.GetValue(ignoreUnfixed), Suppressions = suppressions });
                foreach (var warning in vulnReport.Warnings) Terminal.Warn(warning);
                foreach (var line in vulnReport.NotScannable) Console.Error.WriteLine($"zerodrift: not scannable: {line}");
            }

            ContentReport? contentReport = null;
            if (content is not null)
            {
                var results = new List<ContentResult> { reference.IsImage ? collector.Result() : content.ScanFileSystem(shared?.Second ?? opened.FileSystem, token) };
                if (parse.GetValue(git)) results.Add(new GitHistoryScanner(content).Scan(reference.Value, token));
                contentReport = ContentReportOf(chosen.Where(n => n != "vuln").ToList(), detectors, results, severities, knownFindings, parse.GetValue(git));
                if (!vuln) foreach (var warning in opened.Warnings) Terminal.Warn(warning);
                foreach (var warning in contentReport.Warnings) Terminal.Warn(warning);
            }

            var report = new ScanReport
            {
                Target = new ScanTarget(reference.ToString(), reference.Kind.ToString(), opened.Distro, opened.Image?.ManifestDigest),
                Scanners = chosen,
                Vulnerabilities = vulnReport,
                Content = contentReport,
                TargetWarnings = [.. opened.Warnings],
            };
            await WriteAsync(report, reportFormat, parse.GetValue(output)).ConfigureAwait(false);
            await upload.UploadAsync(parse, report, token).ConfigureAwait(false);
            await attestHook.RunAsync(parse, parse.GetValue(target.InsecureRegistry) ?? [], report, token).ConfigureAwait(false);
            if (vulnReport?.NotScannable.Count > 0) return ExitCodes.Usage;
            return report.HasActiveFindings ? parse.GetValue(exitCode) : ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static List<IContentDetector> BuildDetectors(List<string> names, FileInfo? secretConfig, ContentScannerSettings settings)
    {
        if (names.Count == 0) return [];
        if (secretConfig is not null)
        {
            if (!names.Contains("secret")) throw new UsageException("--secret-config needs --scanners secret");
            if (!secretConfig.Exists) throw new UsageException($"{secretConfig.FullName}: no such secret config");
            try
            {
                settings = settings with { SecretRules = SecretRuleSet.LoadGitleaks(secretConfig.FullName) };
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            foreach (var w in settings.SecretRules.Warnings) Terminal.Warn($"--secret-config {w.File ?? secretConfig.FullName}: rule {w.RuleId} skipped: {w.Reason}");
            if (settings.SecretRules.Rules.Count == 0) throw new UsageException($"{secretConfig.FullName}: no usable rule");
        }
        return names.Select(n => ContentScanners.Create(n, settings)).ToList();
    }

    private static Baseline? LoadBaseline(FileInfo? file)
    {
        if (file is null) return null;
        if (!file.Exists) throw new UsageException($"{file.FullName}: no such baseline report");
        try
        {
            using var stream = BoundedFile.OpenRead(file.FullName, Baseline.MaxBytes, "baseline report");
            return Baseline.Parse(file.FullName, stream);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static ContentReport ContentReportOf(List<string> scanners, List<IContentDetector> detectors, List<ContentResult> results,
        HashSet<Severity>? severities, Baseline? baseline, bool git) => new()
    {
        Scanners = scanners,
        Rules = detectors.SelectMany(d => d.Rules).ToList(),
        Findings = results.SelectMany(r => r.Findings)
            .Where(f => severities is null || severities.Contains(f.Severity))
            .Select(f => new ReportedContentFinding(f, baseline?.Contains(f.Fingerprint) == true ? "baseline " + baseline.Source : null))
            .ToList(),
        // A custom check that does not compile is reported even when no file reached the misconfiguration scanner.
        Warnings = detectors.OfType<Misconfig.MisconfigDetector>().SelectMany(d => d.LoadWarnings).Concat(results.SelectMany(r => r.Warnings)).Distinct().ToList(),
        FilesScanned = results.Sum(r => r.FilesScanned),
        BytesScanned = results.Sum(r => r.BytesScanned),
        GitHistory = git,
    };

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
                var ignore = IgnoreFile.Parse(ignorePath, BoundedFile.ReadAllText(ignorePath, IgnoreFile.MaxBytes, "ignore file"));
                foreach (var expired in ignore.ExpiredEntries(today)) Terminal.Warn(expired);
                rules.Add(ignore.Rule(today));
            }
            foreach (var file in vexFiles)
            {
                if (!file.Exists) throw new UsageException($"{file.FullName}: no such VEX document");
                rules.Add(OpenVexDocument.Parse(file.FullName, BoundedFile.ReadAllText(file.FullName, OpenVexDocument.MaxBytes, "VEX document")));
            }
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
        return rules;
    }

    /// <summary>Never silently zero: no database, an empty one or a stale one stops the scan with what to do.</summary>
    internal static VulnerabilityDatabase OpenDatabase(string? path, int maxAgeDays, bool allowStale)
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

    private static Task WriteAsync(ScanReport report, ReportFormat format, FileInfo? output) => format switch
    {
        ReportFormat.Table => ReportOutput.WriteTableAsync(output, (writer, rich) =>
        {
            if (report.Vulnerabilities is { } v) FindingTable.Write(v, writer, rich);
            if (report.Content is { } c)
            {
                if (report.Vulnerabilities is not null) writer.WriteLine();
                ContentTable.Write(c, report.Target.Name, writer, rich);
            }
        }),
        ReportFormat.Json => ReportOutput.WriteDocumentAsync(output, stream => ScanJsonWriter.Write(report, stream)),
        ReportFormat.Sarif => ReportOutput.WriteDocumentAsync(output, stream => SarifReportWriter.Write(report, stream)),
        _ => ReportOutput.WriteDocumentAsync(output, stream => CycloneDxReportWriter.Write(report.Vulnerabilities!, stream)),
    };
}
