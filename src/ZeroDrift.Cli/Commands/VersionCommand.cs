using System.CommandLine;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift version compare --ecosystem E A B</c> prints <c>&lt;</c>, <c>=</c> or <c>&gt;</c>; with <c>--stdin</c> it
/// compares one "A B" pair per line and prints one symbol per line (<c>?</c> for a pair it cannot compare).
/// </summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Work with package versions the way each ecosystem orders them");
        command.Subcommands.Add(CreateCompare());
        return command;
    }

    private static Command CreateCompare()
    {
        var ecosystem = new Option<string>("--ecosystem", "-e")
        {
            Description = "OSV ecosystem: npm, PyPI, Maven, Go, Debian:12, Alpine:v3.20, Red Hat, … (release qualifiers allowed)",
            Required = true,
        };
        var stdin = new Option<bool>("--stdin") { Description = "Read 'A B' pairs from standard input, one per line; print one symbol per line" };
        var versions = new Argument<string[]>("versions") { Description = "The two versions A and B", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("compare", "Compare two versions: prints <, = or >");
        command.Options.Add(ecosystem);
        command.Options.Add(stdin);
        command.Arguments.Add(versions);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var name = parse.GetValue(ecosystem)!;
            if (!VersionSchemes.TryFor(name, out var scheme))
                throw new UsageException($"unknown ecosystem '{name}' (known: {string.Join(", ", VersionSchemes.Ecosystems.Order(StringComparer.OrdinalIgnoreCase))})");
            var pair = parse.GetValue(versions) ?? [];
            if (parse.GetValue(stdin))
            {
                if (pair.Length != 0) throw new UsageException("give either two versions or --stdin, not both");
                await CompareLinesAsync(scheme, Console.In, token).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            if (pair.Length != 2) throw new UsageException($"expected two versions A B (or --stdin), got {pair.Length}");
            var result = scheme.Compare(pair[0], pair[1]);
            if (result.Order is null) throw new UsageException(result.Error!);
            Console.Out.WriteLine(result.Symbol);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>One symbol per input line, so the output lines up with the input; reasons for <c>?</c> go to stderr.</summary>
    private static async Task CompareLinesAsync(VersionScheme scheme, TextReader input, CancellationToken token)
    {
        await using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        var number = 0;
        while (await input.ReadLineAsync(token).ConfigureAwait(false) is { } line)
        {
            number++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
            {
                await stdout.WriteLineAsync("?").ConfigureAwait(false);
                Console.Error.WriteLine($"zerodrift: line {number}: expected two versions, found {fields.Length} field(s)");
                continue;
            }
            var result = scheme.Compare(fields[0], fields[1]);
            await stdout.WriteLineAsync(result.Symbol).ConfigureAwait(false);
            if (result.Order is null) Console.Error.WriteLine($"zerodrift: line {number}: {result.Error}");
        }
        await stdout.FlushAsync(token).ConfigureAwait(false);
    }
}
