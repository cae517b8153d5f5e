using System.CommandLine;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift rules check FILE…</c>: loads Falco-format rule files in order (as the agent will) and prints, per
/// file, the rules loaded, the rules fully evaluated and each rule not evaluated with its reason. Exit 0 when every
/// file parses; 2 with one line when a file is not YAML or not rules.
/// </summary>
public static class RulesCommand
{
    public static Command Create()
    {
        var command = new Command("rules", "Work with Falco-format rule files");
        command.Subcommands.Add(CreateCheck());
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
            var engine = RuleEngine<SyscallEvent>.Compile(set, SyscallFields.Create());
            Print(Console.Out, set, engine.Statuses);
            foreach (var error in errors) Console.Error.WriteLine($"zerodrift: error: {error}");
            return Task.FromResult(errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Usage);
        }, ct));
        return command;
    }

    private static void Print(TextWriter output, RuleSet set, IReadOnlyList<RuleStatus> statuses)
    {
        foreach (var file in set.Files)
        {
            var mine = statuses.Where(s => s.File == file.Path).ToList();
            var evaluated = mine.Count(s => s.IsEvaluated);
            output.WriteLine($"{file.Path}: {mine.Count} rules loaded, {evaluated} fully evaluated, {mine.Count - evaluated} not evaluated");
            foreach (var s in mine.Where(s => !s.IsEvaluated))
                output.WriteLine($"  disabled: {s.Name}: {s.Reason}");
            foreach (var s in mine.Where(s => s.IsEvaluated))
                foreach (var w in s.OutputWarnings)
                    output.WriteLine($"  warning: {s.Name}: {w}");
            foreach (var w in file.Warnings)
                output.WriteLine($"  warning: {w}");
        }
        var total = statuses.Count;
        var all = statuses.Count(s => s.IsEvaluated);
        output.WriteLine($"total: {total} rules loaded, {all} fully evaluated, {total - all} not evaluated");
    }
}
