using System.CommandLine;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Agent;
using ZeroDrift.Runtime.Audit;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift rules check FILE…</c>: loads Falco-format rule files in order (as the agent will) and prints, per
/// file, the rules loaded, fully evaluated (their source's events can fire them and they read nothing uncaptured), partly
/// evaluated and not evaluated, with each rule's reason or gaps. Exit 0 when every
/// file parses; 2 with one line when a file is not YAML or not rules.
/// </summary>
public static class RulesCommand
{
    public static Command Create()
    {
        var command = new Command("rules", "Work with Falco-format rule files");
        command.Subcommands.Add(CreateCheck());
        command.Subcommands.Add(RuleBundleCommands.Update());
        command.Subcommands.Add(RuleBundleCommands.Sign());
        return command;
    }

    private static Command CreateCheck()
    {
        var files = new Argument<string[]>("files") { Description = "Rule files, loaded in order (later files append to and override earlier ones)", Arity = ArgumentArity.OneOrMore };
        var defaults = new Option<bool>("--with-defaults") { Description = "Load ZeroDrift's built-in rules first, as the agent does" };
        var command = new Command("check", "Load rule files and report which rules ZeroDrift evaluates");
        command.Arguments.Add(files);
        command.Options.Add(defaults);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            var set = new RuleSet();
            if (parse.GetValue(defaults)) RuleLoader.LoadDefaults(set);
            // A file that is not rules is reported and skipped, so the other files are still checked.
            var errors = new List<string>();
            foreach (var file in parse.GetValue(files) ?? [])
            {
                try
                {
                    RuleLoader.LoadFile(set, file);
                }
                catch (Exception e) when (e is RuleFileException or IOException or UnauthorizedAccessException)
                {
                    errors.Add(e is RuleFileException ? e.Message : $"{file}: {e.Message}");
                }
            }
            // Each rule is judged by its source's input: syscall rules against what the agent captures, k8s_audit and
            // aws_cloudtrail rules against the audit inputs' fields; a rule is called evaluated only if its input can fire it.
            Print(Console.Out, set, Judge(set));
            foreach (var error in errors) Console.Error.WriteLine($"zerodrift: error: {error}");
            return Task.FromResult(errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Usage);
        }, ct));
        return command;
    }

    /// <summary>One status per rule in file order: every engine lists every rule, so they line up by position.</summary>
    internal static IReadOnlyList<RuleStatus> Judge(RuleSet set)
    {
        var syscall = AgentCapture.Compile(set).Statuses;
        var k8s = AuditSources.CompileK8sAudit(set).Statuses;
        var trail = AuditSources.CompileCloudTrail(set).Statuses;
        var statuses = new List<RuleStatus>(syscall.Count);
        for (var i = 0; i < syscall.Count; i++)
        {
            var source = set.Rules[i].Source;
            statuses.Add(source switch
            {
                AuditSources.K8sAudit => k8s[i],
                AuditSources.CloudTrail => trail[i],
                "syscall" => syscall[i],
                _ => syscall[i] with { Reason = $"needs plugin source '{source}', which ZeroDrift does not read (it reads syscall, k8s_audit and aws_cloudtrail)" },
            });
        }
        return statuses;
    }

    private static void Print(TextWriter output, RuleSet set, IReadOnlyList<RuleStatus> statuses)
    {
        foreach (var file in set.Files)
        {
            var mine = statuses.Where(s => s.File == file.Path).ToList();
            output.WriteLine($"{file.Path}: {RuleCoverage.Summary(mine)}");
            foreach (var line in RuleCoverage.Details(mine))
                output.WriteLine("  " + line);
            foreach (var s in mine.Where(s => s.IsEvaluated))
                foreach (var w in s.OutputWarnings)
                    output.WriteLine($"  warning: {s.Name}: {w}");
            foreach (var w in file.Warnings)
                output.WriteLine($"  warning: {w}");
        }
        output.WriteLine($"total: {RuleCoverage.Summary(statuses)}");
    }
}
