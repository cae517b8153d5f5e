using System.CommandLine;
using ZeroDrift.Cli.Output;
using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift fix PATH</c> for a source tree: the smallest dependency upgrades that close the scan's findings,
/// as a unified diff (default) or JSON, written with <c>--apply</c>. Exit codes as <c>scan --exit-code 1</c>:
/// 0 nothing to fix, 1 upgrades proposed or findings remaining, 2 an error.
/// </summary>
public static class FixDependenciesCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "Source tree to fix (a directory)" };
        var apply = new Option<bool>("--apply") { Description = "Write the changes (each file replaced atomically; nothing outside PATH)" };
        var format = new Option<string>("--format", "-o") { Description = "Output format: diff (unified diff, the default) or json", DefaultValueFactory = _ => "diff" };
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write the diff or JSON to this file instead of standard output" };
        var allowMajor = new Option<bool>("--allow-major") { Description = "Take upgrades that cross a major version (skipped and reported otherwise)" };
        var lockfileTool = new Option<bool>("--lockfile-tool") { Description = "After --apply, let npm refresh package-lock.json (npm install --package-lock-only --ignore-scripts; no project script runs)" };
        var checkRegistry = new Option<bool>("--check-registry") { Description = "Ask npm's and NuGet's public registries whether each planned version was published (offline by default)" };
        var maxDbAge = new Option<int>("--max-db-age") { Description = "Refuse a database last updated more than this many days ago (default 30; 0 = no limit)", DefaultValueFactory = _ => 30 };
        var allowStale = new Option<bool>("--allow-stale-db") { Description = "Only warn when the database is older than --max-db-age" };

        var command = new Command("fix", "Propose (or --apply) the smallest dependency upgrades that remove a source tree's known vulnerabilities");
        command.Arguments.Add(path);
        foreach (var o in new Option[] { apply, format, output, allowMajor, lockfileTool, checkRegistry, DbCommand.DbOption, maxDbAge, allowStale })
            command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var root = parse.GetValue(path)!;
            if (root.StartsWith("dir:", StringComparison.Ordinal)) root = root[4..];
            if (!Directory.Exists(root))
                throw new UsageException($"{root}: not a directory (zerodrift fix PATH fixes a source tree's dependencies)");
            var kind = parse.GetValue(format)!.ToLowerInvariant();
            if (kind is not ("diff" or "json")) throw new UsageException($"--format {kind}: expected diff or json");
            if (parse.GetValue(lockfileTool) && !parse.GetValue(apply)) throw new UsageException("--lockfile-tool needs --apply (it rewrites package-lock.json)");

            using var database = ScanCommand.OpenDatabase(parse.GetValue(DbCommand.DbOption), parse.GetValue(maxDbAge), parse.GetValue(allowStale));
            using var http = parse.GetValue(checkRegistry) ? new HttpClient { Timeout = TimeSpan.FromSeconds(20) } : null;
            var options = new DependencyFixOptions { AllowMajor = parse.GetValue(allowMajor), Registry = http is null ? null : new RegistryCheck(http) };
            var plan = await new DependencyFixer(database).PlanAsync(root, options, token).ConfigureAwait(false);
            foreach (var warning in plan.Warnings) Terminal.Warn(warning);
            var applied = parse.GetValue(apply);
            var writeFailures = 0;
            if (applied)
            {
                var failures = DependencyFixer.Apply(plan);
                writeFailures = failures.Count;
                foreach (var warning in failures) Terminal.Warn(warning);
                if (parse.GetValue(lockfileTool))
                    foreach (var line in NpmLockTool.Refresh(plan, token)) Console.Error.WriteLine($"zerodrift: {line}");
            }
            if (kind == "json") await ReportOutput.WriteDocumentAsync(parse.GetValue(output), stream => FixJsonWriter.Write(plan, applied, stream)).ConfigureAwait(false);
            else
            {
                // The diff goes out exactly as patch and git apply read it: nothing at all when there is nothing to change.
                var diff = string.Concat(plan.Changes.Select(c => UnifiedDiff.Of(c.File, c.Before, c.After)));
                if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, diff, token).ConfigureAwait(false);
                else await Console.Out.WriteAsync(diff).ConfigureAwait(false);
            }
            foreach (var u in plan.Upgrades)
            {
                var ids = string.Join(", ", u.Advisories);
                Console.Error.WriteLine(u.Taken
                    ? $"zerodrift: {(applied ? "upgraded" : "upgrade")} {u.Ecosystem.ToString().ToLowerInvariant()} {u.Name} {u.From} → {u.To}{(u.CrossesMajor ? " (major)" : "")}: closes {ids}"
                      + (u.Remaining.Count > 0 ? $"; no fix exists for {string.Join(", ", u.Remaining)}" : "")
                    : $"zerodrift: skipped {u.Name} {u.From}: {u.SkipReason} ({ids})");
            }
            foreach (var note in plan.Notes) Console.Error.WriteLine($"zerodrift: note: {note}");
            foreach (var line in plan.Unedited) Console.Error.WriteLine($"zerodrift: not edited: {line}");
            // Proposed upgrades are work left; after --apply only what could not be done is.
            var remaining = applied ? plan.Upgrades.Any(u => !u.Taken || u.Remaining.Count > 0) || plan.Unedited.Count > 0 || writeFailures > 0 : plan.HasWork;
            return remaining ? ExitCodes.Findings : ExitCodes.Ok;
        }, ct));
        return command;
    }
}
