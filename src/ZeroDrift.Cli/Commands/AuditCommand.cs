using System.CommandLine;
using System.Text.Json;
using ZeroDrift.Runtime.Audit;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift audit k8s FILE|-</c> and <c>zerodrift audit cloudtrail DIR|FILE</c>: judge Kubernetes audit events or
/// CloudTrail log files with Falco's plugin rule files (<c>--rules</c>) and print each alert as Falco's JSON, one per
/// line. A record that is not an event is a warning on stderr and the rest goes on; input refused as a whole is one
/// line and exit 2. stderr ends with the counts.
/// </summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var command = new Command("audit", "Judge Kubernetes audit events and AWS CloudTrail logs with Falco's plugin rules");
        command.Subcommands.Add(CreateK8s());
        command.Subcommands.Add(CreateCloudTrail());
        return command;
    }

    private static Option<string[]> RulesOption() => new("--rules")
    {
        Description = "Falco rule files (k8s_audit_rules.yaml, aws_cloudtrail_rules.yaml, your overrides), loaded in order",
        Required = true, AllowMultipleArgumentsPerToken = true,
    };

    private static Option<string> MatchingOption() => new("--rule-matching")
    {
        Description = "first: an event raises the first rule it matches (Falco's default); all: every rule it matches",
        DefaultValueFactory = _ => "first",
    };

    private static Command CreateK8s()
    {
        var input = new Argument<string>("input") { Description = "An audit.k8s.io/v1 EventList, an Event, or an audit log (one Event per line); - for stdin" };
        var rules = RulesOption();
        var matching = MatchingOption();
        var command = new Command("k8s", "Judge Kubernetes audit events (k8s_audit rules)");
        command.Arguments.Add(input);
        command.Options.Add(rules);
        command.Options.Add(matching);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var judge = Judge(parse.GetValue(rules)!, parse.GetValue(matching)!, "k8s_audit");
            var path = parse.GetValue(input)!;
            var name = path == "-" ? "stdin" : path;
            byte[] bytes;
            await using (var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path))
                bytes = await AuditReader.ReadBoundedAsync(stream, AuditLimits.Default.MaxDocumentBytes, name, token);
            var (documents, events, warnings) = AuditReader.ReadK8s(bytes, name, AuditLimits.Default, Now());
            var alerts = 0;
            try
            {
                using var stdout = Console.OpenStandardOutput();
                foreach (var e in events)
                    foreach (var alert in judge.Judge(e)) { Write(stdout, alert); alerts++; }
            }
            finally
            {
                foreach (var d in documents) d.Dispose();
            }
            foreach (var w in warnings) Console.Error.WriteLine($"zerodrift: warning: {w}");
            Console.Error.WriteLine($"zerodrift: {events.Count} audit events, {alerts} alerts, {warnings.Count} skipped");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command CreateCloudTrail()
    {
        var input = new Argument<string>("input") { Description = "A folder of CloudTrail log files (*.json.gz as delivered to S3, or *.json), searched recursively; or one file" };
        var rules = RulesOption();
        var matching = MatchingOption();
        var command = new Command("cloudtrail", "Judge AWS CloudTrail log files (aws_cloudtrail rules)");
        command.Arguments.Add(input);
        command.Options.Add(rules);
        command.Options.Add(matching);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, token =>
        {
            var judge = Judge(parse.GetValue(rules)!, parse.GetValue(matching)!, "aws_cloudtrail");
            var files = AuditReader.CloudTrailFiles(parse.GetValue(input)!, AuditLimits.Default);
            long records = 0, alerts = 0, skipped = 0, badFiles = 0;
            using var stdout = Console.OpenStandardOutput();
            foreach (var file in files)
            {
                token.ThrowIfCancellationRequested();
                try
                {
                    using var stream = File.OpenRead(file);
                    var (document, events, warnings) = AuditReader.ReadCloudTrail(stream, file, AuditLimits.Default, records + 1, Now());
                    using (document)
                        foreach (var e in events)
                            foreach (var alert in judge.Judge(e)) { Write(stdout, alert); alerts++; }
                    records += events.Count;
                    skipped += warnings.Count;
                    foreach (var w in warnings) Console.Error.WriteLine($"zerodrift: warning: {w}");
                }
                catch (Exception e) when (e is AuditInputException or IOException or UnauthorizedAccessException)
                {
                    // One bad file is reported and the folder goes on.
                    badFiles++;
                    Console.Error.WriteLine($"zerodrift: warning: {(e is AuditInputException ? e.Message : $"{file}: {e.Message}")}: skipped");
                }
            }
            Console.Error.WriteLine($"zerodrift: {files.Count} files ({badFiles} unreadable), {records} CloudTrail records, {alerts} alerts, {skipped} records skipped");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static AuditJudge Judge(string[] files, string matching, string source)
    {
        if (matching is not ("first" or "all")) throw new UsageException("--rule-matching must be first or all");
        var judge = AuditJudge.FromFiles(files, matching == "all", Environment.MachineName);
        var statuses = source == "k8s_audit" ? judge.K8s.Statuses : judge.CloudTrail.Statuses;
        var mine = statuses.Where(s => s.State != RuleState.OtherSource).ToList();
        if (!mine.Any(s => s.IsEvaluated)) throw new UsageException($"the rule files hold no {source} rule that can fire");
        Console.Error.WriteLine($"zerodrift: {source}: {mine.Count(s => s.IsEvaluated)} of {mine.Count} rules evaluated");
        return judge;
    }

    private static void Write(Stream stdout, Alert alert)
    {
        using (var json = new Utf8JsonWriter(stdout)) AlertJsonWriter.Write(json, alert);
        stdout.WriteByte((byte)'\n');
    }

    private static long Now() => (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
