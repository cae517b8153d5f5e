using System.CommandLine;
using ZeroDrift.Cli.Output;
using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// The source-tree half of <c>zerodrift fix</c> (<see cref="FixCommand"/> hands it a directory): the smallest
/// dependency upgrades that close the scan's findings, as a unified diff (default) or JSON, written with
/// <c>--apply</c>. Exit codes as <c>scan --exit-code 1</c>: 0 nothing to fix, 1 upgrades proposed or findings
/// remaining, 2 an error.
/// </summary>
internal sealed class FixDependenciesCommand
{
    private readonly Option<bool> _apply = new("--apply") { Description = "Source tree: write the changes (each file replaced atomically; nothing outside PATH)" };
    private readonly Option<bool> _allowMajor = new("--allow-major") { Description = "Source tree: take upgrades that cross a major version (skipped and reported otherwise)" };
    private readonly Option<bool> _lockfileTool = new("--lockfile-tool") { Description = "Source tree: after --apply, let npm refresh package-lock.json (npm install --package-lock-only --ignore-scripts; no project script runs)" };
    private readonly Option<bool> _checkRegistry = new("--check-registry") { Description = "Source tree: ask npm's and NuGet's public registries whether each planned version was published (offline by default)" };
    private readonly Option<int> _maxDbAge = new("--max-db-age") { Description = "Source tree: refuse a database last updated more than this many days ago (default 30; 0 = no limit)", DefaultValueFactory = _ => 30 };
    private readonly Option<bool> _allowStale = new("--allow-stale-db") { Description = "Source tree: only warn when the database is older than --max-db-age" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _apply, _allowMajor, _lockfileTool, _checkRegistry, _maxDbAge, _allowStale })
            command.Options.Add(o);
    }

    /// <param name="format">diff (null: the default) or json.</param>
    /// <param name="output">A file for the diff or JSON (null: standard output).</param>
    public async Task<int> RunAsync(ParseResult parse, string root, string? format, string? output, CancellationToken token)
    {
        var kind = (format ?? "diff").ToLowerInvariant();
        if (kind is not ("diff" or "json")) throw new UsageException($"--format {kind}: a source tree's fix is a diff or json");
        if (output is not null && (output.StartsWith("oci-dir:", StringComparison.Ordinal) || output.StartsWith("docker-archive:", StringComparison.Ordinal)))
            throw new UsageException($"--output {output}: an image destination, but {root} is a source tree (its fix is a diff or JSON file)");
        if (parse.GetValue(_lockfileTool) && !parse.GetValue(_apply)) throw new UsageException("--lockfile-tool needs --apply (it rewrites package-lock.json)");

        using var database = ScanCommand.OpenDatabase(parse.GetValue(DbCommand.DbOption), parse.GetValue(_maxDbAge), parse.GetValue(_allowStale));
        using var http = parse.GetValue(_checkRegistry) ? new HttpClient { Timeout = TimeSpan.FromSeconds(20) } : null;
        var options = new DependencyFixOptions { AllowMajor = parse.GetValue(_allowMajor), Registry = http is null ? null : new RegistryCheck(http) };
        var plan = await new DependencyFixer(database).PlanAsync(root, options, token).ConfigureAwait(false);
        foreach (var warning in plan.Warnings) Terminal.Warn(warning);
        var applied = parse.GetValue(_apply);
        var writeFailures = 0;
        if (applied)
        {
            var failures = DependencyFixer.Apply(plan);
            writeFailures = failures.Count;
            foreach (var warning in failures) Terminal.Warn(warning);
            if (parse.GetValue(_lockfileTool))
                foreach (var line in NpmLockTool.Refresh(plan, token)) Console.Error.WriteLine($"zerodrift: {line}");
        }
        var outputFile = output is null ? null : new FileInfo(output);
        if (kind == "json") await ReportOutput.WriteDocumentAsync(outputFile, stream => FixJsonWriter.Write(plan, applied, stream)).ConfigureAwait(false);
        else
        {
            // The diff goes out exactly as patch and git apply read it: nothing at all when there is nothing to change.
            var diff = string.Concat(plan.Changes.Select(c => UnifiedDiff.Of(c.File, c.Before, c.After)));
            if (outputFile is not null) await File.WriteAllTextAsync(outputFile.FullName, diff, token).ConfigureAwait(false);
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
    }
}
